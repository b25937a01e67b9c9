import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { isUuid } from "../../db/uuid";
import type { Infra } from "../../services/infra";

/** SQL: whether users $a and $b have a block between them, in either direction. */
export const blockedBetweenSql = (a: string, b: string) =>
  `EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ${a} AND blocked_id = ${b}) OR (blocker_id = ${b} AND blocked_id = ${a}))`;

/**
 * Whether two users block each other: what every path between two users asks first (friend
 * requests, invitations, likes, messages). Blocking itself is BlocksService's, which calls
 * those paths' services, so they depend on this check and not on it.
 */
export class BlockCheck {
  constructor(private readonly deps: Pick<Infra, "db">) {}

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
}
