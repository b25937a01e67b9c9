import type { Queryable } from "../../db";
import { LobbyEvent } from "../lobby/protocol";
import { isUuid } from "../../db/uuid";
import type { Infra } from "../../services/infra";
import type { UserSummary } from "../identity/users";

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

export interface RequestRow {
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

export const REQUEST_SELECT = `
  SELECT f.id, f.status, f.created_at, f.accepted_at,
         r.id AS requester_id, r.username AS requester_username, r.avatar_url AS requester_avatar,
         a.id AS addressee_id, a.username AS addressee_username, a.avatar_url AS addressee_avatar
    FROM friendships f
    JOIN users r ON r.id = f.requester_id
    JOIN users a ON a.id = f.addressee_id`;

export const toRequest = (r: RequestRow): FriendRequest => ({
  id: r.id,
  status: r.status,
  requester: { id: r.requester_id, username: r.requester_username, avatarUrl: r.requester_avatar },
  addressee: { id: r.addressee_id, username: r.addressee_username, avatarUrl: r.addressee_avatar },
  createdAt: new Date(r.created_at).toISOString(),
  acceptedAt: r.accepted_at ? new Date(r.accepted_at).toISOString() : null,
});

/**
 * The friendship rows as other services consult and end them: whether two users are friends,
 * a user's friends, and ending whatever the pair has inside the caller's transaction (a block
 * does). The request lifecycle itself is FriendsService's.
 */
export class Friendships {
  constructor(private readonly deps: Pick<Infra, "db" | "delivery">) {}

  async getRequest(id: string, db: Queryable = this.deps.db): Promise<FriendRequest | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<RequestRow>(`${REQUEST_SELECT} WHERE f.id = $1`, [id]);
    return rows[0] ? toRequest(rows[0]) : null;
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

  /** Tell both lobbies that a friendship (`friends_changed`) or a request (`friend_request_updated`) ended. */
  async announceEnded(ended: Friendship, pair: string[], reason: FriendshipEnd = "removed"): Promise<void> {
    const tell = (id: string) =>
      ended.status === "accepted"
        ? this.deps.delivery.toUser(id, LobbyEvent.friendsChanged, { friendshipId: ended.id, status: "removed" })
        : this.deps.delivery.toUser(id, LobbyEvent.friendRequestUpdated, { id: ended.id, status: reason });
    await Promise.all(pair.map(tell));
  }
}
