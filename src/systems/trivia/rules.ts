import { AppError } from "../../errors";

/**
 * The trivia game as a pure state machine (no I/O, no Colyseus):
 *
 *   lobby --start--> question_active --(time out | everyone answered)--> question_closed
 *   question_closed --next_question--> question_active (next question) | finished (after the last)
 *
 * Every transition returns a new game; invalid moves throw AppError with the contract's code.
 * The answer and the scores stay here until a question closes: the room publishes only what
 * `closeQuestion` returns.
 */
export type TriviaStatus = "lobby" | "question_active" | "question_closed" | "finished";

export interface TriviaQuestion {
  id: string;
  text: string;
  choices: readonly string[];
  answerIndex: number;
  timeLimitSec: number;
}

export interface SubmittedAnswer {
  userId: string;
  questionId: string;
  choiceIndex: number;
  /** Epoch ms. */
  answeredAt: number;
}

export interface ScoredAnswer extends SubmittedAnswer {
  correct: boolean;
  points: number;
  /** Time from the question opening to the answer. */
  elapsedMs: number;
}

export interface TriviaGame {
  readonly hostId: string;
  readonly questions: readonly TriviaQuestion[];
  readonly status: TriviaStatus;
  /** Index of the open (or last closed) question; -1 in the lobby. */
  readonly index: number;
  /** Epoch ms the current question opened and closes. */
  readonly openedAt: number;
  readonly deadline: number;
  /** Answers to the open question by user id: not scored, and not published, until it closes. */
  readonly pending: Readonly<Record<string, SubmittedAnswer>>;
  /** Every scored answer of the closed questions, in order. */
  readonly answers: readonly ScoredAnswer[];
  /** Score totals of the closed questions by user id (only users who ever answered). */
  readonly scores: Readonly<Record<string, number>>;
}

/** Points for a correct answer: a base plus a speed bonus scaled by the time left. */
export const BASE_POINTS = 500;
export const SPEED_BONUS = 500;

export function newGame(hostId: string, questions: readonly TriviaQuestion[]): TriviaGame {
  if (questions.length === 0) throw new Error("a trivia game needs at least one question");
  return {
    hostId,
    questions,
    status: "lobby",
    index: -1,
    openedAt: 0,
    deadline: 0,
    pending: {},
    answers: [],
    scores: {},
  };
}

export const currentQuestion = (game: TriviaGame): TriviaQuestion | undefined =>
  game.index >= 0 ? game.questions[game.index] : undefined;

export const isLastQuestion = (game: TriviaGame): boolean => game.index === game.questions.length - 1;

/** Correct: BASE_POINTS + up to SPEED_BONUS, in proportion to the time left. Wrong: 0. */
export function scoreAnswer(correct: boolean, elapsedMs: number, timeLimitMs: number): number {
  if (!correct) return 0;
  const left = Math.min(timeLimitMs, Math.max(0, timeLimitMs - elapsedMs));
  return BASE_POINTS + Math.round((SPEED_BONUS * left) / timeLimitMs);
}

function requireHost(game: TriviaGame, userId: string): void {
  if (userId !== game.hostId) throw new AppError("NOT_HOST");
}

/**
 * The host removes a participant (`kick {userId}`): only the host may, and only someone who
 * has joined this session (the host cannot remove themselves).
 */
export function checkKick(game: TriviaGame, actorId: string, targetId: string, isParticipant: boolean): void {
  requireHost(game, actorId);
  if (targetId === game.hostId || !isParticipant)
    throw new AppError("NOT_PARTICIPANT", "That user is not a participant of this session");
}

function open(game: TriviaGame, index: number, now: number): TriviaGame {
  const question = game.questions[index]!;
  return {
    ...game,
    status: "question_active",
    index,
    openedAt: now,
    deadline: now + question.timeLimitSec * 1000,
    pending: {},
  };
}

/** The host's `start`: opens the first question. Only from the lobby. */
export function start(game: TriviaGame, userId: string, now: number): TriviaGame {
  requireHost(game, userId);
  if (game.status !== "lobby") throw new AppError("SESSION_NOT_ACTIVE", "The session has already started");
  return open(game, 0, now);
}

/**
 * The host's `next_question`: after a question has closed, opens the next one, or finishes
 * the session when the closed one was the last.
 */
export function nextQuestion(game: TriviaGame, userId: string, now: number): TriviaGame {
  requireHost(game, userId);
  switch (game.status) {
    case "lobby":
      throw new AppError("SESSION_NOT_ACTIVE", "The session has not started: send start");
    case "question_active":
      throw new AppError("SESSION_NOT_ACTIVE", "The current question is still open");
    case "finished":
      throw new AppError("SESSION_NOT_ACTIVE", "The session has finished");
    case "question_closed":
      return isLastQuestion(game) ? { ...game, status: "finished" } : open(game, game.index + 1, now);
  }
}

/** A participant's answer to the open question: accepted once, kept unscored until the close. */
export function answer(
  game: TriviaGame,
  userId: string,
  input: { questionId: string; choiceIndex: number },
  now: number,
): TriviaGame {
  if (userId === game.hostId) throw new AppError("HOST_CANNOT_ANSWER");
  const question = currentQuestion(game);
  if (game.status !== "question_active" || !question) throw new AppError("SESSION_NOT_ACTIVE");
  if (input.questionId !== question.id) throw new AppError("SESSION_NOT_ACTIVE", "That is not the current question");
  if (now >= game.deadline) throw new AppError("SESSION_NOT_ACTIVE", "Time is up for this question");
  if (!Number.isInteger(input.choiceIndex) || input.choiceIndex < 0 || input.choiceIndex >= question.choices.length) {
    throw new AppError("INVALID_MESSAGE", `choiceIndex: must be between 0 and ${question.choices.length - 1}`);
  }
  if (game.pending[userId]) throw new AppError("ALREADY_ANSWERED");
  const submitted: SubmittedAnswer = {
    userId,
    questionId: question.id,
    choiceIndex: input.choiceIndex,
    answeredAt: now,
  };
  return { ...game, pending: { ...game.pending, [userId]: submitted } };
}

/**
 * Whether the open question can close early: every participant but the host (of those given,
 * e.g. the connected ones) has answered. With nobody to wait for, the timer decides.
 */
export function everyoneAnswered(game: TriviaGame, participantIds: Iterable<string>): boolean {
  if (game.status !== "question_active") return false;
  let expected = 0;
  for (const id of participantIds) {
    if (id === game.hostId) continue;
    expected++;
    if (!game.pending[id]) return false;
  }
  return expected > 0;
}

/** Close the open question: score its answers. `scored` lists this question's answers. */
export function closeQuestion(game: TriviaGame): {
  game: TriviaGame;
  question: TriviaQuestion;
  scored: ScoredAnswer[];
} {
  const question = currentQuestion(game);
  if (game.status !== "question_active" || !question) throw new AppError("SESSION_NOT_ACTIVE");
  const limitMs = question.timeLimitSec * 1000;
  const scores = { ...game.scores };
  const scored = Object.values(game.pending).map((a): ScoredAnswer => {
    const correct = a.choiceIndex === question.answerIndex;
    const elapsedMs = Math.max(0, a.answeredAt - game.openedAt);
    const points = scoreAnswer(correct, elapsedMs, limitMs);
    scores[a.userId] = (scores[a.userId] ?? 0) + points;
    return { ...a, correct, points, elapsedMs };
  });
  return {
    game: { ...game, status: "question_closed", pending: {}, answers: [...game.answers, ...scored], scores },
    question,
    scored,
  };
}

export interface ScoreboardEntry {
  userId: string;
  username: string;
  team: string | null;
  score: number;
}

/**
 * Highest score first; equal scores share a rank and the next rank skips ("1, 2, 2, 4").
 * Ties are listed by username so the order is stable.
 */
export function rankScoreboard<E extends ScoreboardEntry>(entries: readonly E[]): Array<E & { rank: number }> {
  const sorted = [...entries].sort((a, b) => b.score - a.score || a.username.localeCompare(b.username));
  let rank = 0;
  return sorted.map((e, i) => {
    if (i === 0 || e.score !== sorted[i - 1]!.score) rank = i + 1;
    return { ...e, rank };
  });
}

/**
 * Team totals: the sum of each named team's members' scores. A Map, so that any name a
 * player picks (`constructor`, `__proto__`, `toString`) is a team like any other.
 */
export function teamTotals(entries: readonly Pick<ScoreboardEntry, "team" | "score">[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const e of entries) {
    if (e.team) totals.set(e.team, (totals.get(e.team) ?? 0) + e.score);
  }
  return totals;
}
