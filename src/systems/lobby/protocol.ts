import { z } from "zod";
import { name } from "../../protocol/common";
import type { UserCard } from "../conversation/protocol";

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

/**
 * Every event delivered to a user's lobby (`delivery.toUser`, from any service or process),
 * which forwards each one to all of the user's devices. The names are the source products'
 * (hence four spellings); this table is the only place they are written.
 */
export const LobbyEvent = {
  notification: "notification",
  notificationsChanged: "notifications_changed",
  presence: "presence",
  friendRequest: "friend_request",
  friendRequestUpdated: "friend_request_updated",
  friendsChanged: "friends_changed",
  invitationReceived: "game_invitation_received",
  invitationUpdated: "game_invitation_updated",
  gameReady: "game_ready",
  invitationExpired: "game_invitation_expired",
  spaceInviteReceived: "INVITE_RECEIVED",
  spaceInviteAccepted: "INVITE_ACCEPTED",
  spaceInviteDeclined: "INVITE_DECLINED",
  conversationMessage: "conversation_message",
  conversationRead: "conversation_read",
  matchRemoved: "match_removed",
  newMatch: "new_match",
} as const;

/** The lobby's messages (requests; see LobbyReplies). */
export const LobbyMessage = {
  sendInvitation: "game_invitation:send",
  acceptInvitation: "game_invitation:accept",
  declineInvitation: "game_invitation:decline",
  readNotifications: "notifications:read",
  dismissNotifications: "notifications:dismiss",
} as const;

/** What each message carries (the payloads' zod schemas are above). */
export interface LobbyMessages {
  [LobbyMessage.sendInvitation]: z.input<typeof SendInvitation>;
  [LobbyMessage.acceptInvitation]: z.input<typeof AnswerInvitation>;
  [LobbyMessage.declineInvitation]: z.input<typeof AnswerInvitation>;
  [LobbyMessage.readNotifications]: z.input<typeof NotificationIds>;
  [LobbyMessage.dismissNotifications]: z.input<typeof NotificationIds>;
}

export interface LobbyReplies {
  [LobbyMessage.sendInvitation]: { invitationId: string };
  [LobbyMessage.acceptInvitation]: { invitationId: string; roomId: string; map: string };
  [LobbyMessage.declineInvitation]: { ok: true };
  [LobbyMessage.readNotifications]: { ok: true };
  [LobbyMessage.dismissNotifications]: { ok: true };
}

/** `notification`: a stored notification pushed live, in the source's format. */
export interface NotificationEvent {
  id: string;
  type: string;
  avatar: string | null;
  message: string;
  timestamp: string;
  isNew: boolean;
  senderUsername: string | null;
}

export interface NotificationsChangedEvent {
  ids: string[];
  status: "unread" | "read" | "dismissed";
}

export interface FriendRequestEvent {
  id: string;
  from: { id: string; username: string };
}

export interface FriendRequestUpdatedEvent {
  id: string;
  status: "declined" | "cancelled" | "removed";
}

export interface FriendsChangedEvent {
  friendshipId: string;
  /** Only when a friendship ended. */
  status?: "removed";
}

export interface InvitationExpiredEvent {
  invitationId: string;
}

interface SpaceRef {
  id: string;
  name: string;
}

/** `INVITE_RECEIVED`: a space invite (metaverse). */
export interface SpaceInviteReceivedEvent {
  invite: { id: string; fromUser: { id: string; username: string }; space: SpaceRef; expiresAt: string };
}

/** `INVITE_ACCEPTED` / `INVITE_DECLINED`, to the invite's sender. */
export interface SpaceInviteAnsweredEvent {
  invite: { id: string; space: SpaceRef; outcome: "accepted" | "declined" };
  user: { id: string; username: string };
}

export interface ConversationReadEvent {
  conversationId: string;
  messageId: number;
}

export interface MatchRemovedEvent {
  matchId: string;
  conversationId: string | null;
}

/** `new_match`, in the dating product's envelope; `match.user` is the other user. */
export interface NewMatchEvent {
  type: "new_match";
  data: {
    type: "new_match";
    match: { id: string; user: UserCard; created_at: string };
    conversation_id: string;
  };
}

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

export interface LobbyEvents {
  [LobbyEvent.notification]: NotificationEvent;
  [LobbyEvent.notificationsChanged]: NotificationsChangedEvent;
  [LobbyEvent.presence]: PresenceEvent;
  [LobbyEvent.friendRequest]: FriendRequestEvent;
  [LobbyEvent.friendRequestUpdated]: FriendRequestUpdatedEvent;
  [LobbyEvent.friendsChanged]: FriendsChangedEvent;
  [LobbyEvent.invitationReceived]: InvitationReceivedEvent;
  [LobbyEvent.invitationUpdated]: InvitationUpdatedEvent;
  [LobbyEvent.gameReady]: GameReadyEvent;
  [LobbyEvent.invitationExpired]: InvitationExpiredEvent;
  [LobbyEvent.spaceInviteReceived]: SpaceInviteReceivedEvent;
  [LobbyEvent.spaceInviteAccepted]: SpaceInviteAnsweredEvent;
  [LobbyEvent.spaceInviteDeclined]: SpaceInviteAnsweredEvent;
  [LobbyEvent.conversationMessage]: ConversationMessageEvent;
  [LobbyEvent.conversationRead]: ConversationReadEvent;
  [LobbyEvent.matchRemoved]: MatchRemovedEvent;
  [LobbyEvent.newMatch]: NewMatchEvent;
}

export type LobbyEventName = keyof LobbyEvents;
