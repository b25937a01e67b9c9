import { AppError } from "../../errors";
import { LobbyEvent } from "../lobby/protocol";
import type { Infra } from "../../services/infra";
import { pageOf, type Page } from "../../http/paging";
import { textCursor, timeCursor, type PageRequest } from "../../http/keyset";
import { isUuid } from "../../db/uuid";
import type { UsersService } from "../identity/users";
import type { BlockCheck } from "./blockCheck";
import type { GameInvitationExpiryService } from "../lobby/gameInvitationExpiry";
import {
  REQUEST_SELECT,
  toRequest,
  type Friend,
  type FriendRequest,
  type Friendship,
  type FriendshipEnd,
  type Friendships,
  type RequestRow,
} from "./friendships";

/**
 * Friend requests and friendships. One row per unordered pair: a request, once accepted, is
 * the friendship. Accepting tells both users' lobbies (`friends_changed`) so their `friends`
 * state reloads.
 */
export class FriendsService {
  constructor(
    private readonly deps: Pick<Infra, "db" | "delivery" | "now"> & {
      users: UsersService;
      blockCheck: BlockCheck;
      friendships: Friendships;
      gameInvitationExpiry: GameInvitationExpiryService;
    },
  ) {}

  /** Ask `username` to be friends. Yourself → 400, unknown → 404, friends or pending → 409. */
  async request(requesterId: string, username: string): Promise<FriendRequest> {
    const addressee = await this.deps.users.byUsername(username);
    if (!addressee) throw new AppError("NOT_FOUND", "User not found");
    if (addressee.id === requesterId) throw new AppError("INVALID_REQUEST", "username: you cannot befriend yourself");
    await this.deps.blockCheck.requireNone(requesterId, addressee.id);
    const existing = await this.deps.friendships.between(requesterId, addressee.id);
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
        const raced = await this.deps.friendships.between(requesterId, addressee.id);
        throw raced
          ? this.conflict(raced)
          : new AppError("CONFLICT", "A friend request between you is already pending");
      }
      throw e;
    }
    const request = (await this.deps.friendships.getRequest(id))!;
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
      const current = await this.deps.friendships.getRequest(requestId);
      if (current && current.addressee.id === userId) throw new AppError("CONFLICT", "You are already friends");
      throw new AppError("NOT_FOUND", "Friend request not found");
    }
    await Promise.all(
      [accepted.requester_id, userId].map((id) =>
        this.deps.delivery.toUser(id, LobbyEvent.friendsChanged, { friendshipId: accepted.id }),
      ),
    );
    return (await this.deps.friendships.getRequest(accepted.id))!;
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
      const current = await this.deps.friendships.between(userId, friendId, tx);
      if (!current || current.status !== "accepted") throw new AppError("NOT_FOUND", "Friend not found");
      await this.deps.friendships.endBetween(userId, friendId, tx);
      const expired = await this.deps.gameInvitationExpiry.expireBetween(userId, friendId, tx);
      return { friendship: current, expired };
    });
    await this.deps.friendships.announceEnded(ended.friendship, [userId, friendId]);
    await this.deps.gameInvitationExpiry.announceExpired(ended.expired);
  }

  private async endRequest(
    requestId: string,
    whose: string,
    userId: string,
    reason: FriendshipEnd,
  ): Promise<FriendRequest> {
    const request = await this.deps.friendships.getRequest(requestId);
    if (!isUuid(requestId)) throw new AppError("NOT_FOUND", "Friend request not found");
    const { rows } = await this.deps.db.query<{ id: string }>(
      `DELETE FROM friendships f WHERE f.id = $1 AND ${whose} AND f.status = 'pending' RETURNING f.id`,
      [requestId, userId],
    );
    if (!rows[0] || !request) throw new AppError("NOT_FOUND", "Friend request not found");
    await this.deps.friendships.announceEnded(
      { id: request.id, requesterId: request.requester.id, addresseeId: request.addressee.id, status: "pending" },
      [request.requester.id, request.addressee.id],
      reason,
    );
    return request;
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

  private conflict(existing: Friendship): AppError {
    return new AppError(
      "CONFLICT",
      existing.status === "accepted" ? "You are already friends" : "A friend request between you is already pending",
    );
  }
}
