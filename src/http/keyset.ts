import { AppError } from "../errors";
import { decodeCursor } from "./paging";
import { isUuid } from "../systems/identity/users";

/** A page request as the routes pass it to services (`limit` and `cursor` from `pageQueryShape`). */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;
const forged = () => new AppError("INVALID_REQUEST", "cursor: not a cursor from this list");

/**
 * The decoded cursor of a list keyed by (a timestamp, a uuid), checked before it reaches
 * SQL so a forged one is a 400, never a database error. Services select the key as
 * `created_at::text` so it keeps Postgres' microseconds (a JS Date would cut them and
 * skip rows that share a millisecond).
 */
export function timeCursor(cursor: string | undefined): { key: string; id: string } | null {
  const after = decodeCursor(cursor);
  if (!after) return null;
  if (typeof after.key !== "string" || !TIMESTAMP.test(after.key) || !isUuid(after.id)) throw forged();
  return { key: after.key, id: after.id };
}

/** The decoded cursor of a list keyed by (a text, a uuid), e.g. friends by name. */
export function textCursor(cursor: string | undefined): { key: string; id: string } | null {
  const after = decodeCursor(cursor);
  if (!after) return null;
  if (typeof after.key !== "string" || after.key.length > 200 || !isUuid(after.id)) throw forged();
  return { key: after.key, id: after.id };
}
