import { AppError } from "../../errors";
import { LobbyEvent } from "../lobby/protocol";
import type { Queryable } from "../../db";
import type { ServiceDeps } from "../../services/deps";
import { pageOf, type Page } from "../../http/paging";
import { textCursor, timeCursor, type PageRequest } from "../../http/keyset";
import { isUuid } from "../identity/users";

export interface UserSummary {
  id: string;
  username: string;
  avatarUrl: string | null;
}

/** A friend request, or the friendship it became (same id: the invitations' `friendship_id`). */
export interface FriendRequest {
  id: string;
  status: "pending" | "accepted";
  requester: UserSummary;
  addressee: UserSummary;
  createdAt: string;
  acceptedAt: string | null;
}

/** An item of `GET /api/friends` (docs/PROTOCOL.md §2). */
export interface Friend {
  friendshipId: string;
  user: UserSummary;
  online: boolean;
  /** When their last device left (ISO 8601); null while online or if never seen. */
  lastSeenAt: string | null;
}

/** `friends_changed` / `friend_request_updated` reasons (docs/PROTOCOL.md §3 `user_lobby`). */
export type FriendshipEnd = "declined" | "cancelled" | "removed";

export interface Friendship {
  id: string;
  requesterId: string;
  addresseeId: string;
  status: "pending" | "accepted";
}

interface RequestRow {
  id: string;
  status: "pending" | "accepted";
  created_at: Date | string;
  accepted_at: Date | string | null;
  requester_id: string;
  requester_username: string;
  requester_avatar: string | null;
  addressee_id: string;
  addressee_username: string;
  addressee_avatar: string | null;
}

const REQUEST_SELECT = `
  SELECT f.id, f.status, f.created_at, f.accepted_at,
         r.id AS requester_id, r.username AS requester_username, r.avatar_url AS requester_avatar,
         a.id AS addressee_id, a.username AS addressee_username, a.avatar_url AS addressee_avatar
    FROM friendships f
    JOIN users r ON r.id = f.requester_id
    JOIN users a ON a.id = f.addressee_id`;

const toRequest = (r: RequestRow): FriendRequest => ({
  id: r.id,
  status: r.status,
  requester: { id: r.requester_id, username: r.requester_username, avatarUrl: r.requester_avatar },
  addressee: { id: r.addressee_id, username: r.addressee_username, avatarUrl: r.addressee_avatar },
  createdAt: new Date(r.created_at).toISOString(),
  acceptedAt: r.accepted_at ? new Date(r.accepted_at).toISOString() : null,
});

/**
 * Friend requests and friendships. One row per unordered pair: a request, once accepted, is
 * the friendship. Accepting tells both users' lobbies (`friends_changed`) so their `friends`
 * state reloads.
 */
export class FriendsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Ask `username` to be friends. Yourself → 400, unknown → 404, friends or pending → 409. */
  async request(requesterId: string, username: string): Promise<FriendRequest> {
    const addressee = await this.deps.services.users.byUsername(username);
    if (!addressee) throw new AppError("NOT_FOUND", "User not found");
    if (addressee.id === requesterId) throw new AppError("INVALID_REQUEST", "username: you cannot befriend yourself");
    await this.deps.services.blocks.requireNone(requesterId, addressee.id);
    const existing = await this.between(requesterId, addressee.id);
    if (existing) throw this.conflict(existing);
    let id: string;
    try {
      const { rows } = await this.deps.db.query<{ id: string }>(
        "INSERT INTO friendships (requester_id, addressee_id, created_at) VALUES ($1, $2, $3) RETURNING id",
        [requesterId, addressee.id, this.deps.now()],
      );
      id = rows[0]!.id;
    } catch (e) {
      // Both asked at the same moment: the pair index let only one in.
      if ((e as { code?: string }).code === "23505") {
        const raced = await this.between(requesterId, addressee.id);
        throw raced
          ? this.conflict(raced)
          : new AppError("CONFLICT", "A friend request between you is already pending");
      }
      throw e;
    }
    const request = (await this.getRequest(id))!;
    // The addressee's lobby hears it live (their devices can show it at once).
    await this.deps.delivery.toUser(addressee.id, LobbyEvent.friendRequest, {
      id: request.id,
      from: { id: request.requester.id, username: request.requester.username },
    });
    return request;
  }

  /** Accept a pending request addressed to `userId`; anyone else's is NOT_FOUND. */
  async accept(userId: string, requestId: string): Promise<FriendRequest> {
    if (!isUuid(requestId)) throw new AppError("NOT_FOUND", "Friend request not found");
    const { rows } = await this.deps.db.query<{ id: string; requester_id: string }>(
      `UPDATE friendships SET status = 'accepted', accepted_at = $3
        WHERE id = $1 AND addressee_id = $2 AND status = 'pending'
        RETURNING id, requester_id`,
      [requestId, userId, this.deps.now()],
    );
    const accepted = rows[0];
    if (!accepted) {
      const current = await this.getRequest(requestId);
      if (current && current.addressee.id === userId) throw new AppError("CONFLICT", "You are already friends");
      throw new AppError("NOT_FOUND", "Friend request not found");
    }
    await Promise.all(
      [accepted.requester_id, userId].map((id) =>
        this.deps.delivery.toUser(id, LobbyEvent.friendsChanged, { friendshipId: accepted.id }),
      ),
    );
    return (await this.getRequest(accepted.id))!;
  }

  /** Pending requests the user received (`incoming`) or sent (`outgoing`), newest first, paged. */
  async listRequests(
    userId: string,
    direction: "incoming" | "outgoing",
    page: PageRequest,
  ): Promise<Page<FriendRequest>> {
    const column = direction === "incoming" ? "f.addressee_id" : "f.requester_id";
    const after = timeCursor(page.cursor);
    const { rows } = await this.deps.db.query<RequestRow & { sort_key: string }>(
      `${REQUEST_SELECT.replace("SELECT f.id,", "SELECT f.created_at::text AS sort_key, f.id,")}
        WHERE ${column} = $1 AND f.status = 'pending'
          AND ($3::timestamptz IS NULL OR (f.created_at, f.id) < ($3::timestamptz, $4::uuid))
        ORDER BY f.created_at DESC, f.id DESC LIMIT $2`,
      [userId, page.limit + 1, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, page.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return { items: paged.items.map(toRequest), nextCursor: paged.nextCursor };
  }

  /** The addressee declines a pending request: it is deleted, and both sides are told. */
  async decline(userId: string, requestId: string): Promise<FriendRequest> {
    return this.endRequest(requestId, "f.addressee_id = $2", userId, "declined");
  }

  /** The requester withdraws a pending request: it is deleted, and both sides are told. */
  async cancel(userId: string, requestId: string): Promise<FriendRequest> {
    return this.endRequest(requestId, "f.requester_id = $2", userId, "cancelled");
  }

  /**
   * End a friendship. Pending game invitations between the two expire in the same
   * transaction; both lobbies hear `friends_changed` and the invitations' expiry.
   */
  async unfriend(userId: string, friendId: string): Promise<void> {
    if (!isUuid(friendId)) throw new AppError("NOT_FOUND", "Friend not found");
    const ended = await this.deps.db.transaction(async (tx) => {
      const current = await this.between(userId, friendId, tx);
      if (!current || current.status !== "accepted") throw new AppError("NOT_FOUND", "Friend not found");
      await this.endBetween(userId, friendId, tx);
      const expired = await this.deps.services.gameInvitations.expireBetween(userId, friendId, tx);
      return { friendship: current, expired };
    });
    await this.announceEnded(ended.friendship, [userId, friendId]);
    await this.deps.services.gameInvitations.announceExpired(ended.expired);
  }

  /** Delete whatever friendship or request the pair has (inside the caller's transaction). */
  async endBetween(a: string, b: string, tx: Queryable): Promise<Friendship | null> {
    const { rows } = await tx.query<{
      id: string;
      requester_id: string;
      addressee_id: string;
      status: "pending" | "accepted";
    }>(
      `DELETE FROM friendships
        WHERE (requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1)
        RETURNING id, requester_id, addressee_id, status`,
      [a, b],
    );
    const r = rows[0];
    return r ? { id: r.id, requesterId: r.requester_id, addresseeId: r.addressee_id, status: r.status } : null;
  }

  /** Tell both lobbies that a friendship (`friends_changed`) or a request (`friend_request_updated`) ended. */
  async announceEnded(ended: Friendship, pair: string[], reason: FriendshipEnd = "removed"): Promise<void> {
    const tell = (id: string) =>
      ended.status === "accepted"
        ? this.deps.delivery.toUser(id, LobbyEvent.friendsChanged, { friendshipId: ended.id, status: "removed" })
        : this.deps.delivery.toUser(id, LobbyEvent.friendRequestUpdated, { id: ended.id, status: reason });
    await Promise.all(pair.map(tell));
  }

  private async endRequest(
    requestId: string,
    whose: string,
    userId: string,
    reason: FriendshipEnd,
  ): Promise<FriendRequest> {
    const request = await this.getRequest(requestId);
    if (!isUuid(requestId)) throw new AppError("NOT_FOUND", "Friend request not found");
    const { rows } = await this.deps.db.query<{ id: string }>(
      `DELETE FROM friendships f WHERE f.id = $1 AND ${whose} AND f.status = 'pending' RETURNING f.id`,
      [requestId, userId],
    );
    if (!rows[0] || !request) throw new AppError("NOT_FOUND", "Friend request not found");
    await this.announceEnded(
      { id: request.id, requesterId: request.requester.id, addresseeId: request.addressee.id, status: "pending" },
      [request.requester.id, request.addressee.id],
      reason,
    );
    return request;
  }

  async getRequest(id: string, db: Queryable = this.deps.db): Promise<FriendRequest | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<RequestRow>(`${REQUEST_SELECT} WHERE f.id = $1`, [id]);
    return rows[0] ? toRequest(rows[0]) : null;
  }

  /** The user's friends, by username, each with whether they are online now (in any process), paged. */
  async list(userId: string, page: PageRequest = { limit: 100_000 }): Promise<Page<Friend>> {
    const after = textCursor(page.cursor);
    const { rows } = await this.deps.db.query<{
      friendship_id: string;
      id: string;
      username: string;
      avatar_url: string | null;
      last_seen_at: Date | string | null;
      sort_key: string;
    }>(
      `SELECT f.id AS friendship_id, u.id, u.username, u.avatar_url, u.last_seen_at, lower(u.username) AS sort_key
         FROM friendships f
         JOIN users u ON u.id = CASE WHEN f.requester_id = $1 THEN f.addressee_id ELSE f.requester_id END
        WHERE (f.requester_id = $1 OR f.addressee_id = $1) AND f.status = 'accepted'
          AND ($3::text IS NULL OR (lower(u.username), u.id) > ($3::text, $4::uuid))
        ORDER BY lower(u.username), u.id
        LIMIT $2`,
      [userId, page.limit + 1, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, page.limit, (r) => ({ key: r.sort_key, id: r.id }));
    const online = await this.deps.delivery.onlineAmong(paged.items.map((r) => r.id));
    return {
      items: paged.items.map((r) => ({
        friendshipId: r.friendship_id,
        user: { id: r.id, username: r.username, avatarUrl: r.avatar_url },
        online: online.has(r.id),
        lastSeenAt: online.has(r.id) || !r.last_seen_at ? null : new Date(r.last_seen_at).toISOString(),
      })),
      nextCursor: paged.nextCursor,
    };
  }

  /** Ids of the user's friends (accepted friendships only). */
  async friendIds(userId: string): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ id: string }>(
      `SELECT CASE WHEN requester_id = $1 THEN addressee_id ELSE requester_id END AS id
         FROM friendships
        WHERE (requester_id = $1 OR addressee_id = $1) AND status = 'accepted'`,
      [userId],
    );
    return rows.map((r) => r.id);
  }

  /** The friendship or request between two users, in either direction, if any. */
  async between(a: string, b: string, db: Queryable = this.deps.db): Promise<Friendship | null> {
    const { rows } = await db.query<{
      id: string;
      requester_id: string;
      addressee_id: string;
      status: "pending" | "accepted";
    }>(
      `SELECT id, requester_id, addressee_id, status FROM friendships
        WHERE (requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1)`,
      [a, b],
    );
    const r = rows[0];
    return r ? { id: r.id, requesterId: r.requester_id, addresseeId: r.addressee_id, status: r.status } : null;
  }

  private conflict(existing: Friendship): AppError {
    return new AppError(
      "CONFLICT",
      existing.status === "accepted" ? "You are already friends" : "A friend request between you is already pending",
    );
  }
}
