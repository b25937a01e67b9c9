import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { lockInviteBudget, recentInviteSends } from "./inviteBudget";
import { decideAnswer, decideSend, statusAfter, type Answer, type InvitationStatus } from "./rules";
import { LobbyEvent, type GameReadyEvent, type InvitationReceivedEvent, type InvitationUpdatedEvent } from "./protocol";
import type { ServiceDeps } from "../../services/deps";
import type { UserSummary } from "../social/friends";
import type { Notification } from "./notifications";
import { pageOf, type Page } from "../../http/paging";
import { timeCursor, type PageRequest } from "../../http/keyset";
import { blockedBetweenSql } from "../social/blocks";
import { isUuid } from "../identity/users";

export interface GameInvitation {
  id: string;
  sender: UserSummary;
  receiver: UserSummary;
  /** Null once the friendship it was sent over has ended. */
  friendshipId: string | null;
  map: string;
  status: InvitationStatus;
  /** The private bigger_dice room, once accepted. */
  roomId: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  sender_id: string;
  receiver_id: string;
  friendship_id: string | null;
  map: string;
  status: InvitationStatus;
  room_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  sender_username: string;
  sender_avatar: string | null;
  receiver_username: string;
  receiver_avatar: string | null;
}

const SELECT = `
  SELECT g.*, s.username AS sender_username, s.avatar_url AS sender_avatar,
         r.username AS receiver_username, r.avatar_url AS receiver_avatar
    FROM game_invitations g
    JOIN users s ON s.id = g.sender_id
    JOIN users r ON r.id = g.receiver_id`;

const toInvitation = (r: Row): GameInvitation => ({
  id: r.id,
  sender: { id: r.sender_id, username: r.sender_username, avatarUrl: r.sender_avatar },
  receiver: { id: r.receiver_id, username: r.receiver_username, avatarUrl: r.receiver_avatar },
  friendshipId: r.friendship_id,
  map: r.map,
  status: r.status,
  roomId: r.room_id,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** An invitation just moved to `expired`, as announced. */
export interface ExpiredInvitation {
  id: string;
  sender_id: string;
  receiver_id: string;
}
const NOTIFICATION_KIND = "game_invitation";

/**
 * Game invitations between friends (docs/PROTOCOL.md §3 `user_lobby`). The policy is
 * `rules/invitations.ts`; this service gathers its facts, stores before it tells anyone,
 * and reaches users' lobbies through delivery. Status changes are conditional
 * (`WHERE status = 'pending'`), so two answers, or an answer racing an expiry, cannot both win.
 */
export class GameInvitationsService {
  /** When this process started: pending invitations from before it survived a restart. */
  private readonly startedAt: Date;

  constructor(private readonly deps: ServiceDeps) {
    this.startedAt = deps.now();
  }

  /**
   * Store a pending invitation (and its notification) and only then tell the receiver:
   * `game_invitation_received` with the source's fields, then `notification`.
   */
  async send(senderId: string, toUserId: string, map: string): Promise<GameInvitation> {
    const { users, friends, notifications } = this.deps.services;
    const now = this.deps.now();
    const receiverOnline = isUuid(toUserId) && (await this.deps.delivery.isOnline(toUserId));
    let stored: { invitation: GameInvitation; notification: Notification };
    try {
      stored = await this.deps.db.transaction(async (tx) => {
        // Serialise this sender's sends so that concurrent ones cannot both pass the rate limit.
        await lockInviteBudget(tx, senderId);
        const receiver = isUuid(toUserId) ? await users.get(toUserId, tx) : null;
        const friendship =
          receiver && receiver.id !== senderId ? await friends.between(senderId, receiver.id, tx) : null;
        const recent = await recentInviteSends(tx, senderId, now);
        const { rows: pair } = await tx.query<{ pending: boolean; last_sent: Date | string | null; blocked: boolean }>(
          `SELECT bool_or(status = 'pending') AS pending,
                  max(created_at) FILTER (WHERE sender_id = $1) AS last_sent,
                  ${blockedBetweenSql("$1::uuid", "$2::uuid")} AS blocked
             FROM game_invitations
            WHERE (sender_id = $1 AND receiver_id = $2) OR (sender_id = $2 AND receiver_id = $1)`,
          [senderId, receiver?.id ?? senderId],
        );
        const decision = decideSend({
          senderId,
          receiverId: toUserId,
          receiverExists: receiver !== null,
          blocked: pair[0]?.blocked === true,
          areFriends: friendship?.status === "accepted",
          receiverOnline,
          pendingBetween: pair[0]?.pending === true,
          lastSentToReceiverAt: pair[0]?.last_sent ? new Date(pair[0].last_sent) : null,
          recentSends: recent,
          // Read at call time: configuration may be changed while running (tests do).
          limitPerMinute: this.deps.config.INVITES_PER_MINUTE,
          now,
        });
        if (!decision.ok) throw new AppError(decision.code, decision.message);

        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO game_invitations (sender_id, receiver_id, friendship_id, map, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
          [senderId, toUserId, friendship!.id, map, now],
        );
        const invitation = (await this.get(rows[0]!.id, tx))!;
        const notification = await notifications.create(
          {
            userId: toUserId,
            type: "invites",
            kind: NOTIFICATION_KIND,
            title: "Game invitation",
            message: `${invitation.sender.username} invited you to a game on ${map}`,
            data: {
              invitationId: invitation.id,
              senderId,
              senderUsername: invitation.sender.username,
              map,
              friendshipId: invitation.friendshipId,
            },
          },
          tx,
        );
        return { invitation, notification };
      });
    } catch (e) {
      // A concurrent send between the same two users won the pending-pair index.
      if ((e as { code?: string }).code === "23505") throw new AppError("DUPLICATE_INVITATION");
      throw e;
    }

    const { invitation, notification } = stored;
    await this.deps.delivery.toUser(toUserId, LobbyEvent.invitationReceived, {
      invitationId: invitation.id,
      sender_username: invitation.sender.username,
      sender_image: invitation.sender.avatarUrl,
      map: invitation.map,
      friendship_id: invitation.friendshipId!,
    } satisfies InvitationReceivedEvent);
    await notifications.push(notification, {
      username: invitation.sender.username,
      avatarUrl: invitation.sender.avatarUrl,
    });
    return invitation;
  }

  /**
   * The receiver accepts: the invitation is `accepted`, a private bigger_dice room is made for
   * the two, and both get `game_invitation_updated` and `game_ready`.
   */
  async accept(userId: string, invitationId: string): Promise<{ invitation: GameInvitation; roomId: string }> {
    const answered = await this.answer(userId, invitationId, "accept");
    let roomId: string;
    try {
      ({ roomId } = await this.deps.services.games.createPrivateRoom({
        invitationId: answered.id,
        map: answered.map,
        playerIds: [answered.sender.id, answered.receiver.id],
      }));
    } catch (e) {
      // No room, no acceptance: let the receiver try again (unless the pair moved on meanwhile).
      await this.deps.db
        .query(
          "UPDATE game_invitations SET status = 'pending', updated_at = $2 WHERE id = $1 AND status = 'accepted'",
          [answered.id, this.deps.now()],
        )
        .catch(() => undefined);
      throw e;
    }
    await this.deps.db.query("UPDATE game_invitations SET room_id = $2 WHERE id = $1", [answered.id, roomId]);
    const invitation = { ...answered, roomId };
    await this.deps.services.notifications.readByReference(userId, NOTIFICATION_KIND, { invitationId: invitation.id });
    await this.tellBoth(invitation, "accepted");
    const ready: GameReadyEvent = { invitationId: invitation.id, roomId, map: invitation.map };
    await Promise.all(
      [invitation.sender.id, invitation.receiver.id].map((id) =>
        this.deps.delivery.toUser(id, LobbyEvent.gameReady, { ...ready }),
      ),
    );
    return { invitation, roomId };
  }

  /** The receiver declines: `declined`, and both get `game_invitation_updated`. */
  async decline(userId: string, invitationId: string): Promise<GameInvitation> {
    const invitation = await this.answer(userId, invitationId, "decline");
    await this.deps.services.notifications.readByReference(userId, NOTIFICATION_KIND, { invitationId: invitation.id });
    await this.tellBoth(invitation, "declined");
    return invitation;
  }

  /**
   * The user's last device is gone: their pending received invitations become `expired`,
   * and the senders (and the receiver's other listeners, if any) are told.
   */
  async expireReceived(userId: string, sentSince?: Date): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ id: string; sender_id: string }>(
      `UPDATE game_invitations SET status = 'expired', updated_at = $2
        WHERE receiver_id = $1 AND status = 'pending' AND ($3::timestamptz IS NULL OR created_at >= $3)
        RETURNING id, sender_id`,
      [userId, this.deps.now(), sentSince ?? null],
    );
    await Promise.all(
      rows.flatMap((r) =>
        [r.sender_id, userId].map((to) =>
          this.deps.delivery.toUser(to, LobbyEvent.invitationUpdated, {
            invitationId: r.id,
            status: "expired",
          } satisfies InvitationUpdatedEvent),
        ),
      ),
    );
    return rows.map((r) => r.id);
  }

  /**
   * The sender's last lobby device is gone: an invitation cannot be played without them, so
   * their pending sent invitations become `expired`. Each receiver gets
   * `game_invitation_expired`, and both sides `game_invitation_updated`.
   */
  async expireSent(userId: string): Promise<string[]> {
    const { rows } = await this.deps.db.query<ExpiredInvitation>(
      `UPDATE game_invitations SET status = 'expired', updated_at = $2
        WHERE sender_id = $1 AND status = 'pending'
        RETURNING id, sender_id, receiver_id`,
      [userId, this.deps.now()],
    );
    await this.announceExpired(rows);
    return rows.map((r) => r.id);
  }

  /** Expire the pair's pending invitations inside the caller's transaction (unfriend, block); announce after commit. */
  async expireBetween(a: string, b: string, tx: Queryable): Promise<ExpiredInvitation[]> {
    const { rows } = await tx.query<ExpiredInvitation>(
      `UPDATE game_invitations SET status = 'expired', updated_at = $3
        WHERE ((sender_id = $1 AND receiver_id = $2) OR (sender_id = $2 AND receiver_id = $1)) AND status = 'pending'
        RETURNING id, sender_id, receiver_id`,
      [a, b, this.deps.now()],
    );
    return rows;
  }

  /** Tell both sides of expired invitations: `game_invitation_updated`, and the receiver `game_invitation_expired`. */
  async announceExpired(expired: ExpiredInvitation[]): Promise<void> {
    await Promise.all(
      expired.flatMap((r) => [
        ...[r.sender_id, r.receiver_id].map((to) =>
          this.deps.delivery.toUser(to, LobbyEvent.invitationUpdated, {
            invitationId: r.id,
            status: "expired",
          } satisfies InvitationUpdatedEvent),
        ),
        this.deps.delivery.toUser(r.receiver_id, LobbyEvent.invitationExpired, { invitationId: r.id }),
      ]),
    );
  }

  /**
   * The user's lobby opens while they were offline: a pending invitation to them sent since
   * this process started is left over from a send racing their last leave. Ones from before
   * survived a restart: they are kept for the user's return (see expireAbsentReceivers).
   */
  async expireLeftovers(userId: string): Promise<string[]> {
    return this.expireReceived(userId, this.startedAt);
  }

  /**
   * Once after a (re)start, when the reconnection grace is over: invitations still pending
   * from before the start whose receiver has not come back online expire (the receiver is
   * really gone). A graceful restart therefore expires nothing for users who reconnect.
   */
  async expireAbsentReceivers(): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ receiver_id: string }>(
      "SELECT DISTINCT receiver_id FROM game_invitations WHERE status = 'pending' AND created_at < $1",
      [this.startedAt],
    );
    const expired: string[] = [];
    for (const { receiver_id } of rows) {
      if (await this.deps.delivery.isOnline(receiver_id)) continue;
      expired.push(...(await this.expireReceived(receiver_id)));
    }
    // Invitations follow their sender too: a sender who did not come back is gone as well.
    const { rows: senders } = await this.deps.db.query<{ sender_id: string }>(
      "SELECT DISTINCT sender_id FROM game_invitations WHERE status = 'pending' AND created_at < $1",
      [this.startedAt],
    );
    for (const { sender_id } of senders) {
      if (await this.deps.delivery.isOnline(sender_id)) continue;
      expired.push(...(await this.expireSent(sender_id)));
    }
    return expired;
  }

  /** Pending invitations the user sent or received, oldest first (the lobby's state). */
  async listPending(userId: string): Promise<GameInvitation[]> {
    const { rows } = await this.deps.db.query<Row>(
      `${SELECT} WHERE (g.sender_id = $1 OR g.receiver_id = $1) AND g.status = 'pending' ORDER BY g.created_at, g.id`,
      [userId],
    );
    return rows.map(toInvitation);
  }

  /** The user's invitations, newest first: received, sent, or both; optionally of one status; paged. */
  async list(
    userId: string,
    opts: { direction?: "received" | "sent"; status?: InvitationStatus } & PageRequest,
  ): Promise<Page<GameInvitation>> {
    const after = timeCursor(opts.cursor);
    const params: unknown[] = [userId, opts.limit + 1, after?.key ?? null, after?.id ?? null];
    let where =
      opts.direction === "received"
        ? "g.receiver_id = $1"
        : opts.direction === "sent"
          ? "g.sender_id = $1"
          : "(g.sender_id = $1 OR g.receiver_id = $1)";
    if (opts.status) {
      params.push(opts.status);
      where += ` AND g.status = $${params.length}`;
    }
    const { rows } = await this.deps.db.query<Row & { sort_key: string }>(
      `${SELECT.replace("SELECT g.*,", "SELECT g.*, g.created_at::text AS sort_key,")}
        WHERE ${where} AND ($3::timestamptz IS NULL OR (g.created_at, g.id) < ($3::timestamptz, $4::uuid))
        ORDER BY g.created_at DESC, g.id DESC LIMIT $2`,
      params,
    );
    const paged = pageOf(rows, opts.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return { items: paged.items.map(toInvitation), nextCursor: paged.nextCursor };
  }

  async get(id: string, db: Queryable = this.deps.db): Promise<GameInvitation | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<Row>(`${SELECT} WHERE g.id = $1`, [id]);
    return rows[0] ? toInvitation(rows[0]) : null;
  }

  /** Move a pending invitation addressed to `userId`; anything else is refused by the rules. */
  private async answer(userId: string, invitationId: string, answer: Answer): Promise<GameInvitation> {
    if (isUuid(invitationId)) {
      const { rows } = await this.deps.db.query<{ id: string }>(
        `UPDATE game_invitations SET status = $3, updated_at = $4
          WHERE id = $1 AND receiver_id = $2 AND status = 'pending'
          RETURNING id`,
        [invitationId, userId, statusAfter(answer), this.deps.now()],
      );
      if (rows[0]) return (await this.get(rows[0].id))!;
    }
    const current = await this.get(invitationId);
    const decision = decideAnswer(current && { receiverId: current.receiver.id, status: current.status }, userId);
    // ok here means it was pending a moment ago and another answer won the race.
    if (decision.ok) throw new AppError("INVITATION_NOT_PENDING");
    throw new AppError(decision.code, decision.message);
  }

  private async tellBoth(invitation: GameInvitation, status: InvitationUpdatedEvent["status"]): Promise<void> {
    const event: InvitationUpdatedEvent = { invitationId: invitation.id, status };
    await Promise.all(
      [invitation.sender.id, invitation.receiver.id].map((id) =>
        this.deps.delivery.toUser(id, LobbyEvent.invitationUpdated, { ...event }),
      ),
    );
  }
}
