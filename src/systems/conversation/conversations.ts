import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { logger } from "../../logger";
import {
  conversationTopic,
  ConversationTopicEvent,
  type ChatMessage,
  type ConversationTopicEvents,
  type ReadReceiptEvent,
  type UserCard,
} from "./protocol";
import { cappedBatch, messagePreview, newestFirstPage } from "./rules";
import { LobbyEvent, type ConversationMessageEvent } from "../lobby/protocol";
import { pageOf, type Page } from "../../http/paging";
import { blockedBetweenSql } from "../social/blocks";
import type { ServiceDeps } from "../../services/deps";
import { timeCursor, type PageRequest } from "../../http/keyset";
import { isUuid } from "../identity/users";

export interface ConversationSummary {
  id: string;
  match_id: string | null;
  participants: UserCard[];
  last_message: ChatMessage | null;
  /** Messages from others after the caller's read position. */
  unread_count: number;
  created_at: string;
}

export interface Participant {
  userId: string;
  username: string;
  avatarUrl: string | null;
  lastReadMessageId: number;
}

/** `GET /api/v1/conversations`: a page, plus the caller's unread messages across every open conversation. */
export interface ConversationList extends Page<ConversationSummary> {
  unread_total: number;
}

export interface MessagePage {
  items: ChatMessage[];
  nextCursor: number | null;
}

interface MessageRow {
  id: string | number;
  conversation_id: string;
  content: string;
  client_message_id: string | null;
  created_at: Date | string;
  sender_id: string;
  sender_username: string;
  sender_avatar: string | null;
  is_read: boolean;
}

/**
 * A message with its sender and `is_read`: true once no participant other than the sender
 * has a read position before it (docs/PROTOCOL.md §3 `conversation`).
 */
const MESSAGE_SELECT = `
  SELECT m.id, m.conversation_id, m.content, m.client_message_id, m.created_at,
         u.id AS sender_id, u.username AS sender_username, u.avatar_url AS sender_avatar,
         NOT EXISTS (
           SELECT 1 FROM conversation_participants p
           WHERE p.conversation_id = m.conversation_id AND p.user_id <> m.sender_id AND p.last_read_message_id < m.id
         ) AS is_read
  FROM messages m JOIN users u ON u.id = m.sender_id`;

const toMessage = (r: MessageRow): ChatMessage => ({
  id: Number(r.id),
  conversation_id: r.conversation_id,
  sender: { id: r.sender_id, username: r.sender_username, profile_picture: r.sender_avatar },
  content: r.content,
  created_at: new Date(r.created_at).toISOString(),
  is_read: r.is_read,
  attachment: null,
  client_message_id: r.client_message_id,
});

/**
 * SQL: conversation `c` is open to user `me`: not closed (unmatched), and no block between
 * `me` and another participant. A conversation failing it is hidden from `me`'s lists and
 * unread counts, refuses messages and its room.
 */
const openTo = (me: string) => `c.closed_at IS NULL AND NOT EXISTS (
  SELECT 1 FROM conversation_participants o
   WHERE o.conversation_id = c.id AND o.user_id <> ${me} AND ${blockedBetweenSql(me, "o.user_id")})`;

/** SQL for the canonical key of a pair of users ($1, $2), the same whichever comes first. */
const PAIR_KEY = "LEAST($1::uuid, $2::uuid)::text || ':' || GREATEST($1::uuid, $2::uuid)::text";

/** Welcome message stored when a match opens its conversation (the source product's text). */
export const WELCOME_MESSAGE = "Vous avez matché! Commencez la conversation.";

/** The most messages one `sync` returns; the reply says `hasMore` when it was cut. */
export const SYNC_LIMIT = 500;

/**
 * Conversations and their messages, shared by the REST routes, the `conversation` room and
 * matching. Every message is stored before anyone is told about it; the live room hears of
 * it through the conversation's delivery topic, so a message posted on any process (REST or
 * WS) reaches the room the same way.
 */
export class ConversationsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The conversation must exist (NOT_FOUND) and have `userId` as a participant (NOT_PARTICIPANT). */
  async requireParticipant(
    conversationId: string,
    userId: string,
    db: Queryable = this.deps.db,
  ): Promise<{ id: string }> {
    if (!isUuid(conversationId)) throw notFound();
    const { rows } = await db.query<{ id: string; is_participant: boolean }>(
      `SELECT c.id, EXISTS (
         SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id AND p.user_id = $2
       ) AS is_participant
       FROM conversations c WHERE c.id = $1`,
      [conversationId, userId],
    );
    const row = rows[0];
    if (!row) throw notFound();
    if (!row.is_participant) throw new AppError("NOT_PARTICIPANT", "You are not a participant in this conversation");
    return { id: row.id };
  }

  /**
   * As requireParticipant, and the conversation must be open to the user: BLOCKED when a
   * block stands between them and another participant, CONVERSATION_CLOSED once unmatched.
   */
  async requireOpen(conversationId: string, userId: string, db: Queryable = this.deps.db): Promise<{ id: string }> {
    const found = await this.requireParticipant(conversationId, userId, db);
    const { rows } = await db.query<{ closed: boolean; blocked: boolean }>(
      `SELECT c.closed_at IS NOT NULL AS closed,
              EXISTS (SELECT 1 FROM conversation_participants o
                       WHERE o.conversation_id = c.id AND o.user_id <> $2 AND ${blockedBetweenSql("$2::uuid", "o.user_id")}) AS blocked
         FROM conversations c WHERE c.id = $1`,
      [found.id, userId],
    );
    if (rows[0]?.blocked) throw new AppError("BLOCKED");
    if (rows[0]?.closed) throw new AppError("CONVERSATION_CLOSED");
    return found;
  }

  async participants(conversationId: string): Promise<Participant[]> {
    const { rows } = await this.deps.db.query<{
      user_id: string;
      username: string;
      avatar_url: string | null;
      last_read_message_id: string | number;
    }>(
      `SELECT p.user_id, u.username, u.avatar_url, p.last_read_message_id
       FROM conversation_participants p JOIN users u ON u.id = p.user_id
       WHERE p.conversation_id = $1 ORDER BY p.joined_at, p.user_id`,
      [conversationId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      avatarUrl: r.avatar_url,
      lastReadMessageId: Number(r.last_read_message_id),
    }));
  }

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

  /**
   * Open (or find) the caller's 1:1 conversation with `participantId` over REST: only
   * between users who have matched or are friends (NOT_CONNECTED otherwise), never across
   * a block (BLOCKED).
   */
  async open(userId: string, participantId: string): Promise<{ conversation: ConversationSummary; created: boolean }> {
    if (participantId.toLowerCase() === userId.toLowerCase()) {
      throw new AppError("INVALID_REQUEST", "participantId: you cannot start a conversation with yourself");
    }
    const other = await this.deps.services.users.require(participantId);
    await this.deps.services.blocks.requireNone(userId, other.id);
    const { rows } = await this.deps.db.query<{ connected: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM matches WHERE user_a = LEAST($1::uuid, $2::uuid) AND user_b = GREATEST($1::uuid, $2::uuid))
           OR EXISTS (SELECT 1 FROM friendships WHERE status = 'accepted'
                       AND ((requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1))) AS connected`,
      [userId, other.id],
    );
    if (!rows[0]?.connected) throw new AppError("NOT_CONNECTED");
    return this.openDirect(userId, other.id);
  }

  /**
   * The 1:1 conversation of the caller and `participantId`, created when it does not exist
   * yet. `created` says which (201 or 200 over REST).
   */
  async openDirect(
    userId: string,
    participantId: string,
  ): Promise<{ conversation: ConversationSummary; created: boolean }> {
    if (participantId.toLowerCase() === userId.toLowerCase()) {
      throw new AppError("INVALID_REQUEST", "participantId: you cannot start a conversation with yourself");
    }
    const { id, created } = await this.deps.db.transaction(async (tx) => {
      const other = await this.deps.services.users.require(participantId, tx);
      return this.ensureDirect(userId, other.id, {}, tx);
    });
    return { conversation: await this.summary(id, userId), created };
  }

  /**
   * Find or create the 1:1 conversation of a pair, inside the caller's transaction. The
   * unique `direct_pair` makes two simultaneous creations end with one conversation. A new
   * conversation gets both participants and, when given, its first message; an existing one
   * is linked to `matchId` if it has no match yet (the source product reuses it as is), and
   * reopened if an unmatch had closed it (callers have checked the pair may talk).
   */
  async ensureDirect(
    userA: string,
    userB: string,
    opts: { matchId?: string; firstMessage?: { senderId: string; content: string } },
    tx: Queryable,
  ): Promise<{ id: string; created: boolean }> {
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO conversations (match_id, direct_pair) VALUES ($3, ${PAIR_KEY})
       ON CONFLICT (direct_pair) DO NOTHING RETURNING id`,
      [userA, userB, opts.matchId ?? null],
    );
    const createdId = inserted.rows[0]?.id;
    if (!createdId) {
      const { rows } = await tx.query<{ id: string }>(`SELECT id FROM conversations WHERE direct_pair = ${PAIR_KEY}`, [
        userA,
        userB,
      ]);
      const id = rows[0]!.id;
      await tx.query("UPDATE conversations SET match_id = COALESCE(match_id, $2), closed_at = NULL WHERE id = $1", [
        id,
        opts.matchId ?? null,
      ]);
      return { id, created: false };
    }
    await tx.query("INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2), ($1, $3)", [
      createdId,
      userA,
      userB,
    ]);
    if (opts.firstMessage) {
      await tx.query("INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, $3)", [
        createdId,
        opts.firstMessage.senderId,
        opts.firstMessage.content,
      ]);
    }
    return { id: createdId, created: true };
  }

  /** History, newest first: messages older than `before` (a message id), `limit` per page. */
  async history(
    conversationId: string,
    userId: string,
    opts: { before?: number; limit: number },
  ): Promise<MessagePage> {
    await this.requireOpen(conversationId, userId);
    const { rows } = await this.deps.db.query<MessageRow>(
      `${MESSAGE_SELECT}
       WHERE m.conversation_id = $1 AND ($2::bigint IS NULL OR m.id < $2::bigint)
       ORDER BY m.id DESC LIMIT $3`,
      [conversationId, opts.before ?? null, opts.limit + 1],
    );
    return newestFirstPage(rows.map(toMessage), opts.limit);
  }

  /** Every message after `afterMessageId`, oldest first, at most `limit` (SYNC_LIMIT). */
  async since(
    conversationId: string,
    userId: string,
    afterMessageId: number,
    limit = SYNC_LIMIT,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    await this.requireParticipant(conversationId, userId);
    const { rows } = await this.deps.db.query<MessageRow>(
      `${MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.id > $2::bigint ORDER BY m.id LIMIT $3`,
      [conversationId, afterMessageId, limit + 1],
    );
    return cappedBatch(rows.map(toMessage), limit);
  }

  /**
   * Store a message, then tell the live room (any process) through the conversation topic.
   * A `clientMessageId` the sender already used returns the stored message with
   * `created: false`, and nothing is stored or published again.
   */
  async send(
    conversationId: string,
    senderId: string,
    content: string,
    clientMessageId?: string,
  ): Promise<{ message: ChatMessage; created: boolean }> {
    if (!isUuid(conversationId)) throw notFound();
    // One statement stores the message and reads it back with its sender: the participant
    // check rides on the insert, and a connection lost after the commit cannot leave a stored
    // message unacknowledged (and so never published).
    const inserted = await this.deps.db.query<MessageRow>(
      `WITH m AS (
         INSERT INTO messages (conversation_id, sender_id, content, client_message_id)
         SELECT $1::uuid, $2::uuid, $3::text, $4::varchar
         WHERE EXISTS (SELECT 1 FROM conversation_participants WHERE conversation_id = $1::uuid AND user_id = $2::uuid)
           AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = $1::uuid AND ${openTo("$2::uuid")})
         ON CONFLICT (sender_id, client_message_id) DO NOTHING
         RETURNING id, conversation_id, sender_id, content, client_message_id, created_at
       )
       ${MESSAGE_SELECT.replace("FROM messages m", "FROM m")}`,
      [conversationId, senderId, content, clientMessageId ?? null],
    );
    const row = inserted.rows[0];
    if (row === undefined) {
      const existing = clientMessageId ? await this.bySenderKey(senderId, clientMessageId) : null;
      if (!existing) {
        await this.requireOpen(conversationId, senderId);
        throw new AppError("INTERNAL");
      }
      await this.requireParticipant(conversationId, senderId);
      if (existing.conversation_id !== conversationId) {
        throw new AppError("CONFLICT", "clientMessageId: already used for a message in another conversation");
      }
      return { message: existing, created: false };
    }
    const message = toMessage(row);
    await this.publish(conversationId, ConversationTopicEvent.message, { message });
    await this.notifyAway(message);
    return { message, created: true };
  }

  /**
   * Move the reader's read position to `messageId` (never backwards), which must be a message
   * of this conversation, and tell the live room.
   */
  async markRead(
    conversationId: string,
    reader: { id: string; username: string },
    messageId: number,
  ): Promise<ReadReceiptEvent> {
    const { rowCount } = await this.deps.db.query(
      `UPDATE conversation_participants SET last_read_message_id = GREATEST(last_read_message_id, $3::bigint)
       WHERE conversation_id = $1 AND user_id = $2
         AND EXISTS (SELECT 1 FROM messages WHERE id = $3::bigint AND conversation_id = $1)`,
      [conversationId, reader.id, messageId],
    );
    if (rowCount === 0) {
      await this.requireParticipant(conversationId, reader.id);
      throw new AppError("NOT_FOUND", "message_id: no such message in this conversation");
    }
    const receipt: ReadReceiptEvent = {
      message_id: messageId,
      user_id: reader.id,
      username: reader.username,
      timestamp: this.deps.now().toISOString(),
    };
    await this.publish(conversationId, ConversationTopicEvent.readReceipt, receipt);
    // The reader's lobbies recount `unreadMessages` (every device of theirs, any process).
    await this.deps.delivery
      .toUser(reader.id, LobbyEvent.conversationRead, { conversationId, messageId })
      .catch((err) => logger.warn({ err, conversationId }, "conversation_read not delivered"));
    return receipt;
  }

  /**
   * Every other participant without a seat in the conversation's room gets
   * `conversation_message` in their lobby (every device, any process), with their unread
   * count. A failure is logged: the message is stored and the lists show it.
   */
  private async notifyAway(message: ChatMessage): Promise<void> {
    try {
      const topic = conversationTopic(message.conversation_id);
      const [{ rows }, seated] = await Promise.all([
        this.deps.db.query<{ user_id: string; unread: number }>(
          `SELECT p.user_id,
                  (SELECT count(*)::int FROM messages m
                    WHERE m.conversation_id = p.conversation_id AND m.sender_id <> p.user_id AND m.id > p.last_read_message_id) AS unread
             FROM conversation_participants p WHERE p.conversation_id = $1 AND p.user_id <> $2`,
          [message.conversation_id, message.sender.id],
        ),
        this.deps.delivery.seatedIn(topic),
      ]);
      const base = {
        conversationId: message.conversation_id,
        messageId: message.id,
        from: { id: message.sender.id, username: message.sender.username },
        preview: messagePreview(message.content),
      };
      await Promise.all(
        rows
          .filter((r) => !seated.has(r.user_id))
          .map((r) =>
            this.deps.delivery.toUser(r.user_id, LobbyEvent.conversationMessage, {
              ...base,
              unreadCount: r.unread,
            } satisfies ConversationMessageEvent),
          ),
      );
    } catch (err) {
      logger.warn({ err, conversationId: message.conversation_id }, "conversation_message not delivered");
    }
  }

  /** A block now stands between `a` and `b`: their shared conversations' rooms close both seats. */
  async revokeBetween(a: string, b: string): Promise<void> {
    const { rows } = await this.deps.db.query<{ id: string }>(
      `SELECT pa.conversation_id AS id FROM conversation_participants pa
         JOIN conversation_participants pb ON pb.conversation_id = pa.conversation_id AND pb.user_id = $2
        WHERE pa.user_id = $1`,
      [a, b],
    );
    await Promise.all(rows.map((r) => this.publish(r.id, ConversationTopicEvent.accessEnded, { userIds: [a, b] })));
  }

  /** Close a conversation (its match ended) inside the caller's transaction; returns whether it was open. */
  async closeForMatch(matchId: string, tx: Queryable): Promise<string | null> {
    const { rows } = await tx.query<{ id: string }>(
      "UPDATE conversations SET closed_at = $2 WHERE match_id = $1 AND closed_at IS NULL RETURNING id",
      [matchId, this.deps.now()],
    );
    return rows[0]?.id ?? null;
  }

  /** Tell a closed conversation's live room (any process): `match_removed`, then every seat is closed. */
  async announceClosed(conversationId: string, matchId: string): Promise<void> {
    await this.publish(conversationId, ConversationTopicEvent.matchRemoved, { matchId, conversationId });
  }

  /** A sender's latest messages in a conversation, oldest first (a report's evidence). */
  async latestFrom(conversationId: string, senderId: string, limit: number): Promise<ChatMessage[]> {
    const { rows } = await this.deps.db.query<MessageRow>(
      `${MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.sender_id = $2 ORDER BY m.id DESC LIMIT $3`,
      [conversationId, senderId, limit],
    );
    return rows.map(toMessage).reverse();
  }

  async messageById(id: number, db: Queryable = this.deps.db): Promise<ChatMessage | null> {
    const { rows } = await db.query<MessageRow>(`${MESSAGE_SELECT} WHERE m.id = $1::bigint`, [id]);
    return rows[0] ? toMessage(rows[0]) : null;
  }

  private async bySenderKey(senderId: string, clientMessageId: string): Promise<ChatMessage | null> {
    const { rows } = await this.deps.db.query<MessageRow>(
      `${MESSAGE_SELECT} WHERE m.sender_id = $1 AND m.client_message_id = $2`,
      [senderId, clientMessageId],
    );
    return rows[0] ? toMessage(rows[0]) : null;
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

  /**
   * The message is stored whatever happens here: a failed publish is logged, and clients
   * that missed it fill the gap with `sync` or the history.
   */
  private async publish<K extends keyof ConversationTopicEvents>(
    conversationId: string,
    type: K,
    payload: ConversationTopicEvents[K],
  ): Promise<void> {
    try {
      await this.deps.delivery.toTopic(conversationTopic(conversationId), type, payload);
    } catch (err) {
      logger.warn({ err, conversationId, type }, "conversation event not published");
    }
  }
}

const notFound = () => new AppError("NOT_FOUND", "Conversation not found");
