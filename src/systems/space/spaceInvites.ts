import { AppError, rateLimited } from "../../errors";
import { LobbyEvent, type SpaceInviteReceivedEvent } from "../lobby/protocol";
import { logger } from "../../logger";
import type { Infra } from "../../services/infra";
import type { UsersService } from "../identity/users";
import type { Notification, NotificationsService } from "../lobby/notifications";
import { isUuid } from "../../db/uuid";
import { blockedBetweenSql, type BlockCheck } from "../social/blockCheck";
import { inviteExpiresAt, inviteRefusal, isInviteExpired, type SpaceRole } from "./rules";
import { rateLimitVerdict } from "../lobby/rules";
import { lockInviteBudget, recentInviteSends } from "../lobby/inviteBudget";
import { decodeCursor, pageOf, timestampKey } from "../../http/paging";
import type { SpacesService } from "./spaces";
import {
  inviteData,
  SPACE_INVITE,
  type InvitableUser,
  type InviteData,
  type InviteRow,
  type ReceivedInvite,
  type SentInvite,
} from "./inviteRecords";

/** Advisory-lock namespace: one send at a time per (space, invitee), so duplicates cannot race in. */
const INVITE_PAIR_LOCK = 727302;

const iso = (d: Date | string) => new Date(d).toISOString();

/**
 * Sending space invites and the lists around them (whom a member may invite, the invites a
 * user received), for the REST routes and the `space` room. Answers are
 * SpaceInviteAnswersService's.
 */
export class SpaceInvitesService {
  constructor(
    private readonly deps: Pick<Infra, "db" | "config" | "delivery" | "now"> & {
      users: UsersService;
      blockCheck: BlockCheck;
      notifications: NotificationsService;
      spaces: SpacesService;
    },
  ) {}

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
    const [sender, invitee] = await Promise.all([this.deps.users.require(fromUserId), this.deps.users.get(toUserId)]);
    if (!invitee) throw new AppError("NOT_FOUND", "User not found");
    await this.deps.blockCheck.requireNone(sender.id, invitee.id);
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
      return this.deps.notifications.create(
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
   * Who the caller (a member) can invite: their friends who are not members yet (optionally
   * narrowed by `q`, part of a username), or the one user with exactly `username`. Never the
   * whole directory. Paged by username.
   */
  async invitableUsers(
    userId: string,
    spaceId: string,
    filter: { q?: string; username?: string; limit: number; cursor?: string },
  ): Promise<{ users: InvitableUser[]; count: number; nextCursor: string | null }> {
    await this.deps.spaces.requireMember(spaceId, userId);
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
   * The invite is stored (and is what the sender is answered with): a failed live delivery
   * is logged, not turned into a failed send; the invitee still finds it in their lists.
   */
  private async tellInvitee(
    notification: Notification,
    sender: { username: string; avatarUrl: string | null },
    payload: SpaceInviteReceivedEvent,
  ): Promise<void> {
    try {
      await this.deps.notifications.push(notification, sender);
      await this.deps.delivery.toUser(notification.userId, LobbyEvent.spaceInviteReceived, payload);
    } catch (err) {
      logger.warn({ err, notificationId: notification.id }, "space invite stored but not delivered live");
    }
  }
}
