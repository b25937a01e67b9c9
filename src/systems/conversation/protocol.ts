import { z } from "zod";
import { topic } from "../../realtime/topic";
import { text, uuid } from "../../protocol/common";

/**
 * The `conversation` room's wire contract (docs/PROTOCOL.md §3): join options, client
 * message payloads, and the shapes the server sends. The REST routes of
 * /api/v1/conversations use the same message shape.
 */

export const ConversationJoinOptions = z.object({ conversationId: uuid() });

/** A positive message id (ids are bigint identities, exchanged as JSON numbers). */
export const MessageId = z.number().int("must be an integer").positive("must be a positive integer");

/** A client's idempotency key for a message, unique per sender. */
export const ClientMessageId = z.string().min(1, "must not be empty").max(64, "must be at most 64 characters");

/** `message {content, clientMessageId?}`; the content limit is TEXT_MAX_CHARS. */
export const messagePayload = (maxChars: number) =>
  z.object({ content: text(maxChars), clientMessageId: ClientMessageId.optional() }).strict();
export type MessagePayload = z.infer<ReturnType<typeof messagePayload>>;

export const TypingPayload = z.object({ is_typing: z.boolean() }).strict();
export type TypingPayload = z.infer<typeof TypingPayload>;

/** The reader is always the sender of the receipt: a `user_id` field is refused. */
export const ReadReceiptPayload = z.object({ message_id: MessageId }).strict();
export type ReadReceiptPayload = z.infer<typeof ReadReceiptPayload>;

export const SyncPayload = z
  .object({ afterMessageId: z.number().int("must be an integer").min(0, "must be at least 0") })
  .strict();
export type SyncPayload = z.infer<typeof SyncPayload>;

/** A user as the dating product shows one. `profile_picture` is the user's avatarUrl. */
export const UserCard = z
  .object({ id: z.string(), username: z.string(), profile_picture: z.string().nullable() })
  .meta({ id: "UserCard" });
export type UserCard = z.output<typeof UserCard>;

/** A stored message, the same over REST and WS. */
export const ChatMessage = z
  .object({
    id: z.number().int(),
    conversation_id: z.string(),
    sender: UserCard,
    content: z.string(),
    created_at: z.iso.datetime(),
    is_read: z.boolean().meta({ description: "True once every participant other than the sender has read it." }),
    attachment: z.null().meta({ description: "Attachments are not supported; kept for the source clients." }),
    client_message_id: z.string().nullable(),
  })
  .meta({ id: "ChatMessage" });
export type ChatMessage = z.output<typeof ChatMessage>;

/** Server → client events. */
export interface MessageEvent {
  message: ChatMessage;
}
export interface TypingEvent {
  user_id: string;
  username: string;
  is_typing: boolean;
}
export interface ReadReceiptEvent {
  message_id: number;
  user_id: string;
  username: string;
  timestamp: string;
}
export interface UserStatusEvent {
  user_id: string;
  status: "online" | "offline";
}
export interface SyncReply {
  messages: ChatMessage[];
  /** True when more than CONVERSATION_SYNC_LIMIT messages were missed: sync again after the last one. */
  hasMore: boolean;
}

/** The conversation room's messages. `sync` is a request (see SyncReply) or a send answered by a `sync` event. */
export const ConversationMessage = {
  message: "message",
  typing: "typing",
  readReceipt: "read_receipt",
  sync: "sync",
} as const;

/** What each message carries (the payloads' zod schemas are above). */
export interface ConversationMessages {
  [ConversationMessage.message]: MessagePayload;
  [ConversationMessage.typing]: TypingPayload;
  [ConversationMessage.readReceipt]: ReadReceiptPayload;
  [ConversationMessage.sync]: SyncPayload;
}

export interface ConversationReplies {
  [ConversationMessage.message]: ChatMessage;
  [ConversationMessage.typing]: { ok: true };
  [ConversationMessage.readReceipt]: ReadReceiptEvent;
  [ConversationMessage.sync]: SyncReply;
}

/** What the conversation room sends its seats. */
export const ConversationEvent = {
  message: "message",
  typing: "typing",
  readReceipt: "read_receipt",
  userStatus: "user_status",
  sync: "sync",
  matchRemoved: "match_removed",
} as const;

export interface MatchRemovedEvent {
  matchId: string;
  conversationId: string;
}

export interface ConversationEvents {
  [ConversationEvent.message]: MessageEvent;
  [ConversationEvent.typing]: TypingEvent;
  [ConversationEvent.readReceipt]: ReadReceiptEvent;
  [ConversationEvent.userStatus]: UserStatusEvent;
  [ConversationEvent.sync]: SyncReply;
  [ConversationEvent.matchRemoved]: MatchRemovedEvent;
}

/** What the service publishes to a conversation's live room (on any process). */
export const ConversationTopicEvent = {
  message: "message",
  readReceipt: "read_receipt",
  /** A block now stands between these participants: their seats close. */
  accessEnded: "access_ended",
  matchRemoved: "match_removed",
} as const;

export interface ConversationTopicEvents {
  [ConversationTopicEvent.message]: MessageEvent;
  [ConversationTopicEvent.readReceipt]: ReadReceiptEvent;
  [ConversationTopicEvent.accessEnded]: { userIds: string[] };
  [ConversationTopicEvent.matchRemoved]: MatchRemovedEvent;
}

/** The topic a conversation's live room listens on (from any process). */
export const conversationTopic = (conversationId: string) =>
  topic<ConversationTopicEvents>(`conversation:${conversationId}`);
