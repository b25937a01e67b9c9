import { AppError } from "../../errors";
import type { ChatMessage } from "./protocol";
import { blockedBetweenSql } from "../social/blockCheck";

/** SQL and row mapping shared by the conversation services (conversations, lists, messages). */

export interface MessageRow {
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
export const MESSAGE_SELECT = `
  SELECT m.id, m.conversation_id, m.content, m.client_message_id, m.created_at,
         u.id AS sender_id, u.username AS sender_username, u.avatar_url AS sender_avatar,
         NOT EXISTS (
           SELECT 1 FROM conversation_participants p
           WHERE p.conversation_id = m.conversation_id AND p.user_id <> m.sender_id AND p.last_read_message_id < m.id
         ) AS is_read
  FROM messages m JOIN users u ON u.id = m.sender_id`;

export const toMessage = (r: MessageRow): ChatMessage => ({
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
export const openTo = (me: string) => `c.closed_at IS NULL AND NOT EXISTS (
  SELECT 1 FROM conversation_participants o
   WHERE o.conversation_id = c.id AND o.user_id <> ${me} AND ${blockedBetweenSql(me, "o.user_id")})`;

export const conversationNotFound = () => new AppError("NOT_FOUND", "Conversation not found");
