import { AppError } from "../../errors";
import { checkedRoll, type Dice } from "./dice";
import {
  isOver,
  isPlayer,
  newGame,
  opponentOf,
  PLAYER_SEATS,
  type DiceGame,
  type PendingTurn,
  type Round,
} from "./game";

/**
 * The rules of play over a match value (`DiceGame`, see game.ts): seats, ready, rolls and
 * rounds, leaving and returning, the turn clock and the rematch. Pure functions.
 */

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
  const first = checkedRoll(dice) % 2 === 1 ? game.seats[0] : game.seats[1];
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
  // A roll of one's own ends a run of missed turns.
  game = { ...game, missedTurns: { ...game.missedTurns, [userId]: 0 } };
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
    const won: DiceGame = {
      ...settled,
      status: "finished",
      currentTurn: null,
      turnEndsAt: null,
      winnerId,
      endReason: "win",
    };
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
 * - After the game: the score stands; no rematch is possible any more.
 */
export function playerGone(
  game: DiceGame,
  userId: string,
  opponentPresent: boolean,
): { game: DiceGame; ended: boolean } {
  if (!isPlayer(game, userId)) return { game, ended: false };
  if (game.status === "waiting") {
    const { [userId]: _dropped, ...scores } = game.scores;
    return {
      game: {
        ...game,
        seats: game.seats.filter((id) => id !== userId),
        ready: game.ready.filter((id) => id !== userId),
        scores,
      },
      ended: false,
    };
  }
  if (isOver(game)) return { game: { ...game, rematchRequests: [], rematchClosed: true }, ended: false };
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

export function forfeit(game: DiceGame, loserId: string, reason: "forfeit" | "inactive" = "forfeit"): DiceGame {
  return {
    ...game,
    status: "finished",
    currentTurn: null,
    turnEndsAt: null,
    winnerId: opponentOf(game, loserId),
    endReason: reason,
  };
}

/** End a game in progress with no winner; a server shutdown keeps the turn that was open. */
export function abandon(game: DiceGame, reason: "abandoned" | "server_shutdown"): DiceGame {
  if (game.status !== "in_progress") return game;
  const pendingTurn: PendingTurn | null =
    reason === "server_shutdown" && game.currentTurn
      ? { userId: game.currentTurn, turnNumber: game.turnNumber, turnEndsAt: game.turnEndsAt }
      : null;
  return {
    ...game,
    status: "abandoned",
    currentTurn: null,
    turnEndsAt: null,
    winnerId: null,
    endReason: reason,
    pendingTurn,
  };
}

// ---- the turn clock -------------------------------------------------------------------

/**
 * Start (or restart) the current turn's clock at `now`. The clock runs only while the player
 * whose turn it is is connected: a player who is away is covered by the reconnection window,
 * so `present: false` pauses it.
 */
export function armTurn(game: DiceGame, now: number, present: boolean): DiceGame {
  if (game.status !== "in_progress" || !game.currentTurn || !present) return { ...game, turnEndsAt: null };
  return { ...game, turnEndsAt: now + game.turnSeconds * 1000 };
}

export interface TurnExpiry {
  /** The server's roll for the player who let the clock run out. */
  outcome: RollOutcome;
  userId: string;
  /** True when this was the player's `forfeitAfter`-th missed turn in a row: they lost (`inactive`). */
  forfeited: boolean;
}

/**
 * The clock ran out (`now` at or past `turnEndsAt`): the server rolls for the player. After
 * `forfeitAfter` consecutive missed turns the player forfeits with reason `inactive` — unless
 * that very roll won the game. Null when no turn is due.
 */
export function turnExpired(game: DiceGame, now: number, dice: Dice, forfeitAfter: number): TurnExpiry | null {
  if (game.status !== "in_progress" || !game.currentTurn || game.turnEndsAt === null || now < game.turnEndsAt)
    return null;
  const userId = game.currentTurn;
  const missed = (game.missedTurns[userId] ?? 0) + 1;
  const rolled = roll(game, userId, dice);
  const counted = { ...rolled.game, missedTurns: { ...rolled.game.missedTurns, [userId]: missed } };
  if (rolled.ended) return { outcome: { ...rolled, game: counted }, userId, forfeited: false };
  if (forfeitAfter > 0 && missed >= forfeitAfter) {
    return { outcome: { ...rolled, game: forfeit(counted, userId, "inactive") }, userId, forfeited: true };
  }
  return { outcome: { ...rolled, game: counted }, userId, forfeited: false };
}

// ---- rematch --------------------------------------------------------------------------

/**
 * After the game ended, a player asks for a rematch. When both players have, a fresh game
 * starts at once with the same seats, scores at zero and a new draw for the first turn.
 * Refused before the end and after either player left (REMATCH_NOT_AVAILABLE).
 */
export function requestRematch(game: DiceGame, userId: string, dice: Dice): { game: DiceGame; started: boolean } {
  if (!isPlayer(game, userId)) throw new AppError("SPECTATOR_CANNOT_ACT");
  if (!isOver(game)) throw new AppError("REMATCH_NOT_AVAILABLE", "The game has not ended yet");
  if (game.rematchClosed || game.seats.length < PLAYER_SEATS) {
    throw new AppError("REMATCH_NOT_AVAILABLE", "Your opponent has left: no rematch is possible");
  }
  const rematchRequests = game.rematchRequests.includes(userId)
    ? game.rematchRequests
    : [...game.rematchRequests, userId];
  if (rematchRequests.length < PLAYER_SEATS) return { game: { ...game, rematchRequests }, started: false };
  const fresh = newGame(game.targetScore, game.turnSeconds);
  const first = checkedRoll(dice) % 2 === 1 ? game.seats[0] : game.seats[1];
  const scores = Object.fromEntries(game.seats.map((id) => [id, 0]));
  return {
    game: {
      ...fresh,
      seats: game.seats,
      ready: game.seats,
      scores,
      status: "in_progress",
      currentTurn: first,
      turnNumber: 1,
    },
    started: true,
  };
}

/** `[userId, score]` for each player, in seat order. */
export function finalScores(game: DiceGame): Array<[string, number]> {
  return game.seats.map((id) => [id, game.scores[id] ?? 0]);
}
