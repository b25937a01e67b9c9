import crypto from "node:crypto";
import { AppError } from "../errors";

/**
 * The rules of Bigger Dice, as pure functions over an immutable game value (no I/O, no
 * Colyseus). Two players ready up; a die decides who starts; turns alternate strictly, one
 * roll each; every two rolls make a round, where the bigger roll scores one point and a tie
 * scores none; the first to `targetScore` wins. Randomness comes in as a `Dice`, so tests can
 * play a known game.
 */

export const DEFAULT_TARGET_SCORE = 10;
export const MIN_TARGET_SCORE = 1;
export const MAX_TARGET_SCORE = 100;
export const PLAYER_SEATS = 2;

/** A six-sided die: an integer from 1 to 6. */
export type Dice = () => number;

/** The production die. */
export const cryptoDice: Dice = () => crypto.randomInt(1, 7);

/** A die that returns `values` in order and throws once they run out (tests). */
export function scriptedDice(values: readonly number[]): Dice {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error(`scripted dice ran out after ${values.length} rolls`);
    return values[next++]!;
  };
}

/** A reproducible die from a 32-bit seed (mulberry32), for tests that need many rolls. */
export function seededDice(seed: number): Dice {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return 1 + Math.floor(unit * 6);
  };
}

export type GameStatus = "waiting" | "in_progress" | "finished" | "abandoned";
/** Why a game ended: `server_shutdown` is an abandonment caused by the server stopping. */
export type EndReason = "win" | "forfeit" | "abandoned" | "server_shutdown";

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
}

export function newGame(targetScore = DEFAULT_TARGET_SCORE): DiceGame {
  if (!Number.isInteger(targetScore) || targetScore < MIN_TARGET_SCORE || targetScore > MAX_TARGET_SCORE) {
    throw new AppError("INVALID_MESSAGE", `targetScore must be between ${MIN_TARGET_SCORE} and ${MAX_TARGET_SCORE}`);
  }
  return {
    status: "waiting",
    targetScore,
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

/** Take a player seat. Refused (409) when the user already has one, the game has begun, or it is full. */
export function seat(game: DiceGame, userId: string): DiceGame {
  if (isPlayer(game, userId)) throw new AppError("CONFLICT", "You already have a player seat in this game");
  if (game.status !== "waiting") throw new AppError("CONFLICT", "The game has already started: join as a spectator");
  if (game.seats.length >= PLAYER_SEATS) throw new AppError("CONFLICT", "This game already has two players");
  return { ...game, seats: [...game.seats, userId], scores: { ...game.scores, [userId]: 0 } };
}

/** Both players ready → the game starts; a die decides the first turn (odd: first seat). */
export function markReady(game: DiceGame, userId: string, dice: Dice): { game: DiceGame; started: boolean } {
  if (!isPlayer(game, userId)) throw new AppError("SPECTATOR_CANNOT_ACT");
  if (game.ready.includes(userId) || game.status !== "waiting") throw new AppError("ALREADY_READY");
  const ready = [...game.ready, userId];
  const next = { ...game, ready };
  if (game.seats.length < PLAYER_SEATS || ready.length < PLAYER_SEATS) return { game: next, started: false };
  const first = checkedRoll(dice) % 2 === 1 ? game.seats[0]! : game.seats[1]!;
  return { game: { ...next, status: "in_progress", currentTurn: first, turnNumber: 1 }, started: true };
}

export interface RollOutcome {
  game: DiceGame;
  roll: number;
  /** The round this roll completed, if it did. */
  completedRound: Round | null;
  /** True when this roll won the game. */
  ended: boolean;
}

/** The current player rolls; the turn passes; every second roll settles a round. */
export function roll(game: DiceGame, userId: string, dice: Dice): RollOutcome {
  if (!isPlayer(game, userId)) throw new AppError("SPECTATOR_CANNOT_ACT");
  if (game.status !== "in_progress") throw new AppError("GAME_NOT_IN_PROGRESS");
  if (game.currentTurn !== userId) throw new AppError("NOT_YOUR_TURN");

  const value = checkedRoll(dice);
  const opponent = opponentOf(game, userId)!;
  const openRound = game.round && !game.round.complete ? game.round : null;
  const roundNumber = openRound ? openRound.number : (game.round?.number ?? 0) + 1;
  const rolls = [...game.rolls, { turn: game.turnNumber, round: roundNumber, userId, roll: value }];

  if (!openRound) {
    const round: Round = {
      number: roundNumber,
      player1Id: userId,
      player1Roll: value,
      player2Id: opponent,
      player2Roll: null,
      winnerId: null,
      isTie: false,
      complete: false,
    };
    return { game: passTurn({ ...game, rolls, round }, opponent), roll: value, completedRound: null, ended: false };
  }

  const isTie = openRound.player1Roll === value;
  const winnerId = isTie ? null : openRound.player1Roll > value ? openRound.player1Id : userId;
  const round: Round = { ...openRound, player2Roll: value, winnerId, isTie, complete: true };
  const scores = winnerId ? { ...game.scores, [winnerId]: (game.scores[winnerId] ?? 0) + 1 } : game.scores;
  const settled = { ...game, rolls, round, scores };
  if (winnerId && scores[winnerId] === game.targetScore) {
    const won: DiceGame = { ...settled, status: "finished", currentTurn: null, winnerId, endReason: "win" };
    return { game: won, roll: value, completedRound: round, ended: true };
  }
  return { game: passTurn(settled, opponent), roll: value, completedRound: round, ended: false };
}

function passTurn(game: DiceGame, to: string): DiceGame {
  return { ...game, currentTurn: to, turnNumber: game.turnNumber + 1 };
}

/**
 * A player left for good (left on purpose, or did not come back in time).
 * - Before the game: the seat is freed.
 * - During play, with the opponent present: a forfeit, the opponent wins.
 * - During play, with the opponent away too: the forfeit waits (see `gone`); if the opponent
 *   has already gone as well, nobody is left and the game is abandoned.
 * - After the game: nothing changes.
 */
export function playerGone(game: DiceGame, userId: string, opponentPresent: boolean): { game: DiceGame; ended: boolean } {
  if (!isPlayer(game, userId)) return { game, ended: false };
  if (game.status === "waiting") {
    const { [userId]: _dropped, ...scores } = game.scores;
    return {
      game: { ...game, seats: game.seats.filter((id) => id !== userId), ready: game.ready.filter((id) => id !== userId), scores },
      ended: false,
    };
  }
  if (game.status !== "in_progress" || game.gone.includes(userId)) return { game, ended: false };
  const opponent = opponentOf(game, userId)!;
  if (game.gone.includes(opponent)) return { game: abandon(game, "abandoned"), ended: true };
  if (opponentPresent) return { game: forfeit(game, userId), ended: true };
  return { game: { ...game, gone: [...game.gone, userId] }, ended: false };
}

/** A player is back (reconnected): if the opponent left for good meanwhile, this player wins. */
export function playerReturned(game: DiceGame, userId: string): { game: DiceGame; ended: boolean } {
  const opponent = opponentOf(game, userId);
  if (game.status !== "in_progress" || !opponent || !game.gone.includes(opponent)) return { game, ended: false };
  return { game: forfeit(game, opponent), ended: true };
}

export function forfeit(game: DiceGame, loserId: string): DiceGame {
  return { ...game, status: "finished", currentTurn: null, winnerId: opponentOf(game, loserId), endReason: "forfeit" };
}

/** End a game in progress with no winner. */
export function abandon(game: DiceGame, reason: "abandoned" | "server_shutdown"): DiceGame {
  if (game.status !== "in_progress") return game;
  return { ...game, status: "abandoned", currentTurn: null, winnerId: null, endReason: reason };
}

/** `[userId, score]` for each player, in seat order. */
export function finalScores(game: DiceGame): Array<[string, number]> {
  return game.seats.map((id) => [id, game.scores[id] ?? 0]);
}

function checkedRoll(dice: Dice): number {
  const value = dice();
  if (!Number.isInteger(value) || value < 1 || value > 6) throw new Error(`a die returned ${value}`);
  return value;
}
