import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { pageOf, type Page } from "../../http/paging";
import { timeCursor, type PageRequest } from "../../http/keyset";
import { logger } from "../../logger";
import type { ServiceDeps } from "../../services/deps";
import type { UserSummary } from "./friends";
import { isUuid } from "../identity/users";

export interface BlockedUser {
  user: UserSummary;
  createdAt: string;
}

/** SQL: whether users $a and $b have a block between them, in either direction. */
export const blockedBetweenSql = (a: string, b: string) =>
  `EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ${a} AND blocked_id = ${b}) OR (blocker_id = ${b} AND blocked_id = ${a}))`;

/**
 * Blocks (docs/PROTOCOL.md §2 "Blocks"). While A blocks B, every path between the two is
 * closed either way (friend requests, game and space invitations, likes, messages,
 * presence), and the other side learns only `BLOCKED`. Blocking ends what they had in one
 * transaction: their friendship or pending request, their pending game invitations and
 * space invites. Unblocking restores none of it.
 */
export class BlocksService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Whether either user blocks the other. */
  async between(a: string, b: string, db: Queryable = this.deps.db): Promise<boolean> {
    if (!isUuid(a) || !isUuid(b)) return false;
    const { rows } = await db.query<{ blocked: boolean }>(
      `SELECT ${blockedBetweenSql("$1::uuid", "$2::uuid")} AS blocked`,
      [a, b],
    );
    return rows[0]?.blocked === true;
  }

  /** Refuse with BLOCKED when either user blocks the other. */
  async requireNone(a: string, b: string, db: Queryable = this.deps.db): Promise<void> {
    if (await this.between(a, b, db)) throw new AppError("BLOCKED");
  }

  /** Block `blockedId`; `created` is false when it was already blocked (nothing changes then). */
  async block(blockerId: string, blockedId: string): Promise<{ block: BlockedUser; created: boolean }> {
    if (blockerId.toLowerCase() === blockedId.toLowerCase())
      throw new AppError("INVALID_REQUEST", "userId: you cannot block yourself");
    const { services } = this.deps;
    const outcome = await this.deps.db.transaction(async (tx) => {
      const blocked = await services.users.require(blockedId, tx);
      const inserted = await tx.query<{ created_at: Date | string }>(
        "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING created_at",
        [blockerId, blocked.id, this.deps.now()],
      );
      if (!inserted.rows[0]) return { created: false as const, blocked };
      const friendship = await services.friends.endBetween(blockerId, blocked.id, tx);
      const expired = await services.gameInvitations.expireBetween(blockerId, blocked.id, tx);
      const withdrawn = await services.spaces.withdrawInvitesBetween(blockerId, blocked.id, tx);
      return { created: true as const, blocked, friendship, expired, withdrawn };
    });
    if (outcome.created) {
      // Stored; now tell what ended. The blocked user hears only what unfriending would say.
      const pair = [blockerId, outcome.blocked.id];
      await Promise.all([
        outcome.friendship ? services.friends.announceEnded(outcome.friendship, pair) : undefined,
        services.gameInvitations.announceExpired(outcome.expired),
        services.spaces.announceWithdrawn(outcome.withdrawn),
        services.conversations.revokeBetween(blockerId, outcome.blocked.id),
      ]).catch((err) => logger.warn({ err, blockerId }, "block stored but not every device was told"));
    }
    const { rows } = await this.deps.db.query<{ created_at: Date | string }>(
      "SELECT created_at FROM blocks WHERE blocker_id = $1 AND blocked_id = $2",
      [blockerId, outcome.blocked.id],
    );
    const b = outcome.blocked;
    return {
      block: {
        user: { id: b.id, username: b.username, avatarUrl: b.avatarUrl },
        createdAt: new Date(rows[0]!.created_at).toISOString(),
      },
      created: outcome.created,
    };
  }

  /** Lift a block (idempotent). Nothing it ended comes back. */
  async unblock(blockerId: string, blockedId: string): Promise<void> {
    if (!isUuid(blockedId)) throw new AppError("NOT_FOUND", "User not found");
    await this.deps.services.users.require(blockedId);
    await this.deps.db.query("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", [blockerId, blockedId]);
  }

  /** The users the caller blocks, newest first, paged. */
  async list(blockerId: string, page: PageRequest): Promise<Page<BlockedUser>> {
    const after = timeCursor(page.cursor);
    const { rows } = await this.deps.db.query<{
      id: string;
      username: string;
      avatar_url: string | null;
      created_at: Date | string;
      sort_key: string;
    }>(
      `SELECT u.id, u.username, u.avatar_url, b.created_at, b.created_at::text AS sort_key
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1
          AND ($3::timestamptz IS NULL OR (b.created_at, b.blocked_id) < ($3::timestamptz, $4::uuid))
        ORDER BY b.created_at DESC, b.blocked_id DESC
        LIMIT $2`,
      [blockerId, page.limit + 1, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, page.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return {
      items: paged.items.map((r) => ({
        user: { id: r.id, username: r.username, avatarUrl: r.avatar_url },
        createdAt: new Date(r.created_at).toISOString(),
      })),
      nextCursor: paged.nextCursor,
    };
  }
}
