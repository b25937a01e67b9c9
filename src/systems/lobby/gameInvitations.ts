import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { lockInviteBudget, recentInviteSends } from "./inviteBudget";
import { decideAnswer, decideSend, statusAfter, type Answer, type InvitationStatus } from "./rules";
import { LobbyEvent, type GameReadyEvent, type InvitationReceivedEvent, type InvitationUpdatedEvent } from "./protocol";
import type { Infra } from "../../services/infra";
import type { Friendships } from "../social/friendships";
import type { GamesService } from "../biggerDice/games";
import type { UsersService } from "../identity/users";
import type { Notification, NotificationsService } from "./notifications";
import { pageOf, type Page } from "../../http/paging";
import { timeCursor, type PageRequest } from "../../http/keyset";
import { blockedBetweenSql } from "../social/blockCheck";
import { isUuid } from "../../db/uuid";

import { INVITATION_SELECT, toInvitation, type GameInvitation, type InvitationRow } from "./gameInvitationRecords";

const NOTIFICATION_KIND = "game_invitation";

/**
 * Game invitations between friends (docs/PROTOCOL.md §3 `user_lobby`). The policy is
 * `rules/invitations.ts`; this service gathers its facts, stores before it tells anyone,
 * and reaches users' lobbies through delivery. Status changes are conditional
 * (`WHERE status = 'pending'`), so two answers, or an answer racing an expiry, cannot both win.
 */
export class GameInvitationsService {
  constructor(
    private readonly deps: Pick<Infra, "db" | "config" | "delivery" | "now"> & {
      users: UsersService;
      friendships: Friendships;
      notifications: NotificationsService;
      games: GamesService;
    },
  ) {}

  /**
   * Store a pending invitation (and its notification) and only then tell the receiver:
   * `game_invitation_received` with the source's fields, then `notification`.
   */
  async send(senderId: string, toUserId: string, map: string): Promise<GameInvitation> {
    const { users, friendships, notifications } = this.deps;
    const now = this.deps.now();
    const receiverOnline = isUuid(toUserId) && (await this.deps.delivery.isOnline(toUserId));
    let stored: { invitation: GameInvitation; notification: Notification };
    try {
      stored = await this.deps.db.transaction(async (tx) => {
        // Serialise this sender's sends so that concurrent ones cannot both pass the rate limit.
        await lockInviteBudget(tx, senderId);
        const receiver = isUuid(toUserId) ? await users.get(toUserId, tx) : null;
        const friendship =
          receiver && receiver.id !== senderId ? await friendships.between(senderId, receiver.id, tx) : null;
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
      ({ roomId } = await this.deps.games.createPrivateRoom({
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
    await this.deps.notifications.readByReference(userId, NOTIFICATION_KIND, { invitationId: invitation.id });
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
    await this.deps.notifications.readByReference(userId, NOTIFICATION_KIND, { invitationId: invitation.id });
    await this.tellBoth(invitation, "declined");
    return invitation;
  }

  /** Pending invitations the user sent or received, oldest first (the lobby's state). */
  async listPending(userId: string): Promise<GameInvitation[]> {
    const { rows } = await this.deps.db.query<InvitationRow>(
      `${INVITATION_SELECT} WHERE (g.sender_id = $1 OR g.receiver_id = $1) AND g.status = 'pending' ORDER BY g.created_at, g.id`,
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
    const { rows } = await this.deps.db.query<InvitationRow & { sort_key: string }>(
      `${INVITATION_SELECT.replace("SELECT g.*,", "SELECT g.*, g.created_at::text AS sort_key,")}
        WHERE ${where} AND ($3::timestamptz IS NULL OR (g.created_at, g.id) < ($3::timestamptz, $4::uuid))
        ORDER BY g.created_at DESC, g.id DESC LIMIT $2`,
      params,
    );
    const paged = pageOf(rows, opts.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return { items: paged.items.map(toInvitation), nextCursor: paged.nextCursor };
  }

  async get(id: string, db: Queryable = this.deps.db): Promise<GameInvitation | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<InvitationRow>(`${INVITATION_SELECT} WHERE g.id = $1`, [id]);
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
