import { z } from "zod";
import { name } from "../../protocol/common";

/** `user_lobby` client messages (docs/PROTOCOL.md §3). */

const userId = z.string({ error: "must be a user id" }).uuid("must be a user id");
const invitationId = z.string({ error: "must be an invitation id" }).uuid("must be an invitation id");

export const MAP_MAX_CHARS = 64;
/** At most this many notification ids in one read/dismiss. */
export const NOTIFICATION_IDS_MAX = 100;

export const SendInvitation = z.object({
  toUserId: userId,
  map: name(MAP_MAX_CHARS),
});
export type SendInvitation = z.infer<typeof SendInvitation>;

export const AnswerInvitation = z.object({ invitationId });
export type AnswerInvitation = z.infer<typeof AnswerInvitation>;

export const NotificationIds = z.object({
  ids: z
    .array(z.string().uuid("must be notification ids"))
    .min(1, "must list at least one id")
    .max(NOTIFICATION_IDS_MAX, `must list at most ${NOTIFICATION_IDS_MAX} ids`),
});
export type NotificationIds = z.infer<typeof NotificationIds>;

/** Server → client event names that the lobby treats specially (every delivered event is forwarded). */
export const LobbyEvent = {
  notification: "notification",
  notificationsChanged: "notifications_changed",
  presence: "presence",
  friendsChanged: "friends_changed",
  invitationReceived: "game_invitation_received",
  invitationUpdated: "game_invitation_updated",
  gameReady: "game_ready",
  invitationExpired: "game_invitation_expired",
  conversationMessage: "conversation_message",
  conversationRead: "conversation_read",
  matchRemoved: "match_removed",
  newMatch: "new_match",
} as const;

/** `game_invitation_received`: exactly the source product's fields, plus the id to answer with. */
export interface InvitationReceivedEvent {
  invitationId: string;
  sender_username: string;
  sender_image: string | null;
  map: string;
  friendship_id: string;
}

export interface InvitationUpdatedEvent {
  invitationId: string;
  status: "accepted" | "declined" | "expired";
}

export interface GameReadyEvent {
  invitationId: string;
  roomId: string;
  map: string;
}

export interface PresenceEvent {
  userId: string;
  online: boolean;
  /** Only when offline: when their last device left (ISO 8601). */
  lastSeenAt?: string | null;
}

/** `conversation_message`: a message in a conversation whose room the user has no seat in. */
export interface ConversationMessageEvent {
  conversationId: string;
  messageId: number;
  from: { id: string; username: string };
  /** The message's first 100 characters. */
  preview: string;
  /** The receiver's unread messages in this conversation. */
  unreadCount: number;
}
