import { withSafeKeys } from "../../realtime/safeMapKeys";
import { secondsLeft, type TriviaEffect } from "./engine";
import { TriviaEvent, type TriviaBroadcast, type TriviaEvents } from "./protocol";
import { currentQuestion, hasAnswered, scoreOf, teamTotals, type TriviaGame, type TriviaQuestion } from "./rules";
import { TriviaParticipant, TriviaQuestionView, TriviaState } from "./TriviaState";

/**
 * What clients see of a trivia game: the synced TriviaState and the events each engine step
 * announces, in the wire's own formats (docs/PROTOCOL.md §3 `trivia`). Pure apart from
 * writing the schema it is given. Only what is closed is public: a question's answer and the
 * scores reach the state and the events only once the question has closed.
 */
export interface SessionInfo {
  id: string;
  title: string;
  hostId: string;
}

/** The state of a session in the lobby. */
export function newState(session: SessionInfo, game: TriviaGame): TriviaState {
  const state = new TriviaState({
    sessionId: session.id,
    title: session.title,
    hostId: session.hostId,
    questionCount: game.questions.length,
  });
  withSafeKeys(state.teams); // keyed by names players choose
  return state;
}

/** Assign only a changed value, so that an unchanged field sends no patch. */
function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): void {
  if (target[key] !== value) target[key] = value;
}

/** The team totals of the published scores, in the order teams first appeared. */
const teamScores = (game: TriviaGame): Map<string, number> =>
  teamTotals(game.players.map((p) => ({ team: p.team, score: scoreOf(game, p.userId) })));

const isRevealed = (game: TriviaGame): boolean => game.status === "question_closed" || game.status === "finished";

/** Make `state` show `game` at `now`. */
export function syncState(state: TriviaState, game: TriviaGame, now: number): void {
  const question = currentQuestion(game);
  assign(state, "status", game.status);
  assign(state, "questionNumber", game.index + 1);
  assign(state, "timeRemaining", secondsLeft(game, now));
  assign(state, "revealedAnswerIndex", question && isRevealed(game) ? question.answerIndex : -1);
  if (question && state.currentQuestion?.id !== question.id) {
    state.currentQuestion = new TriviaQuestionView({
      id: question.id,
      number: game.index + 1,
      text: question.text,
      choices: [...question.choices] as never,
      deadline: game.deadline,
    });
  }
  for (const player of game.players) {
    const score = scoreOf(game, player.userId);
    const answered = hasAnswered(game, player.userId);
    const shown = state.participants.get(player.userId);
    if (!shown) {
      const { userId, username, team, connected } = player;
      state.participants.set(userId, new TriviaParticipant({ userId, username, team, score, connected, answered }));
      continue;
    }
    assign(shown, "connected", player.connected);
    assign(shown, "answered", answered);
    assign(shown, "score", score);
  }
  for (const [team, score] of teamScores(game)) {
    if (state.teams.get(team) !== score) state.teams.set(team, score);
  }
}

export const sessionUpdate = (game: TriviaGame, now: number): TriviaEvents[typeof TriviaEvent.sessionUpdate] => ({
  data: { state: game.status, question_number: game.index + 1, time_remaining: secondsLeft(game, now) },
});

function questionStarted(game: TriviaGame, question: TriviaQuestion): TriviaBroadcast {
  const data = {
    question_id: question.id,
    question_number: game.index + 1,
    text: question.text,
    choices: question.choices,
    time_limit_sec: question.timeLimitSec,
  };
  return [TriviaEvent.questionStarted, { data }];
}

/** The close: the answer, then each player's running total, then each team's. */
function closed(game: TriviaGame, question: TriviaQuestion): TriviaBroadcast[] {
  const question_id = question.id;
  const players = game.players.map((p): TriviaBroadcast => [
    TriviaEvent.scoreUpdate,
    { data: { user_id: p.userId, team: p.team || null, score: scoreOf(game, p.userId), question_id } },
  ]);
  const teams = [...teamScores(game)].map(([team, score]): TriviaBroadcast => [
    TriviaEvent.scoreUpdate,
    { data: { user_id: null, team, score, question_id } },
  ]);
  return [
    [TriviaEvent.questionClosed, { data: { question_id, correct_index: question.answerIndex } }],
    ...players,
    ...teams,
  ];
}

/** The events a step's effects announce to every seat, in order; `game` is the step's result. */
export function eventsOf(game: TriviaGame, effects: readonly TriviaEffect[], now: number): TriviaBroadcast[] {
  const events: TriviaBroadcast[] = [];
  for (const effect of effects) {
    if (effect.type === "opened") events.push(questionStarted(game, effect.question));
    if (effect.type === "closed") events.push(...closed(game, effect.question));
    events.push([TriviaEvent.sessionUpdate, sessionUpdate(game, now)]);
  }
  return events;
}

// ---- events about seats ------------------------------------------------------------------

export const connection = (sessionId: string, userId: string): TriviaEvents[typeof TriviaEvent.connection] => ({
  message: "Connected to session",
  session_id: sessionId,
  user_id: userId,
});

export const presence = (
  sessionId: string,
  userId: string,
  seated: number,
): TriviaEvents[typeof TriviaEvent.userJoined] => ({
  user_id: userId,
  session_id: sessionId,
  participant_count: seated,
});

export const chat = (userId: string, text: string): TriviaEvents[typeof TriviaEvent.chat] => ({
  type: TriviaEvent.chat,
  user_id: userId,
  data: { text },
});

export const kick = (sessionId: string, userId: string): TriviaEvents[typeof TriviaEvent.kicked] => ({
  session_id: sessionId,
  user_id: userId,
});
