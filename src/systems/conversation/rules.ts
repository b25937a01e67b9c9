/**
 * Pure rules of the conversation room and its history: who counts as online, how a read
 * position moves, and how pages and sync batches are cut. No I/O here.
 */

/** One seat in a conversation room: whose it is and whether its connection is up. */
export interface ConversationSeat {
  userId: string;
  connected: boolean;
}

export type UserStatus = "online" | "offline";

/** A participant is online while at least one of their seats (devices) is connected. */
export function isOnline(seats: Iterable<ConversationSeat>, userId: string): boolean {
  for (const seat of seats) if (seat.userId === userId && seat.connected) return true;
  return false;
}

/** What to announce when a participant went from `before` to `after`; null when nothing changed. */
export function statusChange(before: boolean, after: boolean): UserStatus | null {
  if (before === after) return null;
  return after ? "online" : "offline";
}

/** A read position only moves forward: marking an older message keeps the newer position. */
export const nextReadPosition = (current: number, messageId: number): number => Math.max(current, messageId);

/**
 * A newest-first page cut from up to `limit + 1` rows (the extra row only says that an older
 * page exists). `nextCursor` is the `before` of the next page, or null on the last page.
 */
export function newestFirstPage<T extends { id: number }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: number | null } {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit && items.length > 0 ? items[items.length - 1]!.id : null;
  return { items, nextCursor };
}

/** An oldest-first batch cut from up to `cap + 1` rows; `hasMore` says a further sync is needed. */
export function cappedBatch<T>(rows: T[], cap: number): { messages: T[]; hasMore: boolean } {
  return { messages: rows.slice(0, cap), hasMore: rows.length > cap };
}

/** The most characters of a message a lobby notification previews. */
export const PREVIEW_MAX_CHARS = 100;

/** A message's first 100 characters (whole code points, so an emoji is never cut in half). */
export const messagePreview = (content: string): string => Array.from(content).slice(0, PREVIEW_MAX_CHARS).join("");
