import { ServerError } from "@colyseus/core";
import { z } from "zod";
import { AppError } from "../../errors";
import {
  DEFAULT_TARGET_SCORE,
  MAX_TARGET_SCORE,
  MAX_TURN_SECONDS,
  MIN_TARGET_SCORE,
  MIN_TURN_SECONDS,
  type EndReason,
} from "./game";
import { describeZodError, name } from "../../protocol/common";

/** Wire shapes of the `bigger_dice` room (docs/PROTOCOL.md §3). */

export const ROOM_NAME_MAX = 64;
export const TARGET_SCORE_MESSAGE = `targetScore must be between ${MIN_TARGET_SCORE} and ${MAX_TARGET_SCORE}`;

const RoomName = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .pipe(name(ROOM_NAME_MAX));

const TargetScore = z.number().int().min(MIN_TARGET_SCORE).max(MAX_TARGET_SCORE);
/** Seconds per turn before the server rolls for the player (DICE_TURN_SECONDS when absent). */
const TurnSeconds = z.number().int().min(MIN_TURN_SECONDS).max(MAX_TURN_SECONDS);

/**
 * What a client may pass to `create/join/joinById("bigger_dice", …)`. Strict: anything else
 * (notably the server-only `allowedPlayerIds`/`invitationId` of invitation rooms) is refused,
 * so a client cannot forge a private room. `token` is the base's alternative to the SDK's auth.
 */
export const DiceJoinOptions = z
  .object({
    roomName: RoomName.optional(),
    targetScore: TargetScore.optional(),
    turnSeconds: TurnSeconds.optional(),
    /** Quick match: seat me with whoever is waiting, or open a waiting room (docs/PROTOCOL.md §3). */
    quick: z.literal(true).optional(),
    spectate: z.boolean().optional(),
    token: z.string().optional(),
  })
  .strict();
export type DiceJoinOptions = z.infer<typeof DiceJoinOptions>;

/** Client join options, refused with 400 naming the field; a bad targetScore gets the contract's exact message. */
export function parseDiceJoinOptions(options: unknown): DiceJoinOptions {
  const parsed = DiceJoinOptions.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const targetScore = parsed.error.issues.some((i) => i.path[0] === "targetScore");
  throw new AppError("INVALID_MESSAGE", targetScore ? TARGET_SCORE_MESSAGE : describeZodError(parsed.error));
}

/**
 * What `onCreate` receives: a client's create options (already checked by onAuth), or the
 * options `GamesService.createPrivateRoom` passes for an accepted game invitation.
 */
export const DiceCreateOptions = z.object({
  roomName: RoomName,
  targetScore: TargetScore.default(DEFAULT_TARGET_SCORE),
  turnSeconds: TurnSeconds.optional(),
  quick: z.literal(true).optional(),
  invitationId: z.string().min(1).max(64).optional(),
  map: z.string().max(64).optional(),
  allowedPlayerIds: z.tuple([z.string(), z.string()]).optional(),
});
export type DiceCreateOptions = z.infer<typeof DiceCreateOptions>;

/**
 * `onCreate`'s options, refused with 400: a quick room without a name is named after its id,
 * and `turnSeconds` defaults to `defaultTurnSeconds` (DICE_TURN_SECONDS).
 */
export function parseDiceCreateOptions(
  options: unknown,
  roomId: string,
  defaultTurnSeconds: number,
): DiceCreateOptions & { turnSeconds: number } {
  const given = (options ?? {}) as { quick?: unknown; roomName?: unknown };
  const named =
    given.quick === true && given.roomName === undefined ? { ...given, roomName: quickRoomName(roomId) } : given;
  const parsed = DiceCreateOptions.safeParse(named);
  // A ServerError: Colyseus answers a failed create with the error's own code.
  if (!parsed.success) throw new ServerError(400, describeZodError(parsed.error));
  return { ...parsed.data, turnSeconds: parsed.data.turnSeconds ?? defaultTurnSeconds };
}

/**
 * `ready` and `roll` carry nothing. The seed product's clients sent `user_id` and `room_id`
 * with them; those are accepted and ignored (the server knows both), anything else is refused.
 */
export const NoPayload = z
  .object({
    user_id: z.union([z.string().max(64), z.number()]).optional(),
    room_id: z.string().max(64).optional(),
  })
  .strict();

/** A player as the seed product's events carry it (`room_joined.player`, `game_started.players`). */
export interface WirePlayer {
  user_id: string;
  username: string;
  avatar_id: string | null;
  score: number;
  is_ready: boolean;
}

/** `[id, username, score]` for each player, in seat order. */
export type FinalScores = Array<[string, string, number]>;

/** Room listing metadata (GET /api/rooms/bigger_dice). */
export interface DiceRoomMetadata {
  roomName: string;
  status: string;
  players: number;
  spectators: number;
  /** Set on quick-match rooms (they admit their two players only). */
  quick?: true;
}

/** A quick-match room's name (it has none of its own). */
export const quickRoomName = (id: string) => `Quick match ${id.slice(0, 8)}`;

/** The messages the room accepts (none takes a payload: see NoPayload). None replies with a value. */
export const DiceMessage = {
  ready: "ready",
  roll: "roll",
  /** The seed product's name for `roll`. */
  rollAlias: "bigger_dice.roll",
  /** After `game_ended`. */
  rematch: "rematch",
} as const;

/** What each message carries: nothing (the seed product's `{user_id, room_id}` is accepted and ignored). */
export interface DiceMessages {
  [DiceMessage.ready]: z.input<typeof NoPayload> | undefined;
  [DiceMessage.roll]: z.input<typeof NoPayload> | undefined;
  [DiceMessage.rollAlias]: z.input<typeof NoPayload> | undefined;
  [DiceMessage.rematch]: z.input<typeof NoPayload> | undefined;
}

/** The events the room sends (docs/PROTOCOL.md §3), with the seed product's names and shapes. */
export const DiceEvent = {
  roomJoined: "room_joined",
  playerLeft: "player_left",
  playerDisconnected: "player_disconnected",
  playerRejoined: "player_rejoined",
  playerReady: "player_ready",
  spectatorJoined: "spectator_joined",
  spectatorLeft: "spectator_left",
  gameStarted: "game_started",
  turnChanged: "turn_changed",
  rolled: "bigger_dice.rolled",
  roundResult: "bigger_dice.round_result",
  gameEnded: "game_ended",
  rematchRequested: "rematch_requested",
  rematchLapsed: "rematch_lapsed",
} as const;

interface RoomRef {
  room_id: string;
}
interface UserRef extends RoomRef {
  user_id: string;
}
interface NamedUser extends UserRef {
  username: string;
}

export interface DiceEvents {
  [DiceEvent.roomJoined]: RoomRef & { room_name: string; player: WirePlayer };
  [DiceEvent.playerLeft]: NamedUser;
  [DiceEvent.playerDisconnected]: UserRef;
  [DiceEvent.playerRejoined]: NamedUser;
  [DiceEvent.playerReady]: NamedUser;
  [DiceEvent.spectatorJoined]: NamedUser;
  [DiceEvent.spectatorLeft]: NamedUser;
  /** The first turn is `first_turn` (no `turn_changed` at the start). */
  [DiceEvent.gameStarted]: RoomRef & { players: WirePlayer[]; first_turn: string | null };
  [DiceEvent.turnChanged]: RoomRef & { current_turn: string | null; turn_number: number; turn_ends_at: number | null };
  /** `auto: true` when the server rolled for a player whose clock ran out (a player's own roll has none). */
  [DiceEvent.rolled]: RoomRef & {
    player_id: string;
    player_username: string;
    roll: number;
    new_score: number;
    auto?: true;
  };
  /** For the round a roll completed. */
  [DiceEvent.roundResult]: RoomRef & {
    player1_id: string;
    player1_roll: number;
    player2_id: string;
    player2_roll: number | null;
    winner_id: string | null;
    is_tie: boolean;
  };
  [DiceEvent.gameEnded]: RoomRef & {
    winner_id: string | null;
    winner_username: string | null;
    final_scores: FinalScores;
    reason: EndReason | null;
  };
  [DiceEvent.rematchRequested]: NamedUser;
  [DiceEvent.rematchLapsed]: UserRef;
}
