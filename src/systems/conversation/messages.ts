import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { logger } from "../../logger";
import { conversationTopic, ConversationTopicEvent, type ChatMessage, type ReadReceiptEvent } from "./protocol";
import { cappedBatch, messagePreview, newestFirstPage } from "./rules";
import { LobbyEvent, type ConversationMessageEvent } from "../lobby/protocol";
import type { Infra } from "../../services/infra";
import { isUuid } from "../../db/uuid";
import {
  conversationNotFound as notFound,
  MESSAGE_SELECT,
  openTo,
  toMessage,
  type MessageRow,
} from "./conversationSql";
import type { ConversationsService } from "./conversations";

export interface MessagePage {
  items: ChatMessage[];
  nextCursor: number | null;
}

/**
 * The messages of conversations, for the REST routes, the `conversation` room and reports.
 * Every message is stored before anyone is told about it; the live room hears of it through
 * the conversation's delivery topic, so a message posted on any process (REST or WS) reaches
 * the room the same way.
 */
export class MessagesService {
  constructor(
    private readonly deps: Pick<Infra, "db" | "config" | "delivery" | "now"> & {
      conversations: ConversationsService;
    },
  ) {}

  /** History, newest first: messages older than `before` (a message id), `limit` per page. */
  async history(
    conversationId: string,
    userId: string,
    opts: { before?: number; limit: number },
  ): Promise<MessagePage> {
    await this.deps.conversations.requireOpen(conversationId, userId);
    const { rows } = await this.deps.db.query<MessageRow>(
      `${MESSAGE_SELECT}
       WHERE m.conversation_id = $1 AND ($2::bigint IS NULL OR m.id < $2::bigint)
       ORDER BY m.id DESC LIMIT $3`,
      [conversationId, opts.before ?? null, opts.limit + 1],
    );
    return newestFirstPage(rows.map(toMessage), opts.limit);
  }

  /** Every message after `afterMessageId`, oldest first, at most `limit` (CONVERSATION_SYNC_LIMIT). */
  async since(
    conversationId: string,
    userId: string,
    afterMessageId: number,
    limit = this.deps.config.CONVERSATION_SYNC_LIMIT,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    await this.deps.conversations.requireParticipant(conversationId, userId);
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
        await this.deps.conversations.requireOpen(conversationId, senderId);
        throw new AppError("INTERNAL");
      }
      await this.deps.conversations.requireParticipant(conversationId, senderId);
      if (existing.conversation_id !== conversationId) {
        throw new AppError("CONFLICT", "clientMessageId: already used for a message in another conversation");
      }
      return { message: existing, created: false };
    }
    const message = toMessage(row);
    await this.deps.conversations.publish(conversationId, ConversationTopicEvent.message, { message });
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
      await this.deps.conversations.requireParticipant(conversationId, reader.id);
      throw new AppError("NOT_FOUND", "message_id: no such message in this conversation");
    }
    const receipt: ReadReceiptEvent = {
      message_id: messageId,
      user_id: reader.id,
      username: reader.username,
      timestamp: this.deps.now().toISOString(),
    };
    await this.deps.conversations.publish(conversationId, ConversationTopicEvent.readReceipt, receipt);
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
}
