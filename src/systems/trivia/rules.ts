import { AppError } from "../../errors";
import { scoreAnswer } from "./scoring";

export * from "./scoring";

/**
 * The trivia game as a pure value and its transitions (no I/O, no Colyseus):
 *
 *   lobby --start--> question_active --(time out | everyone answered)--> question_closed
 *   question_closed --next_question--> question_active (next question) | finished (after the last)
 *
 * The game is the whole session: host, players, removed users, question, deadline, answers,
 * scores. Every transition returns a new game; invalid moves throw AppError with the
 * contract's code. Answers and scores stay here until a question closes.
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

/** Someone scored in this session (everyone who joined but the host); kept after they leave. */
export interface TriviaPlayer {
  readonly userId: string;
  readonly username: string;
  /** "" without a team; the first team chosen stays. */
  readonly team: string;
  readonly connected: boolean;
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
  /** In join order. */
  readonly players: readonly TriviaPlayer[];
  /** Users the host removed: they may not join again. */
  readonly kicked: readonly string[];
}

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
    players: [],
    kicked: [],
  };
}

export const currentQuestion = (game: TriviaGame): TriviaQuestion | undefined =>
  game.index >= 0 ? game.questions[game.index] : undefined;

export const isLastQuestion = (game: TriviaGame): boolean => game.index === game.questions.length - 1;

export const playerOf = (game: TriviaGame, userId: string): TriviaPlayer | undefined =>
  game.players.find((p) => p.userId === userId);

/** A player's published score: the closed questions' total. */
export const scoreOf = (game: TriviaGame, userId: string): number => game.scores[userId] ?? 0;

/** Whether the player answered the open question, or (once closed) the last closed one. */
export function hasAnswered(game: TriviaGame, userId: string): boolean {
  if (game.status === "question_active") return game.pending[userId] !== undefined;
  const id = currentQuestion(game)?.id;
  // The closed question's answers are the last ones stored.
  for (let i = game.answers.length - 1; i >= 0 && game.answers[i].questionId === id; i--) {
    if (game.answers[i].userId === userId) return true;
  }
  return false;
}

function requireHost(game: TriviaGame, userId: string): void {
  if (userId !== game.hostId) throw new AppError("NOT_HOST");
}

// ---- players ----------------------------------------------------------------------------

/**
 * A user takes a seat: refused once the session has finished or after the host removed them.
 * A new player is added with the team asked for; one coming back keeps score and first team.
 * The host is not a player.
 */
export function join(game: TriviaGame, user: { id: string; username: string }, team = ""): TriviaGame {
  if (game.status === "finished") throw new AppError("SESSION_NOT_ACTIVE", "The session has finished");
  if (game.kicked.includes(user.id)) throw new AppError("FORBIDDEN", "The host removed you from this session");
  if (user.id === game.hostId) return game;
  if (playerOf(game, user.id)) return setConnected(game, user.id, true);
  const player: TriviaPlayer = { userId: user.id, username: user.username, team, connected: true };
  return { ...game, players: [...game.players, player] };
}

/** A player's connection changed (a drop, a return, a leave for good); their score stays. */
export function setConnected(game: TriviaGame, userId: string, connected: boolean): TriviaGame {
  const player = playerOf(game, userId);
  if (!player || player.connected === connected) return game;
  return { ...game, players: game.players.map((p) => (p === player ? { ...p, connected } : p)) };
}

/** `kick {userId}`: only the host, and only of someone who joined (never the host themselves). They stay scored. */
export function kick(game: TriviaGame, actorId: string, targetId: string): TriviaGame {
  requireHost(game, actorId);
  if (targetId === game.hostId || !playerOf(game, targetId))
    throw new AppError("NOT_PARTICIPANT", "That user is not a participant of this session");
  return game.kicked.includes(targetId) ? game : { ...game, kicked: [...game.kicked, targetId] };
}

// ---- questions --------------------------------------------------------------------------

function open(game: TriviaGame, index: number, now: number): TriviaGame {
  const question = game.questions[index];
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

export interface AnswerInput {
  questionId: string;
  choiceIndex: number;
}

/** A participant's answer to the open question: accepted once, kept unscored until the close. */
export function answer(game: TriviaGame, userId: string, input: AnswerInput, now: number): TriviaGame {
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
