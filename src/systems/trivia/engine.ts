import * as rules from "./rules";
import type { ScoredAnswer, TriviaGame, TriviaQuestion } from "./rules";

/**
 * The trivia engine: each input to a session — a host's move, an answer, a connection
 * change, the passing of time — as a pure step `(game, input, now) → { game, effects }`.
 * The effects say what happened, for the projection to announce; the room applies steps and
 * wakes the engine at `nextWake`. Nothing here knows Colyseus, the database or the wire.
 */
export type TriviaEffect =
  /** The current question opened. */
  | { type: "opened"; question: TriviaQuestion }
  /** A second of the open question's countdown passed. */
  | { type: "ticked" }
  /** The current question closed and was scored; only now may its answer and the scores be seen. */
  | { type: "closed"; question: TriviaQuestion; scored: ScoredAnswer[] }
  /** The session finished (announce it only once its results are stored). */
  | { type: "finished" };

export interface Step {
  game: TriviaGame;
  effects: TriviaEffect[];
}

const quiet = (game: TriviaGame): Step => ({ game, effects: [] });

function opened(game: TriviaGame): Step {
  return { game, effects: [{ type: "opened", question: rules.currentQuestion(game)! }] };
}

function close(game: TriviaGame): Step {
  const { game: closed, question, scored } = rules.closeQuestion(game);
  return { game: closed, effects: [{ type: "closed", question, scored }] };
}

/** The connected players' ids: whom an open question waits for. */
export const presentIds = (game: TriviaGame): string[] => game.players.filter((p) => p.connected).map((p) => p.userId);

/** Close the open question early once every connected player has answered. */
export function settle(game: TriviaGame): Step {
  return rules.everyoneAnswered(game, presentIds(game)) ? close(game) : quiet(game);
}

/** The host's `start`. */
export const start = (game: TriviaGame, userId: string, now: number): Step => opened(rules.start(game, userId, now));

/** The host's `next_question`: the next question, or the end of the session after the last. */
export function next(game: TriviaGame, userId: string, now: number): Step {
  const moved = rules.nextQuestion(game, userId, now);
  return moved.status === "finished" ? { game: moved, effects: [{ type: "finished" }] } : opened(moved);
}

/** A player's `answer`; the last one awaited closes the question. */
export const answer = (game: TriviaGame, userId: string, input: rules.AnswerInput, now: number): Step =>
  settle(rules.answer(game, userId, input, now));

/** A user takes a seat (see rules.join). */
export const join = (game: TriviaGame, user: { id: string; username: string }, team?: string): Step =>
  quiet(rules.join(game, user, team));

/** A drop, a return or a leave: a question that waited only for the absent ones closes. */
export const setConnected = (game: TriviaGame, userId: string, connected: boolean): Step =>
  settle(rules.setConnected(game, userId, connected));

/** The host's `kick` (see rules.kick). */
export const kick = (game: TriviaGame, actorId: string, targetId: string): Step =>
  quiet(rules.kick(game, actorId, targetId));

/** Time passed: the open question counts down a second, or closes at its deadline. */
export function tick(game: TriviaGame, now: number): Step {
  if (game.status !== "question_active") return quiet(game);
  return now >= game.deadline ? close(game) : { game, effects: [{ type: "ticked" }] };
}

/** Whole seconds until the open question closes (0 when none is open). */
export function secondsLeft(game: TriviaGame, now: number): number {
  if (game.status !== "question_active") return 0;
  return Math.max(0, Math.ceil((game.deadline - now) / 1000));
}

/** When the engine next needs the time: each whole second of the countdown, then the deadline. */
export function nextWake(game: TriviaGame, now: number): number | undefined {
  if (game.status !== "question_active") return undefined;
  const second = game.openedAt + (Math.floor((now - game.openedAt) / 1000) + 1) * 1000;
  return Math.min(game.deadline, second);
}
