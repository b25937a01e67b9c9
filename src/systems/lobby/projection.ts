import type { Friend } from "../social/friends";
import type { GameInvitation } from "./gameInvitations";
import { LobbyEvent, type LobbyEvents, type PresenceEvent } from "./protocol";
import { LobbyFriend, LobbyInvitation, type UserLobbyState } from "./UserLobbyState";

/**
 * How the lobby's state follows what the services hold: which delivered event implies which
 * reload, and how reloaded rows become schema. Pure: no I/O, only the state passed in.
 */

/** Events that may change the owner's unread count (space invites and matches write notifications too). */
const UNREAD_EVENTS = new Set<keyof LobbyEvents>([
  LobbyEvent.notification,
  LobbyEvent.notificationsChanged,
  LobbyEvent.invitationReceived,
  LobbyEvent.spaceInviteReceived,
  LobbyEvent.newMatch,
]);
const INVITATION_EVENTS = new Set<keyof LobbyEvents>([
  LobbyEvent.invitationReceived,
  LobbyEvent.invitationUpdated,
  LobbyEvent.invitationExpired,
  LobbyEvent.gameReady,
]);
/** Events after which the owner's unread conversation messages are recounted (a block ends a friendship too). */
const UNREAD_MESSAGE_EVENTS = new Set<keyof LobbyEvents>([
  LobbyEvent.conversationMessage,
  LobbyEvent.conversationRead,
  LobbyEvent.matchRemoved,
  LobbyEvent.newMatch,
  LobbyEvent.friendsChanged,
]);

/** What a delivered event makes the lobby reload before it forwards the event. */
export interface Reloads {
  friends: boolean;
  invitations: boolean;
  unread: boolean;
  unreadMessages: boolean;
}

export function reloadsFor(type: keyof LobbyEvents): Reloads {
  return {
    friends: type === LobbyEvent.friendsChanged,
    invitations: INVITATION_EVENTS.has(type),
    unread: UNREAD_EVENTS.has(type),
    unreadMessages: UNREAD_MESSAGE_EVENTS.has(type),
  };
}

/** A friend's presence changed: only a known friend, and only a well-formed event, changes anything. */
export function applyPresence(state: UserLobbyState, { userId, online, lastSeenAt }: Partial<PresenceEvent>): void {
  const friend = typeof userId === "string" ? state.friends.get(userId) : undefined;
  if (!friend || typeof online !== "boolean") return;
  friend.online = online;
  friend.lastSeenAt = online ? "" : typeof lastSeenAt === "string" ? lastSeenAt : friend.lastSeenAt;
}

/** The friends map becomes exactly `friends`, changing only what changed. */
export function syncFriends(state: UserLobbyState, friends: Friend[]): void {
  const ids = new Set(friends.map((f) => f.user.id));
  for (const id of [...state.friends.keys()]) if (!ids.has(id)) state.friends.delete(id);
  for (const { user, online, lastSeenAt } of friends) {
    const fields = { username: user.username, online, lastSeenAt: lastSeenAt ?? "" };
    const current = state.friends.get(user.id);
    if (current) Object.assign(current, fields);
    else state.friends.set(user.id, new LobbyFriend(fields));
  }
}

/** The `invitations` map holds pending invitations only; answered and expired ones leave it. */
export function syncInvitations(state: UserLobbyState, ownerId: string, pending: GameInvitation[]): void {
  const ids = new Set(pending.map((i) => i.id));
  for (const id of [...state.invitations.keys()]) if (!ids.has(id)) state.invitations.delete(id);
  for (const inv of pending) {
    const fields = {
      id: inv.id,
      direction: inv.sender.id === ownerId ? "sent" : "received",
      fromUserId: inv.sender.id,
      fromUsername: inv.sender.username,
      toUserId: inv.receiver.id,
      toUsername: inv.receiver.username,
      map: inv.map,
      status: inv.status,
      createdAt: inv.createdAt,
    };
    const current = state.invitations.get(inv.id);
    if (current) Object.assign(current, fields);
    else state.invitations.set(inv.id, new LobbyInvitation(fields));
  }
}
