import { AppError, rateLimited } from "../../errors";
import { LobbyEvent, type SpaceInviteReceivedEvent } from "../lobby/protocol";
import { logger } from "../../logger";
import { jsonColumn, type Queryable } from "../../db";
import type { ServiceDeps } from "../../services/deps";
import type { Notification } from "../lobby/notifications";
import { isUuid } from "../identity/users";
import { blockedBetweenSql } from "../social/blocks";
import { hasRoomForMember, inviteExpiresAt, inviteRefusal, isInviteExpired, type SpaceRole } from "./rules";
import type { CreateSpaceInput } from "./protocol";
import { rateLimitVerdict } from "../lobby/rules";
import { lockInviteBudget, recentInviteSends } from "../lobby/inviteBudget";
import { decodeCursor, pageOf, timestampKey, type Page } from "../../http/paging";

export interface Space {
  id: string;
  name: string;
  capacity: number;
  width: number;
  height: number;
  /** Half the side of each avatar's square view; null = the server's SPACE_VIEW_RADIUS; 0 = unlimited. */
  viewRadius: number | null;
  ownerId: string;
  createdAt: string;
}

/** A space as its member sees it in `/api/spaces`. */
export interface MySpace extends Space {
  role: SpaceRole;
  memberCount: number;
}

interface UserRef {
  id: string;
  username: string;
}
interface SpaceRef {
  id: string;
  name: string;
}

/** The invite as the sender gets it back (the source product's shape). */
export interface SentInvite {
  id: string;
  toUser: UserRef;
  fromUser: UserRef;
  space: SpaceRef;
  expiresAt: string;
}

/** A pending invite in the invitee's list. */
export interface ReceivedInvite {
  id: string;
  fromUser: UserRef;
  space: SpaceRef;
  expiresAt: string | null;
  createdAt: string;
  status: Notification["status"];
  expired: boolean;
}

export interface InvitableUser {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
}

/** What a space invite keeps in its notification's `data`. */
interface InviteData {
  spaceId: string;
  spaceName: string;
  fromUserId: string;
  fromUsername: string;
  /** Set when the invitee answers; the row's is_active turns false at the same time. */
  outcome?: "accepted" | "declined";
  answeredAt?: string;
}

interface SpaceRow {
  id: string;
  name: string;
  capacity: number;
  width: number;
  height: number;
  view_radius: number | null;
  owner_id: string;
  created_at: Date | string;
}

interface InviteRow {
  id: string;
  user_id: string;
  data: InviteData | string;
  status: Notification["status"];
  is_active: boolean;
  created_at: Date | string;
  expires_at: Date | string | null;
}

const SPACE_INVITE = "space_invite";
/** Advisory-lock namespace: one send at a time per (space, invitee), so duplicates cannot race in. */
const INVITE_PAIR_LOCK = 727302;

/** What the sender of an answered invite is told (stored with the answer, delivered after). */
interface AnswerForSender {
  notification: Notification;
  event: {
    invite: { id: string; space: SpaceRef; outcome: "accepted" | "declined" };
    user: UserRef;
  };
  sender: { username: string; avatarUrl: string | null };
}
const SPACE_COLUMNS = "s.id, s.name, s.capacity, s.width, s.height, s.view_radius, s.owner_id, s.created_at";

const iso = (d: Date | string) => new Date(d).toISOString();

const toSpace = (r: SpaceRow): Space => ({
  id: r.id,
  name: r.name,
  capacity: r.capacity,
  width: r.width,
  height: r.height,
  viewRadius: r.view_radius,
  ownerId: r.owner_id,
  createdAt: iso(r.created_at),
});

const inviteData = (r: InviteRow): InviteData => jsonColumn(r.data);

const inviteNotFound = () => new AppError("INVITATION_NOT_FOUND", "Invite not found");

/**
 * Spaces, their memberships and space invites, shared by the REST routes and the `space`
 * room. Invites are rows of the one notifications table (type `invites`, kind
 * `space_invite`); an invite is pending while `is_active`, and answering it sets
 * `is_active = false`, `status = 'read'` and `data.outcome` (accepted | declined).
 */
export class SpacesService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Create a space; its creator becomes its admin and first member, in one transaction. */
  async create(ownerId: string, input: CreateSpaceInput): Promise<MySpace> {
    return this.deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<SpaceRow>(
        `INSERT INTO spaces (name, capacity, width, height, view_radius, owner_id)
         VALUES ($1, $2, COALESCE($3, 1000), COALESCE($4, 1000), $5, $6)
         RETURNING id, name, capacity, width, height, view_radius, owner_id, created_at`,
        [input.name, input.capacity, input.width ?? null, input.height ?? null, input.viewRadius ?? null, ownerId],
      );
      const space = toSpace(rows[0]!);
      await tx.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'admin')", [
        space.id,
        ownerId,
      ]);
      return { ...space, role: "admin", memberCount: 1 };
    });
  }

  /**
   * The spaces the user is a member of, newest first, paged. The cursor keeps created_at as
   * Postgres prints it (microseconds), so a page boundary never repeats or skips a row.
   */
  async listForUser(userId: string, page: { limit: number; cursor?: string }): Promise<Page<MySpace>> {
    const after = decodeCursor(page.cursor);
    const { rows } = await this.deps.db.query<
      SpaceRow & { role: SpaceRole; member_count: number; created_key: string }
    >(
      `SELECT ${SPACE_COLUMNS}, s.created_at::text AS created_key, m.role,
              (SELECT count(*)::int FROM space_members c WHERE c.space_id = s.id) AS member_count
         FROM space_members m JOIN spaces s ON s.id = m.space_id
        WHERE m.user_id = $1 AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2::timestamptz, $3::uuid))
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT $4`,
      [userId, timestampKey(after), after && isUuid(after.id) ? after.id : null, page.limit + 1],
    );
    const keyed = rows.map((r) => ({
      space: { ...toSpace(r), role: r.role, memberCount: r.member_count },
      key: r.created_key,
    }));
    const paged = pageOf(keyed, page.limit, (r) => ({ key: r.key, id: r.space.id }));
    return { items: paged.items.map((r) => r.space), nextCursor: paged.nextCursor };
  }

  async get(spaceId: string, db: Queryable = this.deps.db): Promise<Space | null> {
    if (!isUuid(spaceId)) return null;
    const { rows } = await db.query<SpaceRow>(`SELECT ${SPACE_COLUMNS} FROM spaces s WHERE s.id = $1`, [spaceId]);
    return rows[0] ? toSpace(rows[0]) : null;
  }

  /** The ids of the space's members, or null when it has more than `max` (a live room's MemberSnapshot). */
  async memberIds(spaceId: string, max: number): Promise<string[] | null> {
    const { rows } = await this.deps.db.query<{ user_id: string }>(
      "SELECT user_id FROM space_members WHERE space_id = $1 LIMIT $2",
      [spaceId, max + 1],
    );
    return rows.length > max ? null : rows.map((r) => r.user_id);
  }

  /** The space, if the user is one of its members: SPACE_NOT_FOUND, else NO_ACCESS. */
  async requireMember(spaceId: string, userId: string): Promise<{ space: Space; role: SpaceRole }> {
    if (!isUuid(spaceId)) throw new AppError("SPACE_NOT_FOUND");
    const { rows } = await this.deps.db.query<SpaceRow & { role: SpaceRole | null }>(
      `SELECT ${SPACE_COLUMNS}, m.role
         FROM spaces s LEFT JOIN space_members m ON m.space_id = s.id AND m.user_id = $2
        WHERE s.id = $1`,
      [spaceId, userId],
    );
    const row = rows[0];
    if (!row) throw new AppError("SPACE_NOT_FOUND");
    if (!row.role) throw new AppError("NO_ACCESS");
    return { space: toSpace(row), role: row.role };
  }

  /**
   * Invite `toUserId` to a space. Admins may always invite; members only while the space has
   * room. The invitee's lobby hears `notification` and `INVITE_RECEIVED` once it is stored.
   */
  async sendInvite(fromUserId: string, input: { toUserId: string; spaceId: string }): Promise<{ invite: SentInvite }> {
    const { toUserId, spaceId } = input;
    if (!isUuid(spaceId)) throw new AppError("SPACE_NOT_FOUND");
    const { rows } = await this.deps.db.query<{
      id: string;
      name: string;
      capacity: number;
      sender_role: SpaceRole | null;
      member_count: number;
      invitee_is_member: boolean;
    }>(
      `SELECT s.id, s.name, s.capacity,
              (SELECT role FROM space_members WHERE space_id = s.id AND user_id = $2) AS sender_role,
              (SELECT count(*)::int FROM space_members WHERE space_id = s.id) AS member_count,
              EXISTS (SELECT 1 FROM space_members WHERE space_id = s.id AND user_id = $3) AS invitee_is_member
         FROM spaces s WHERE s.id = $1`,
      [spaceId, fromUserId, isUuid(toUserId) ? toUserId : null],
    );
    const space = rows[0];
    if (!space) throw new AppError("SPACE_NOT_FOUND");
    if (space.sender_role === null) throw new AppError("NO_ACCESS");
    const [sender, invitee] = await Promise.all([
      this.deps.services.users.require(fromUserId),
      this.deps.services.users.get(toUserId),
    ]);
    if (!invitee) throw new AppError("NOT_FOUND", "User not found");
    await this.deps.services.blocks.requireNone(sender.id, invitee.id);
    if (space.invitee_is_member) throw new AppError("ALREADY_MEMBER");
    const refusal = inviteRefusal(space.sender_role, space.member_count, space.capacity);
    if (refusal) throw new AppError(refusal);

    const data: InviteData = {
      spaceId: space.id,
      spaceName: space.name,
      fromUserId: sender.id,
      fromUsername: sender.username,
    };
    const now = this.deps.now();
    const notification = await this.deps.db.transaction(async (tx) => {
      // The sender's invite budget and this (space, invitee) pair are each one send at a time.
      await lockInviteBudget(tx, sender.id);
      await tx.query("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", [
        INVITE_PAIR_LOCK,
        `${space.id}:${invitee.id}`,
      ]);
      const { rows: pending } = await tx.query(
        `SELECT 1 FROM notifications
          WHERE user_id = $1 AND kind = '${SPACE_INVITE}' AND is_active AND data->>'spaceId' = $2
            AND (expires_at IS NULL OR expires_at > $3)
          LIMIT 1`,
        [invitee.id, space.id, now],
      );
      if (pending.length > 0)
        throw new AppError("DUPLICATE_INVITATION", "This user already has a pending invite to this space");
      const limit = this.deps.config.INVITES_PER_MINUTE;
      const rate = rateLimitVerdict(await recentInviteSends(tx, sender.id, now), now, limit);
      if (!rate.allowed) {
        throw rateLimited(
          rate.retryAfterMs / 1000,
          `At most ${limit} invites a minute: try again in ${Math.ceil(rate.retryAfterMs / 1000)} s`,
        );
      }
      return this.deps.services.notifications.create(
        {
          userId: invitee.id,
          type: "invites",
          kind: SPACE_INVITE,
          title: "Space invite",
          message: `${sender.username} invited you to ${space.name}`,
          data: { ...data },
          // Read at call time, so a changed INVITE_EXPIRY_HOURS applies to the next invite.
          expiresAt: inviteExpiresAt(now, this.deps.config.INVITE_EXPIRY_HOURS),
        },
        tx,
      );
    });
    const fromUser = { id: sender.id, username: sender.username };
    const spaceRef = { id: space.id, name: space.name };
    const expiresAt = notification.expiresAt!;
    await this.tellInvitee(
      notification,
      { username: sender.username, avatarUrl: sender.avatarUrl },
      {
        invite: { id: notification.id, fromUser, space: spaceRef, expiresAt },
      },
    );
    return {
      invite: {
        id: notification.id,
        toUser: { id: invitee.id, username: invitee.username },
        fromUser,
        space: spaceRef,
        expiresAt,
      },
    };
  }

  /**
   * Accept an invite addressed to the caller. The space row is locked while its members are
   * counted, and the membership and the invite's outcome commit together, so concurrent
   * accepts never take a space past its capacity.
   */
  async acceptInvite(userId: string, notificationId: string): Promise<{ space: SpaceRef }> {
    const accepted = await this.deps.db.transaction(async (tx) => {
      const { invite, data } = await this.lockPendingInvite(tx, userId, notificationId);
      const { rows } = await tx.query<{ id: string; name: string; capacity: number }>(
        "SELECT id, name, capacity FROM spaces WHERE id = $1 FOR UPDATE",
        [data.spaceId],
      );
      const space = rows[0];
      if (!space) throw new AppError("SPACE_NOT_FOUND");
      const { rows: counts } = await tx.query<{ members: number; already: boolean }>(
        `SELECT count(*)::int AS members, coalesce(bool_or(user_id = $2), false) AS already
           FROM space_members WHERE space_id = $1`,
        [space.id, userId],
      );
      const { members, already } = counts[0]!;
      if (already) throw new AppError("ALREADY_MEMBER");
      if (!hasRoomForMember(members, space.capacity)) throw new AppError("SPACE_FULL");
      await tx.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
        space.id,
        userId,
      ]);
      await this.answer(tx, invite.id, "accepted");
      const toSender = await this.storeAnswerForSender(tx, userId, notificationId, data, "accepted");
      return { result: { space: { id: space.id, name: space.name } }, toSender };
    });
    await this.answered(userId, notificationId, accepted.toSender);
    return accepted.result;
  }

  /** Decline an invite addressed to the caller. */
  async declineInvite(userId: string, notificationId: string): Promise<{ space: SpaceRef }> {
    const declined = await this.deps.db.transaction(async (tx) => {
      const { invite, data } = await this.lockPendingInvite(tx, userId, notificationId);
      await this.answer(tx, invite.id, "declined");
      const toSender = await this.storeAnswerForSender(tx, userId, notificationId, data, "declined");
      return { result: { space: { id: data.spaceId, name: data.spaceName } }, toSender };
    });
    await this.answered(userId, notificationId, declined.toSender);
    return declined.result;
  }

  /**
   * Who the caller (a member) can invite: their friends who are not members yet (optionally
   * narrowed by `q`, part of a username), or the one user with exactly `username`. Never the
   * whole directory. Paged by username.
   */
  async invitableUsers(
    userId: string,
    spaceId: string,
    filter: { q?: string; username?: string; limit: number; cursor?: string },
  ): Promise<{ users: InvitableUser[]; count: number; nextCursor: string | null }> {
    await this.requireMember(spaceId, userId);
    const after = decodeCursor(filter.cursor);
    type Row = { id: string; username: string; display_name: string | null; avatar_url: string | null };
    const notMember = "NOT EXISTS (SELECT 1 FROM space_members m WHERE m.space_id = $1 AND m.user_id = u.id)";
    const { rows } = filter.username
      ? await this.deps.db.query<Row>(
          `SELECT u.id, u.username, u.display_name, u.avatar_url FROM users u
            WHERE u.username = $2 AND u.id <> $3 AND ${notMember}
              AND NOT ${blockedBetweenSql("$3::uuid", "u.id")}`,
          [spaceId, filter.username, userId],
        )
      : await this.deps.db.query<Row>(
          `SELECT u.id, u.username, u.display_name, u.avatar_url
             FROM friendships f
             JOIN users u ON u.id = CASE WHEN f.requester_id = $2 THEN f.addressee_id ELSE f.requester_id END
            WHERE (f.requester_id = $2 OR f.addressee_id = $2) AND f.status = 'accepted' AND ${notMember}
              AND NOT ${blockedBetweenSql("$2::uuid", "u.id")}
              AND ($3::text IS NULL OR strpos(lower(u.username), lower($3::text)) > 0)
              AND ($4::text IS NULL OR (u.username, u.id) > ($4::text, $5::uuid))
            ORDER BY u.username, u.id
            LIMIT $6`,
          [
            spaceId,
            userId,
            filter.q ?? null,
            after ? String(after.key) : null,
            after && isUuid(after.id) ? after.id : null,
            filter.limit + 1,
          ],
        );
    const page = pageOf(rows, filter.limit, (r) => ({ key: r.username, id: r.id }));
    const users = page.items.map((r) => ({
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
    }));
    return { users, count: users.length, nextCursor: page.nextCursor };
  }

  /** The caller's pending invites, newest first, paged; expired ones only when asked for. */
  async myInvites(
    userId: string,
    opts: { includeExpired?: boolean; limit: number; cursor?: string },
  ): Promise<{ invites: ReceivedInvite[]; count: number; nextCursor: string | null }> {
    const now = this.deps.now();
    const after = decodeCursor(opts.cursor);
    const { rows } = await this.deps.db.query<InviteRow & { created_key: string }>(
      `SELECT id, user_id, data, status, is_active, created_at, expires_at, created_at::text AS created_key
         FROM notifications
        WHERE user_id = $1 AND kind = '${SPACE_INVITE}' AND is_active
          AND ($2 OR expires_at IS NULL OR expires_at > $3::timestamptz)
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $6`,
      [
        userId,
        opts.includeExpired === true,
        now.toISOString(),
        timestampKey(after),
        after && isUuid(after.id) ? after.id : null,
        opts.limit + 1,
      ],
    );
    const page = pageOf(rows, opts.limit, (r) => ({ key: r.created_key, id: r.id }));
    const invites = page.items.map((r) => {
      const data = inviteData(r);
      return {
        id: r.id,
        fromUser: { id: data.fromUserId, username: data.fromUsername },
        space: { id: data.spaceId, name: data.spaceName },
        expiresAt: r.expires_at ? iso(r.expires_at) : null,
        createdAt: iso(r.created_at),
        status: r.status,
        expired: isInviteExpired(r.expires_at, now),
      };
    });
    return { invites, count: invites.length, nextCursor: page.nextCursor };
  }

  /**
   * A block ends the pair's pending space invites, either way, inside the blocker's
   * transaction: they read as declined. Returns the invitees and invites to announce.
   */
  async withdrawInvitesBetween(a: string, b: string, tx: Queryable): Promise<Array<{ id: string; user_id: string }>> {
    const { rows } = await tx.query<{ id: string; user_id: string }>(
      `UPDATE notifications
          SET is_active = false, status = 'read', updated_at = now(),
              data = data || jsonb_build_object('outcome', 'declined', 'answeredAt', $3::text)
        WHERE kind = '${SPACE_INVITE}' AND is_active
          AND ((user_id = $1::uuid AND data->>'fromUserId' = $2::text) OR (user_id = $2::uuid AND data->>'fromUserId' = $1::text))
        RETURNING id, user_id`,
      [a, b, this.deps.now().toISOString()],
    );
    return rows;
  }

  /** The invitees of withdrawn invites recount their unread notifications. */
  async announceWithdrawn(withdrawn: Array<{ id: string; user_id: string }>): Promise<void> {
    await Promise.all(withdrawn.map((w) => this.answered(w.user_id, w.id)));
  }

  /**
   * Lock the caller's pending, unexpired space invite. Another user's invite is "not found",
   * exactly like a missing one; an answered one is no longer pending.
   */
  private async lockPendingInvite(
    tx: Queryable,
    userId: string,
    notificationId: string,
  ): Promise<{ invite: InviteRow; data: InviteData }> {
    if (!isUuid(notificationId)) throw inviteNotFound();
    const { rows } = await tx.query<InviteRow>(
      `SELECT id, user_id, data, status, is_active, created_at, expires_at
         FROM notifications WHERE id = $1 AND user_id = $2 AND kind = '${SPACE_INVITE}' FOR UPDATE`,
      [notificationId, userId],
    );
    const invite = rows[0];
    if (!invite) throw inviteNotFound();
    if (!invite.is_active) throw new AppError("INVITATION_NOT_PENDING", "Invite has already been answered");
    if (isInviteExpired(invite.expires_at, this.deps.now())) throw new AppError("INVITE_EXPIRED");
    return { invite, data: inviteData(invite) };
  }

  private async answer(tx: Queryable, notificationId: string, outcome: "accepted" | "declined"): Promise<void> {
    await tx.query(
      `UPDATE notifications
          SET is_active = false, status = 'read', updated_at = now(),
              data = data || jsonb_build_object('outcome', $2::text, 'answeredAt', $3::text)
        WHERE id = $1`,
      [notificationId, outcome, this.deps.now().toISOString()],
    );
  }

  /**
   * The sender hears the answer as a stored notification (written with the answer, in its
   * transaction) and as `INVITE_ACCEPTED` / `INVITE_DECLINED` on their lobby.
   */
  private async storeAnswerForSender(
    tx: Queryable,
    userId: string,
    inviteId: string,
    data: InviteData,
    outcome: "accepted" | "declined",
  ): Promise<AnswerForSender> {
    const user = await this.deps.services.users.require(userId, tx);
    const event = {
      invite: { id: inviteId, space: { id: data.spaceId, name: data.spaceName }, outcome },
      user: { id: user.id, username: user.username },
    };
    const notification = await this.deps.services.notifications.create(
      {
        userId: data.fromUserId,
        type: "updates",
        kind: outcome === "accepted" ? "space_invite_accepted" : "space_invite_declined",
        title: outcome === "accepted" ? "Invite accepted" : "Invite declined",
        message: `${user.username} ${outcome} your invite to ${data.spaceName}`,
        data: event,
      },
      tx,
    );
    return { notification, event, sender: { username: user.username, avatarUrl: user.avatarUrl } };
  }

  /**
   * An answered invite reads as read: the invitee's lobby recounts its unread notifications,
   * and the sender's lobby hears the answer. Both are stored already: a failed live
   * delivery is logged, not turned into a failed answer.
   */
  private async answered(userId: string, notificationId: string, toSender?: AnswerForSender): Promise<void> {
    try {
      await this.deps.delivery.toUser(userId, LobbyEvent.notificationsChanged, {
        ids: [notificationId],
        status: "read",
      });
      if (!toSender) return; // withdrawn by a block: the sender is not told
      const { notification, event, sender } = toSender;
      await this.deps.services.notifications.push(notification, sender);
      const type =
        event.invite.outcome === "accepted" ? LobbyEvent.spaceInviteAccepted : LobbyEvent.spaceInviteDeclined;
      await this.deps.delivery.toUser(notification.userId, type, event);
    } catch (err) {
      logger.warn({ err, notificationId }, "space invite answered but a lobby was not told");
    }
  }

  /**
   * The invite is stored (and is what the sender is answered with): a failed live delivery
   * is logged, not turned into a failed send; the invitee still finds it in their lists.
   */
  private async tellInvitee(
    notification: Notification,
    sender: { username: string; avatarUrl: string | null },
    payload: SpaceInviteReceivedEvent,
  ): Promise<void> {
    try {
      await this.deps.services.notifications.push(notification, sender);
      await this.deps.delivery.toUser(notification.userId, LobbyEvent.spaceInviteReceived, payload);
    } catch (err) {
      logger.warn({ err, notificationId: notification.id }, "space invite stored but not delivered live");
    }
  }
}
