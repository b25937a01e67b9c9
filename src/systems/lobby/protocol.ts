import { z } from "zod";
import { name } from "../../protocol/common";
import type { NotificationStatus } from "./notifications";
import type { MatchView } from "../conversation/matching";
import type { FriendshipEnd } from "../social/friends";

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
  friendRequest: "friend_request",
  friendRequestUpdated: "friend_request_updated",
  spaceInviteReceived: "INVITE_RECEIVED",
  spaceInviteAccepted: "INVITE_ACCEPTED",
  spaceInviteDeclined: "INVITE_DECLINED",
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

// ---- Message table and the rest of the event table (src/realtime/events.ts; docs/PROTOCOL.md §3 `user_lobby`) ----

export const LobbyMessage = {
  sendInvitation: "game_invitation:send",
  acceptInvitation: "game_invitation:accept",
  declineInvitation: "game_invitation:decline",
  readNotifications: "notifications:read",
  dismissNotifications: "notifications:dismiss",
} as const;

export interface LobbyMessages {
  [LobbyMessage.sendInvitation]: z.input<typeof SendInvitation>;
  [LobbyMessage.acceptInvitation]: z.input<typeof AnswerInvitation>;
  [LobbyMessage.declineInvitation]: z.input<typeof AnswerInvitation>;
  [LobbyMessage.readNotifications]: z.input<typeof NotificationIds>;
  [LobbyMessage.dismissNotifications]: z.input<typeof NotificationIds>;
}

export interface LobbyReplies {
  [LobbyMessage.sendInvitation]: { invitationId: string };
  [LobbyMessage.acceptInvitation]: GameReadyEvent;
}

/** `notification`: a stored notification, pushed live in the source product's format. */
export interface NotificationEvent {
  id: string;
  /** The notification's kind: game_invitation, space_invite, new_match, … */
  type: string;
  avatar: string | null;
  message: string;
  timestamp: string;
  isNew: boolean;
  senderUsername: string | null;
}

interface UserRef {
  id: string;
  username: string;
}
interface SpaceRef {
  id: string;
  name: string;
}

/** `INVITE_RECEIVED`: a space invite (its id is the notification id to accept or decline). */
export interface SpaceInviteReceivedEvent {
  invite: { id: string; fromUser: UserRef; space: SpaceRef; expiresAt: string };
}
/** `INVITE_ACCEPTED` / `INVITE_DECLINED`, to the sender; `user` answered. */
export interface SpaceInviteAnsweredEvent {
  invite: { id: string; space: SpaceRef; outcome: "accepted" | "declined" };
  user: UserRef;
}

export interface NewMatchEvent {
  type: "new_match";
  data: { type: "new_match"; match: MatchView; conversation_id: string };
}

export interface LobbyEvents {
  [LobbyEvent.notification]: NotificationEvent;
  [LobbyEvent.notificationsChanged]: { ids: string[]; status: NotificationStatus };
  [LobbyEvent.presence]: PresenceEvent;
  [LobbyEvent.friendsChanged]: { friendshipId: string; status?: "removed" };
  [LobbyEvent.invitationReceived]: InvitationReceivedEvent;
  [LobbyEvent.invitationUpdated]: InvitationUpdatedEvent;
  [LobbyEvent.gameReady]: GameReadyEvent;
  [LobbyEvent.invitationExpired]: { invitationId: string };
  [LobbyEvent.conversationMessage]: ConversationMessageEvent;
  [LobbyEvent.conversationRead]: { conversationId: string; messageId: number };
  [LobbyEvent.matchRemoved]: { matchId: string; conversationId: string };
  [LobbyEvent.newMatch]: NewMatchEvent;
  [LobbyEvent.friendRequest]: { id: string; from: UserRef };
  [LobbyEvent.friendRequestUpdated]: { id: string; status: FriendshipEnd };
  [LobbyEvent.spaceInviteReceived]: SpaceInviteReceivedEvent;
  [LobbyEvent.spaceInviteAccepted]: SpaceInviteAnsweredEvent;
  [LobbyEvent.spaceInviteDeclined]: SpaceInviteAnsweredEvent;
}
