/**
 * The wire contract as the client sees it, taken from the server's own tables (no copies):
 * the name tables are values (the bundler keeps only them, see build/protocolNames.ts), all the
 * rest are types, erased at build and bundled into the package's .d.ts.
 */
export { RoomEvent, RoomMessage } from "../../src/realtime/events";
export { LobbyEvent, LobbyMessage } from "../../src/systems/lobby/protocol";
export { DiceEvent, DiceMessage } from "../../src/systems/biggerDice/protocol";
export { SpaceEvent, SpaceMessage } from "../../src/systems/space/protocol";
export { TriviaEvent, TriviaMessage } from "../../src/systems/trivia/protocol";
export { ConversationEvent, ConversationMessage } from "../../src/systems/conversation/protocol";

import type { RoomEvents, Sequenced } from "../../src/realtime/events";
import type { LobbyEvents, LobbyMessages, LobbyReplies } from "../../src/systems/lobby/protocol";
import type { DiceEvents, DiceJoinOptions, DiceMessages } from "../../src/systems/biggerDice/protocol";
import type { SpaceEvents, SpaceMessages, SpaceReplies } from "../../src/systems/space/protocol";
import type { TriviaEvents, TriviaMessages } from "../../src/systems/trivia/protocol";
import type {
  ConversationEvents,
  ConversationMessages,
  ConversationReplies,
  ChatMessage,
} from "../../src/systems/conversation/protocol";
import type { UserLobbyState } from "../../src/systems/lobby/UserLobbyState";
import type { BiggerDiceState } from "../../src/systems/biggerDice/BiggerDiceState";
import type { SpaceState } from "../../src/systems/space/SpaceState";
import type { TriviaState } from "../../src/systems/trivia/TriviaState";
import type { ConversationState } from "../../src/systems/conversation/ConversationState";
import type { Notification } from "../../src/systems/lobby/notifications";
import type { LobbyInvitation } from "../../src/systems/lobby/UserLobbyState";

export type { RoomEvents, Sequenced, ChatMessage, Notification, LobbyInvitation };
export type { ErrorCode } from "../../src/errors";
export type { Page } from "../../src/http/paging";
export type { User } from "../../src/systems/identity/users";
export type { AuthSession } from "../../src/systems/identity/auth.routes";
export type { Position, Direction } from "../../src/systems/space/rules";
/** Each system's payload types, by system (names repeat across systems: `Trivia.ChatMessage`). */
export type * as Lobby from "../../src/systems/lobby/protocol";
export type * as Dice from "../../src/systems/biggerDice/protocol";
export type * as Space from "../../src/systems/space/protocol";
export type * as Trivia from "../../src/systems/trivia/protocol";
export type * as Conversation from "../../src/systems/conversation/protocol";
export type { UserLobbyState, BiggerDiceState, SpaceState, TriviaState, ConversationState };

/** One room kind's tables: what it accepts, what it sends, what its requests reply, its state. */
export interface RoomSpec {
  messages: object;
  events: object;
  replies: object;
  state: unknown;
}

export interface LobbySpec {
  messages: LobbyMessages;
  events: LobbyEvents;
  replies: LobbyReplies;
  state: UserLobbyState;
}
export interface DiceSpec {
  messages: DiceMessages;
  events: DiceEvents;
  replies: Record<never, never>;
  state: BiggerDiceState;
}
export interface SpaceSpec {
  messages: SpaceMessages;
  events: SpaceEvents;
  replies: SpaceReplies;
  state: SpaceState;
}
export interface TriviaSpec {
  messages: TriviaMessages;
  events: TriviaEvents;
  replies: Record<never, never>;
  state: TriviaState;
}
export interface ConversationSpec {
  messages: ConversationMessages;
  events: ConversationEvents;
  replies: ConversationReplies;
  state: ConversationState;
}

/** Every event a room of spec `S` may deliver: its own and the base's (`error`, `pong`, `events_lost`). */
export type EventsOf<S extends RoomSpec> = S["events"] & RoomEvents;
export type EventNameOf<S extends RoomSpec> = keyof EventsOf<S> & string;
export type MessageNameOf<S extends RoomSpec> = keyof S["messages"] & string;
/** What `request(type)` resolves with: the room's reply, or the base's `{ ok: true }`. */
export type ReplyOf<S extends RoomSpec, K> = K extends keyof S["replies"] ? S["replies"][K] : { ok: true };
/** A payload argument that may be left out when the message takes none. */
export type PayloadArgs<P> = undefined extends P ? [payload?: P] : [payload: P];
export type EventHandler<P> = (payload: Sequenced<P>) => void;

/** How to join `bigger_dice` (docs/PROTOCOL.md §3): quick match, by room id, by name, or create. */
export type DiceJoin =
  | { quick: true }
  | { roomId: string; spectate?: boolean }
  | { roomName: string; spectate?: boolean }
  | { create: Required<Pick<DiceJoinOptions, "roomName">> & Pick<DiceJoinOptions, "targetScore" | "turnSeconds"> };

/** What `onRecovered` tells the app after `events_lost` or a seq gap. */
export interface RecoveryBase {
  reason: "events_lost" | "gap";
  /** How many events were missed (as the server counted them, or the size of the gap). */
  missed: number;
}
/** Conversations: every stored message after the last one this client saw, by `sync`. */
export interface ConversationRecovery extends RecoveryBase {
  messages: ChatMessage[];
}
/** Lobby: the unread notifications (REST) and the pending invitations (state) as they are now. */
export interface LobbyRecovery extends RecoveryBase {
  notifications: Notification[];
  invitations: LobbyInvitation[];
}
/** Rooms whose state is the whole truth (dice, space, trivia): the state as it is now. */
export interface StateRecovery<State> extends RecoveryBase {
  state: State;
}
