import type { ChatMessage, UserCard } from "./protocol";
import { pageOf, type Page } from "../../http/paging";
import type { Infra } from "../../services/infra";
import { timeCursor, type PageRequest } from "../../http/keyset";
import {
  conversationNotFound as notFound,
  MESSAGE_SELECT,
  openTo,
  toMessage,
  type MessageRow,
} from "./conversationSql";

export interface ConversationSummary {
  id: string;
  match_id: string | null;
  participants: UserCard[];
  last_message: ChatMessage | null;
  /** Messages from others after the caller's read position. */
  unread_count: number;
  created_at: string;
}

/** `GET /api/v1/conversations`: a page, plus the caller's unread messages across every open conversation. */
export interface ConversationList extends Page<ConversationSummary> {
  unread_total: number;
}

/**
 * A user's conversations as lists show them (`GET /api/v1/conversations`, the lobby's
 * `unreadMessages`): only those open to the user, with their people, last message and
 * unread count.
 */
export class ConversationListsService {
  constructor(private readonly deps: Pick<Infra, "db">) {}

  /** The caller's open conversations, most recent activity first, paged, with the unread total. */
  async listFor(userId: string, page: PageRequest = { limit: 50 }): Promise<ConversationList> {
    const [paged, unread_total] = await Promise.all([this.summaries(userId, { page }), this.totalUnread(userId)]);
    return { ...paged, unread_total };
  }

  async summary(conversationId: string, userId: string): Promise<ConversationSummary> {
    const { items } = await this.summaries(userId, { onlyId: conversationId });
    if (!items[0]) throw notFound();
    return items[0];
  }

  /** Unread messages from others across the user's open conversations (the lobby's `unreadMessages`). */
  async totalUnread(userId: string): Promise<number> {
    const { rows } = await this.deps.db.query<{ n: number }>(
      `SELECT count(*)::int AS n
         FROM conversation_participants me
         JOIN conversations c ON c.id = me.conversation_id
         JOIN messages m ON m.conversation_id = c.id AND m.id > me.last_read_message_id AND m.sender_id <> me.user_id
        WHERE me.user_id = $1::uuid AND ${openTo("$1::uuid")}`,
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * The caller's open conversations (or the one named), each with its people, last message
   * and unread count, ordered by last activity (keyset on (activity, id)).
   */
  private async summaries(
    userId: string,
    opts: { onlyId?: string; page?: PageRequest },
  ): Promise<Page<ConversationSummary>> {
    const limit = opts.page?.limit ?? 1;
    const after = timeCursor(opts.page?.cursor);
    const { rows } = await this.deps.db.query<{
      id: string;
      match_id: string | null;
      created_at: Date | string;
      unread_count: number;
      last_message_id: string | number | null;
      activity: string;
    }>(
      `SELECT s.*, s.activity_at::text AS activity FROM (
         SELECT c.id, c.match_id, c.created_at,
                (SELECT count(*)::int FROM messages m
                  WHERE m.conversation_id = c.id AND m.sender_id <> $1 AND m.id > me.last_read_message_id) AS unread_count,
                (SELECT max(m.id) FROM messages m WHERE m.conversation_id = c.id) AS last_message_id,
                COALESCE((SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1), c.created_at) AS activity_at
           FROM conversation_participants me JOIN conversations c ON c.id = me.conversation_id
          WHERE me.user_id = $1::uuid AND ($2::uuid IS NULL OR c.id = $2::uuid) AND ${openTo("$1::uuid")}
       ) s
       WHERE ($4::timestamptz IS NULL OR (s.activity_at, s.id) < ($4::timestamptz, $5::uuid))
       ORDER BY s.activity_at DESC, s.id DESC
       LIMIT $3`,
      [userId, opts.onlyId ?? null, limit + 1, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, limit, (r) => ({ key: r.activity, id: r.id }));
    if (paged.items.length === 0) return { items: [], nextCursor: null };
    const ids = paged.items.map((r) => r.id);
    const people = await this.cardsOf(ids);
    const lastIds = paged.items.filter((r) => r.last_message_id !== null).map((r) => String(r.last_message_id));
    const lastMessages = new Map<string, ChatMessage>();
    if (lastIds.length) {
      const { rows: msgs } = await this.deps.db.query<MessageRow>(`${MESSAGE_SELECT} WHERE m.id = ANY($1::bigint[])`, [
        lastIds,
      ]);
      for (const m of msgs.map(toMessage)) lastMessages.set(m.conversation_id, m);
    }
    const items = paged.items.map((r) => ({
      id: r.id,
      match_id: r.match_id,
      participants: people.get(r.id) ?? [],
      last_message: lastMessages.get(r.id) ?? null,
      unread_count: r.unread_count,
      created_at: new Date(r.created_at).toISOString(),
    }));
    return { items, nextCursor: paged.nextCursor };
  }

  private async cardsOf(conversationIds: string[]): Promise<Map<string, UserCard[]>> {
    const { rows } = await this.deps.db.query<{
      conversation_id: string;
      id: string;
      username: string;
      avatar_url: string | null;
    }>(
      `SELECT p.conversation_id, u.id, u.username, u.avatar_url
       FROM conversation_participants p JOIN users u ON u.id = p.user_id
       WHERE p.conversation_id = ANY($1::uuid[]) ORDER BY p.joined_at, u.id`,
      [conversationIds],
    );
    const byConversation = new Map<string, UserCard[]>();
    for (const r of rows) {
      const list = byConversation.get(r.conversation_id) ?? [];
      list.push({ id: r.id, username: r.username, profile_picture: r.avatar_url });
      byConversation.set(r.conversation_id, list);
    }
    return byConversation;
  }
}
