import type { Queryable } from "../../db";
import { RATE_WINDOW_MS } from "./rules";

/**
 * One invite budget per sender (INVITES_PER_MINUTE), spent by game invitations and space
 * invites alike. A send takes the sender's lock for its transaction, so concurrent sends of
 * either kind cannot both pass the limit.
 */
const INVITE_SEND_LOCK = 727301;

export async function lockInviteBudget(tx: Queryable, senderId: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", [INVITE_SEND_LOCK, senderId]);
}

/** When the sender's stored invites of the last window were made (both kinds). */
export async function recentInviteSends(tx: Queryable, senderId: string, now: Date): Promise<Date[]> {
  const since = new Date(now.getTime() - RATE_WINDOW_MS);
  const { rows } = await tx.query<{ created_at: Date | string }>(
    `SELECT created_at FROM game_invitations WHERE sender_id = $1 AND created_at > $2
     UNION ALL
     SELECT created_at FROM notifications
      WHERE kind = 'space_invite' AND data->>'fromUserId' = $1::text AND created_at > $2`,
    [senderId, since],
  );
  return rows.map((r) => new Date(r.created_at));
}
