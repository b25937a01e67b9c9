import { z } from "zod";
import { name, text, uuid } from "../../protocol/common";
import { pageQueryShape } from "../../http/paging";
import { topic } from "../../realtime/topic";
import { DIRECTIONS, type Position } from "./rules";
import type { InvitableUser, ReceivedInvite, SentInvite } from "./inviteRecords";

/**
 * Wire shapes of metaverse spaces (docs/PROTOCOL.md §2 `/api/spaces`, `/metaverse/invites/*`,
 * §3 `space`). MOVE has no zod schema on purpose: it is validated by `moveError` in
 * src/systems/space/rules.ts, which allocates nothing on the hot path.
 */

const coordinate = z.number(); // zod 4 refuses NaN and ±Infinity; bounds depend on the space

export const PositionSchema = z.object({
  x: coordinate,
  y: coordinate,
  direction: z.enum(DIRECTIONS),
});

/** `joinOrCreate("space", {spaceId, initialPosition?})`; bounds are checked once the space is loaded. */
export const SpaceJoinOptions = z.object({
  spaceId: uuid(),
  initialPosition: PositionSchema.optional(),
});
export type SpaceJoinOptions = z.infer<typeof SpaceJoinOptions>;

export const ACTION_MAX_CHARS = 32;

/** `ACTION {action}`: a short action name; "" clears it. */
export const ActionMessage = z.object({
  action: z
    .string()
    .max(ACTION_MAX_CHARS, `must be at most ${ACTION_MAX_CHARS} characters`)
    .transform((s) => s.trim()),
});

export const CHAT_SCOPES = ["space", "nearby"] as const;
export type ChatScope = (typeof CHAT_SCOPES)[number];

/**
 * `CHAT {text, scope?}`, at most CHAT_MAX_CHARS (configurable, so built by the room). Scope
 * "space" (the default) reaches everyone present; "nearby" only those in the sender's view.
 */
export const chatMessage = (maxChars: number) =>
  z.object({ text: text(maxChars), scope: z.enum(CHAT_SCOPES).default("space") });

/**
 * In the room the space is the room's; a `spaceId` may still be sent (the source client
 * does), and then it must be the room's own.
 */
export const SendInviteMessage = z.object({ toUserId: uuid(), spaceId: uuid().optional() });
export const InviteIdMessage = z.object({ notificationId: uuid() });

/**
 * Who can be invited: the caller's friends (optionally narrowed by `q`, part of a username),
 * or one user looked up by exact `username`. Paged like every list.
 */
export const InvitableUsersFilter = {
  q: z.string().trim().min(1).max(64).optional(),
  username: z.string().trim().min(1).max(64).optional(),
  ...pageQueryShape,
};
export const GetUsersMessage = z.object({ spaceId: uuid().optional(), ...InvitableUsersFilter });
export const GetInvitesMessage = z.object({ includeExpired: z.boolean().optional(), ...pageQueryShape });

// ---- REST ----

export const SPACE_MAX_CAPACITY = 1000;
export const SPACE_MAX_SIDE = 100_000;

const side = z.number().int().min(1).max(SPACE_MAX_SIDE);

export const CreateSpaceBody = z
  .object({
    name: name(100),
    capacity: z.number().int().min(1).max(SPACE_MAX_CAPACITY),
    width: side.optional(),
    height: side.optional(),
    /** Half the side of each avatar's square view; 0 = the whole space; absent = the server default. */
    viewRadius: z.number().int().min(0).max(SPACE_MAX_SIDE).optional(),
  })
  .strict();
export type CreateSpaceInput = z.infer<typeof CreateSpaceBody>;

export const SendInviteBody = z.object({ toUserId: uuid(), spaceId: uuid() }).strict();
export const NotificationIdParams = z.object({ notificationId: uuid() });
export const SpaceIdParams = z.object({ spaceId: uuid() });
export const InvitableUsersQuery = z.object(InvitableUsersFilter).strict();
export const MyInvitesQuery = z
  .object({
    includeExpired: z
      .enum(["true", "false", "1", "0"])
      .optional()
      .transform((v) => v === "true" || v === "1"),
    ...pageQueryShape,
  })
  .strict();

/** `PATCH /api/spaces/:id`: any of the settings; capacity never below the member count. */
export const UpdateSpaceBody = z
  .object({
    name: name(100).optional(),
    capacity: z.number().int().min(1).max(SPACE_MAX_CAPACITY).optional(),
    width: side.optional(),
    height: side.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "body: give at least one of name, capacity, width, height");
export type UpdateSpaceInput = z.infer<typeof UpdateSpaceBody>;

export const SpaceParams = z.object({ id: uuid() });
export const SpaceMemberParams = z.object({ id: uuid(), userId: uuid() });
export const MemberRoleBody = z.object({ role: z.enum(["admin", "member"]) }).strict();
export const MembersQuery = z.object(pageQueryShape).strict();

/** The room's registered name (src/app.config.ts). */
export const SPACE_ROOM = "space";

/** The space room's messages (docs/PROTOCOL.md §3 `space`). */
export const SpaceMessage = {
  move: "MOVE",
  action: "ACTION",
  chat: "CHAT",
  sendInvite: "SEND_INVITE",
  acceptInvite: "ACCEPT_INVITE",
  declineInvite: "DECLINE_INVITE",
  getUsers: "GET_USERS",
  getInvites: "GET_INVITES",
} as const;

/** What each message carries (MOVE: see rules.ts `moveError`; the others' zod schemas are above). */
export interface SpaceMessages {
  [SpaceMessage.move]: Position;
  [SpaceMessage.action]: z.input<typeof ActionMessage>;
  [SpaceMessage.chat]: z.input<ReturnType<typeof chatMessage>>;
  [SpaceMessage.sendInvite]: z.input<typeof SendInviteMessage>;
  [SpaceMessage.acceptInvite]: z.input<typeof InviteIdMessage>;
  [SpaceMessage.declineInvite]: z.input<typeof InviteIdMessage>;
  [SpaceMessage.getUsers]: z.input<typeof GetUsersMessage>;
  [SpaceMessage.getInvites]: z.input<typeof GetInvitesMessage>;
}

/** Requests answer the REST route's `data`, not its envelope. */
export interface SpaceReplies {
  [SpaceMessage.sendInvite]: { invite: SentInvite };
  [SpaceMessage.acceptInvite]: { space: { id: string; name: string } };
  [SpaceMessage.declineInvite]: { space: { id: string; name: string } };
  [SpaceMessage.getUsers]: { users: InvitableUser[]; count: number; nextCursor: string | null };
  [SpaceMessage.getInvites]: { invites: ReceivedInvite[]; count: number; nextCursor: string | null };
}

/** What the space room sends its seats. */
export const SpaceEvent = {
  userJoined: "USER_JOINED",
  userLeft: "USER_LEFT",
  action: "ACTION",
  chat: "CHAT",
  removed: "REMOVED",
  spaceUpdated: "SPACE_UPDATED",
  spaceDeleted: "SPACE_DELETED",
} as const;

export interface ChatEvent {
  spaceId: string;
  userId: string;
  username: string;
  text: string;
  scope: ChatScope;
  timestamp: string;
}

export interface SpaceEvents {
  [SpaceEvent.userJoined]: { spaceId: string; userId: string; username: string; position: Position };
  [SpaceEvent.userLeft]: { spaceId: string; userId: string };
  [SpaceEvent.action]: { spaceId: string; userId: string; username: string; action: string };
  [SpaceEvent.chat]: ChatEvent;
  [SpaceEvent.removed]: { spaceId: string; reason: "removed" | "left" };
  [SpaceEvent.spaceUpdated]: { spaceId: string; name: string; capacity: number; width: number; height: number };
  [SpaceEvent.spaceDeleted]: { spaceId: string };
}

/** Events the REST side sends to a space's live room (over delivery topics, any process). */
export const SpaceTopicEvent = {
  memberRemoved: "MEMBER_REMOVED",
  spaceUpdated: "SPACE_UPDATED",
  spaceDeleted: "SPACE_DELETED",
} as const;

export interface SpaceTopicEvents {
  [SpaceTopicEvent.memberRemoved]: { userId: string; reason: "removed" | "left" };
  [SpaceTopicEvent.spaceUpdated]: { name: string; capacity: number; width: number; height: number };
  [SpaceTopicEvent.spaceDeleted]: Record<string, never>;
}

export const spaceTopic = (spaceId: string) => topic<SpaceTopicEvents>(`space:${spaceId}`);
