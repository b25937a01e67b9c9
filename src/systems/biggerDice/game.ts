import { AppError } from "../../errors";
import type { Dice } from "./dice";

/**
 * A match of Bigger Dice as an immutable value: seats, readiness, scores, turns, rounds, the
 * turn's deadline and how it ended. The rules of play over it are in match.ts; the room's
 * whole value (the match, who sits and who watches) is rules.ts's `DiceTable`.
 */

export const DEFAULT_TARGET_SCORE = 10;
export const MIN_TARGET_SCORE = 1;
export const MAX_TARGET_SCORE = 100;
export const PLAYER_SEATS = 2;
/** A turn's clock (`turnSeconds`): DICE_TURN_SECONDS by default, per room within these bounds. */
export const DEFAULT_TURN_SECONDS = 30;
export const MIN_TURN_SECONDS = 5;
export const MAX_TURN_SECONDS = 300;

export type GameStatus = "waiting" | "in_progress" | "finished" | "abandoned";
/**
 * Why a game ended: `inactive` is a forfeit after too many missed turns; `server_shutdown` is
 * an abandonment caused by the server stopping.
 */
export type EndReason = "win" | "forfeit" | "inactive" | "abandoned" | "server_shutdown";

/** The turn that was open when the server stopped (kept with the stored game). */
export interface PendingTurn {
  userId: string;
  turnNumber: number;
  /** Epoch ms; null when the clock was paused (the player was away). */
  turnEndsAt: number | null;
}

export interface RollRecord {
  turn: number;
  round: number;
  userId: string;
  roll: number;
}

/** The round in play, or the last one played: player1 is whoever rolled first in it. */
export interface Round {
  number: number;
  player1Id: string;
  player1Roll: number;
  player2Id: string;
  /** null until the second roll of the round. */
  player2Roll: number | null;
  winnerId: string | null;
  isTie: boolean;
  complete: boolean;
}

export interface DiceGame {
  readonly status: GameStatus;
  readonly targetScore: number;
  /** Player ids in seat (join) order; at most two. */
  readonly seats: readonly string[];
  readonly ready: readonly string[];
  readonly scores: Readonly<Record<string, number>>;
  readonly currentTurn: string | null;
  /** 1 for the first roll of the game, then one more after every roll. */
  readonly turnNumber: number;
  readonly round: Round | null;
  readonly rolls: readonly RollRecord[];
  /**
   * Players who left for good during play while their opponent was away too. Their forfeit
   * goes to the opponent when the opponent returns; if the opponent never does, the game is
   * abandoned.
   */
  readonly gone: readonly string[];
  readonly winnerId: string | null;
  readonly endReason: EndReason | null;
  /** Seconds each turn lasts before the server rolls for the player. */
  readonly turnSeconds: number;
  /** When the current turn runs out (epoch ms); null while no clock runs (not in play, or the player is away). */
  readonly turnEndsAt: number | null;
  /** Consecutive turns the server rolled for each player; a roll of their own resets it. */
  readonly missedTurns: Readonly<Record<string, number>>;
  /** Players who asked for a rematch of the game that just ended. */
  readonly rematchRequests: readonly string[];
  /** A player left after the game ended: no rematch is possible any more. */
  readonly rematchClosed: boolean;
  /** Set when the server stopped mid-game: the turn that was open. */
  readonly pendingTurn: PendingTurn | null;
}

export function newGame(targetScore = DEFAULT_TARGET_SCORE, turnSeconds = DEFAULT_TURN_SECONDS): DiceGame {
  if (!Number.isInteger(targetScore) || targetScore < MIN_TARGET_SCORE || targetScore > MAX_TARGET_SCORE) {
    throw new AppError("INVALID_MESSAGE", `targetScore must be between ${MIN_TARGET_SCORE} and ${MAX_TARGET_SCORE}`);
  }
  if (!Number.isInteger(turnSeconds) || turnSeconds < MIN_TURN_SECONDS || turnSeconds > MAX_TURN_SECONDS) {
    throw new AppError("INVALID_MESSAGE", `turnSeconds must be between ${MIN_TURN_SECONDS} and ${MAX_TURN_SECONDS}`);
  }
  return {
    status: "waiting",
    targetScore,
    turnSeconds,
    turnEndsAt: null,
    missedTurns: {},
    rematchRequests: [],
    rematchClosed: false,
    pendingTurn: null,
    seats: [],
    ready: [],
    scores: {},
    currentTurn: null,
    turnNumber: 0,
    round: null,
    rolls: [],
    gone: [],
    winnerId: null,
    endReason: null,
  };
}

export const isPlayer = (game: DiceGame, userId: string): boolean => game.seats.includes(userId);

export function opponentOf(game: DiceGame, userId: string): string | null {
  return game.seats.find((id) => id !== userId) ?? null;
}

export const isOver = (game: DiceGame): boolean => game.status === "finished" || game.status === "abandoned";

// ---- the table: the room's whole value -------------------------------------------------

/** Spectators a room admits (counted per seat), apart from the two player seats. */
export const MAX_SPECTATORS = 50;

export interface TablePlayer {
  readonly username: string;
  /** "" when the user has none. */
  readonly avatarUrl: string;
  readonly connected: boolean;
}

export interface DiceTable {
  readonly roomName: string;
  /** The game invitation a private room was made for. */
  readonly invitationId: string | null;
  /** A private invitation room's two users: the only ones it admits. */
  readonly allowedUserIds: readonly string[] | null;
  /** A quick-match room: it admits its two players only, and is listed as such. */
  readonly quick: boolean;
  readonly match: DiceGame;
  /** Everyone who took a player seat, in seat order; kept on the scoreboard once play began. */
  readonly players: Readonly<Record<string, TablePlayer>>;
  /** userId → username. */
  readonly spectators: Readonly<Record<string, string>>;
  /** "" when nobody is seated. */
  readonly hostId: string;
  /** The history id of the game in play (a new one per game, rematches included), and its start. */
  readonly gameId: string;
  readonly startedAt: number;
  /** An end is being stored: until it is settled, nothing else happens in the game. */
  readonly settling: boolean;
}

/** What a transition asks to announce, in order (projection.ts turns these into events). */
export type DiceEffect =
  | { type: "joined" | "ready" | "disconnected" | "rejoined" | "rematch_requested" | "rematch_lapsed"; userId: string }
  | { type: "left" | "spectator_joined" | "spectator_left"; userId: string; username: string }
  | { type: "started" | "turn_changed" | "ended" }
  | { type: "rolled"; userId: string; roll: number; newScore: number; auto: boolean; round: Round | null };

/** A game's end, to be stored before it becomes the table's match and is announced. */
export interface GameEnd {
  readonly match: DiceGame;
  /** Announced first, once stored (the deciding roll). */
  readonly effects: readonly DiceEffect[];
}

export interface Step {
  readonly table: DiceTable;
  readonly effects: readonly DiceEffect[];
  readonly end?: GameEnd;
}

/** What transitions take from outside: the turn clock's now, the die, and (for a game that starts) its history entry. */
export interface Env {
  readonly now: number;
  readonly dice: Dice;
  readonly newGameId: () => string;
  /** Wall-clock epoch ms, for the history. */
  readonly wallNow: number;
}
