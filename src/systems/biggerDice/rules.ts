import { AppError } from "../../errors";
import {
  MAX_SPECTATORS,
  newGame,
  opponentOf,
  type DiceEffect,
  type DiceGame,
  type DiceTable,
  type Env,
  type GameEnd,
  type Step,
  type TablePlayer,
} from "./game";
import {
  abandon,
  armTurn,
  markReady,
  playerGone,
  playerReturned,
  requestRematch,
  roll,
  seat,
  turnExpired,
  type RollOutcome,
} from "./match";

export * from "./dice";
export * from "./game";
export * from "./match";

/**
 * The rules of Bigger Dice, as pure functions over an immutable value (no I/O, no Colyseus).
 * Two players ready up; a die decides who starts; turns alternate strictly, one roll each;
 * every two rolls make a round, where the bigger roll scores one point and a tie scores none;
 * the first to `targetScore` wins. Randomness and time come in as an `Env`, so tests can play
 * a known game.
 *
 * The room's whole value is a `DiceTable`: the match (game.ts, played by match.ts), the
 * players' names and connections, the spectators, the host, and the history entry of the game
 * in play. Every transition returns the next table and the effects to announce. A transition
 * that ends the game returns its end apart (`Step.end`): the room stores it, then `settle`s it
 * (announcing it), or `unsettle`s when it could not be stored; meanwhile `settling` refuses moves.
 */

/** A new table, from the room's create options (protocol.ts `DiceCreateOptions`). */
export function openTable(options: {
  roomName: string;
  targetScore: number;
  turnSeconds: number;
  invitationId?: string;
  allowedPlayerIds?: readonly string[];
  quick?: true;
}): DiceTable {
  return {
    roomName: options.roomName,
    invitationId: options.invitationId ?? null,
    allowedUserIds: options.allowedPlayerIds ?? null,
    quick: options.quick === true,
    match: newGame(options.targetScore, options.turnSeconds),
    players: {},
    spectators: {},
    hostId: "",
    gameId: "",
    startedAt: 0,
    settling: false,
  };
}

/** A player's move: `ready`, `roll`, `rematch`. */
export type Move = (table: DiceTable, userId: string, env: Env) => Step;

const step = (table: DiceTable, ...effects: DiceEffect[]): Step => ({ table, effects });
const ending = (table: DiceTable, match: DiceGame, effects: DiceEffect[] = [], ...now: DiceEffect[]): Step => ({
  table: { ...table, settling: true },
  effects: now,
  end: { match, effects },
});

export const isConnected = (table: DiceTable, userId: string | null): boolean =>
  userId !== null && table.players[userId]?.connected === true;

/** A private room admits only its two invited users, as players or spectators (403 otherwise). */
export function checkAdmitted(table: DiceTable, userId: string): void {
  if (table.allowedUserIds && !table.allowedUserIds.includes(userId)) {
    throw new AppError("FORBIDDEN", "This game is reserved for its two invited players");
  }
}

/** Take a player seat (409 when the user has one, the game began, or it is full). */
export function seatPlayer(table: DiceTable, userId: string, player: Omit<TablePlayer, "connected">): Step {
  const match = seat(table.match, userId);
  const players = { ...table.players, [userId]: { ...player, connected: true } };
  return step({ ...table, match, players, hostId: table.hostId || userId }, { type: "joined", userId });
}

/** Watch the game; `watchingSeats` counts the spectator seats already taken (409 past MAX_SPECTATORS). */
export function watch(table: DiceTable, userId: string, username: string, watchingSeats: number): Step {
  if (watchingSeats >= MAX_SPECTATORS) throw new AppError("CONFLICT", "This game has as many spectators as it admits");
  if (table.spectators[userId] !== undefined) return step(table); // another device of a spectator already here
  const spectators = { ...table.spectators, [userId]: username };
  return step({ ...table, spectators }, { type: "spectator_joined", userId, username });
}

/** A spectator's seat is gone; they stop watching with their last one (`stillWatching`: another seat of theirs). */
export function unwatch(table: DiceTable, userId: string, stillWatching: boolean): Step {
  const username = table.spectators[userId];
  if (stillWatching || username === undefined) return step(table);
  const { [userId]: _gone, ...spectators } = table.spectators;
  return step({ ...table, spectators }, { type: "spectator_left", userId, username });
}

export function ready(table: DiceTable, userId: string, env: Env): Step {
  const { game, started } = markReady(table.match, userId, env.dice);
  const next = step({ ...table, match: game }, { type: "ready", userId });
  return started ? begin(next, env) : next;
}

/** After the end: when both players have asked, a fresh game starts at this table. */
export function rematch(table: DiceTable, userId: string, env: Env): Step {
  if (table.settling) throw new AppError("REMATCH_NOT_AVAILABLE", "The game's result is still being saved");
  const { game, started } = requestRematch(table.match, userId, env.dice);
  const next = step({ ...table, match: game }, { type: "rematch_requested", userId });
  return started ? begin(next, env) : next;
}

/** A game (the first, or a rematch) starts: its own history entry, and the first turn's clock. */
function begin({ table, effects }: Step, env: Env): Step {
  const match = armTurn(table.match, env.now, isConnected(table, table.match.currentTurn));
  const started = { ...table, match, gameId: env.newGameId(), startedAt: env.wallNow };
  return step(started, ...effects, { type: "started" });
}

export function rollTurn(table: DiceTable, userId: string, env: Env): Step {
  if (table.settling) throw new AppError("GAME_NOT_IN_PROGRESS", "The game is over; its result is being saved");
  return afterRoll(table, userId, roll(table.match, userId, env.dice), false, env.now);
}

/** The turn's clock ran out: the server rolls for the player, who forfeits after `forfeitAfter` in a row. */
export function expire(table: DiceTable, env: Env, forfeitAfter: number): Step {
  if (table.settling) return step(table);
  const expiry = turnExpired(table.match, env.now, env.dice, forfeitAfter);
  return expiry ? afterRoll(table, expiry.userId, expiry.outcome, true, env.now) : step(table);
}

/** Announce a roll (the player's own or the server's), then pass the turn, or end the game with the roll. */
function afterRoll(table: DiceTable, userId: string, outcome: RollOutcome, auto: boolean, now: number): Step {
  const rolled: DiceEffect = {
    type: "rolled",
    userId,
    roll: outcome.roll,
    newScore: outcome.game.scores[userId] ?? 0,
    auto,
    round: outcome.completedRound,
  };
  if (outcome.game.status !== "in_progress") return ending(table, outcome.game, [rolled]);
  const match = armTurn(outcome.game, now, isConnected(table, outcome.game.currentTurn));
  return step({ ...table, match }, rolled, { type: "turn_changed" });
}

function setConnected(table: DiceTable, userId: string, connected: boolean): DiceTable {
  const player = table.players[userId];
  return player ? { ...table, players: { ...table.players, [userId]: { ...player, connected } } } : table;
}

/** The clock of the player whose turn it is runs only while they are connected. */
function withConnection(table: DiceTable, userId: string, connected: boolean, now: number): DiceTable {
  const next = setConnected(table, userId, connected);
  const { match } = next;
  const rearm = match.status === "in_progress" && match.currentTurn === userId && !table.settling;
  return rearm ? { ...next, match: armTurn(match, now, connected) } : next;
}

/** A player's connection dropped: their seat is held, and their turn's clock stops. */
export function drop(table: DiceTable, userId: string, now: number): Step {
  return step(withConnection(table, userId, false, now), { type: "disconnected", userId });
}

/** Back in time: the turn's clock restarts in full. See `returned` for a forfeit that waited. */
export function reconnect(table: DiceTable, userId: string, now: number): Step {
  return step(withConnection(table, userId, true, now), { type: "rejoined", userId });
}

/** A returning player whose opponent left for good meanwhile has now won. */
export function returned(table: DiceTable, userId: string): Step {
  const back = playerReturned(table.match, userId);
  return back.ended ? ending(table, back.game) : step(table);
}

/**
 * A player left for good (on purpose, or not back in time). Before the game the seat is freed;
 * during or after it the player stays on the scoreboard (see match.ts `playerGone`).
 */
export function leave(table: DiceTable, userId: string): Step {
  const username = table.players[userId]?.username ?? "";
  const effects: DiceEffect[] = [{ type: "left", userId, username }];
  const opponent = opponentOf(table.match, userId);
  const { game, ended } = playerGone(table.match, userId, isConnected(table, opponent));
  if (table.match.rematchRequests.length > 0 && game.rematchClosed) effects.push({ type: "rematch_lapsed", userId });
  if (table.match.status === "waiting") {
    const { [userId]: _freed, ...players } = table.players;
    const hostId = table.hostId === userId ? (game.seats[0] ?? "") : table.hostId;
    return step({ ...table, match: game, players, hostId }, ...effects);
  }
  const left = setConnected(table, userId, false);
  return ended ? ending(left, game, [], ...effects) : step({ ...left, match: game }, ...effects);
}

/** The server is stopping: a game in progress ends as abandoned (`server_shutdown`). */
export function shutdown(table: DiceTable): Step {
  return table.match.status === "in_progress" ? ending(table, abandon(table.match, "server_shutdown")) : step(table);
}

/** The end was stored: it becomes the table's match, and is announced. */
export function settle(table: DiceTable, end: GameEnd): Step {
  return step({ ...table, match: end.match, settling: false }, ...end.effects, { type: "ended" });
}

/** The end could not be stored: nothing is announced, and the game stays as it was. */
export function unsettle(table: DiceTable): Step {
  return step({ ...table, settling: false });
}
