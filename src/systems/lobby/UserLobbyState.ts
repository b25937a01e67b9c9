import { schema, t, type SchemaType } from "@colyseus/schema";

/** A friend as the lobby shows them: online while any of their devices is in their lobby. */
export const LobbyFriend = schema(
  {
    username: t.string(),
    online: t.boolean().default(false),
    /** When their last device left (ISO 8601), while offline; "" when online or never seen. */
    lastSeenAt: t.string().default(""),
  },
  "LobbyFriend",
);
export type LobbyFriend = SchemaType<typeof LobbyFriend>;

/** A pending game invitation the owner sent or received. */
export const LobbyInvitation = schema(
  {
    id: t.string(),
    direction: t.string(), // "sent" | "received"
    fromUserId: t.string(),
    fromUsername: t.string(),
    toUserId: t.string(),
    toUsername: t.string(),
    map: t.string(),
    status: t.string(),
    createdAt: t.string(), // ISO 8601
  },
  "LobbyInvitation",
);
export type LobbyInvitation = SchemaType<typeof LobbyInvitation>;

/** `user_lobby` state (docs/PROTOCOL.md §3): only the owner's devices ever see it. */
export const UserLobbyState = schema(
  {
    unread: t.number().default(0),
    /** Unread conversation messages, across the owner's open conversations. */
    unreadMessages: t.number().default(0),
    friends: t.map(LobbyFriend),
    invitations: t.map(LobbyInvitation),
  },
  "UserLobbyState",
);
export type UserLobbyState = SchemaType<typeof UserLobbyState>;
