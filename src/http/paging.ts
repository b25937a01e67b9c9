import { z } from "zod";
import { AppError } from "../errors";

/**
 * Keyset paging for every list (docs/PROTOCOL.md §2 "Lists"): `?limit=1..100` (default 50)
 * and `?cursor=` from the previous page's `nextCursor`. Keyset rather than OFFSET so a page
 * costs the same however deep it is and rows inserted meanwhile never repeat or vanish.
 *
 * A route fetches `limit + 1` rows ordered by (sort key, id), filtered past the decoded
 * cursor, and returns `pageOf(rows, limit, keyOf)`:
 *
 *   const { limit, cursor } = query(req, PageQuery);
 *   const after = decodeCursor(cursor);           // null on the first page
 *   // SQL: WHERE ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
 *   //      ORDER BY created_at DESC, id DESC LIMIT $1      -- with $1 = limit + 1
 *   res.json(pageOf(rows, limit, (r) => ({ key: r.created_at, id: r.id })));
 */
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 100;

export const pageQueryShape = {
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
  cursor: z.string().max(256).optional(),
};
/** The paging query alone; routes with filters spread `pageQueryShape` into their own object. */
export const PageQuery = z.object(pageQueryShape).strict();

/** A page of `item` as every list answers it (the document's schema of `Page<T>`). */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Pass back as `cursor` for the next page; null on the last." }),
  });

export interface CursorKey {
  /** The sort key of the last row: a timestamp (Date or ISO string), a name, a number. */
  key: string | number | Date;
  /** The row id, the tie-breaker. */
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function encodeCursor({ key, id }: CursorKey): string {
  const k = key instanceof Date ? key.toISOString() : key;
  return Buffer.from(JSON.stringify([k, id]), "utf8").toString("base64url");
}

/** The decoded cursor, or null for the first page; a forged or broken cursor is 400. */
export function decodeCursor(cursor: string | undefined): { key: string | number; id: string } | null {
  if (cursor === undefined || cursor === "") return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      (typeof value[0] === "string" || typeof value[0] === "number") &&
      typeof value[1] === "string" &&
      value[1].length <= 64
    ) {
      return { key: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new AppError("INVALID_REQUEST", "cursor: not a cursor from this list");
}

/** Trim a `limit + 1` fetch to a page and say where the next one starts. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1]!)) };
}

/**
 * A cursor's key as a Postgres timestamp, for lists keyed by `created_at::text` (which keeps
 * microseconds, unlike a JS Date). A forged key is 400, never a failed cast in SQL.
 */
export function timestampKey(after: { key: string | number } | null): string | null {
  if (!after) return null;
  const key = String(after.key);
  if (!/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(key)) {
    throw new AppError("INVALID_REQUEST", "cursor: not a cursor from this list");
  }
  return key;
}
