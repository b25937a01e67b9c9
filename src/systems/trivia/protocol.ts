import { z } from "zod";
import { name, text, uuid } from "../../protocol/common";

/** Limits of a trivia session (docs/PROTOCOL.md §2 and §3 `trivia`). */
export const TRIVIA_LIMITS = {
  titleChars: 200,
  questionChars: 2000,
  choiceChars: 500,
  teamChars: 32,
  minChoices: 2,
  maxChoices: 6,
  maxQuestions: 100,
  /** Short limits are allowed so that a quick round (and the tests) can run in seconds. */
  minTimeLimitSec: 1,
  maxTimeLimitSec: 300,
} as const;

const L = TRIVIA_LIMITS;

export const NewQuestion = z
  .object({
    text: text(L.questionChars),
    choices: z
      .array(text(L.choiceChars))
      .min(L.minChoices, `must have at least ${L.minChoices} choices`)
      .max(L.maxChoices, `must have at most ${L.maxChoices} choices`),
    answerIndex: z.number().int(),
    timeLimitSec: z.number().int().min(L.minTimeLimitSec).max(L.maxTimeLimitSec),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.answerIndex < 0 || q.answerIndex >= q.choices.length) {
      ctx.addIssue({
        code: "custom",
        path: ["answerIndex"],
        message: `must be between 0 and ${q.choices.length - 1} (an index into choices)`,
      });
    }
  });
export type NewQuestion = z.infer<typeof NewQuestion>;

/** `POST /api/trivia/sessions` */
export const CreateSessionBody = z
  .object({
    title: text(L.titleChars),
    questions: z
      .array(NewQuestion)
      .min(1, "must have at least 1 question")
      .max(L.maxQuestions, `must have at most ${L.maxQuestions} questions`),
  })
  .strict();
export type CreateSessionBody = z.infer<typeof CreateSessionBody>;

/**
 * `joinOrCreate("trivia", { sessionId, team? })`. Not strict: the SDK may add its own
 * fields (a `token`), and routing fields (`orgId`) are overwritten by the server anyway.
 */
export const TriviaJoinOptions = z.object({
  sessionId: uuid(),
  team: name(L.teamChars).optional(),
});
export type TriviaJoinOptions = z.infer<typeof TriviaJoinOptions>;

/** `answer {questionId, choiceIndex}`; the index is checked against the question's choices by the rules. */
export const AnswerMessage = z
  .object({
    questionId: uuid(),
    choiceIndex: z
      .number()
      .int()
      .min(0)
      .max(L.maxChoices - 1),
  })
  .strict();
export type AnswerMessage = z.infer<typeof AnswerMessage>;

/** `chat {text}`, at most CHAT_MAX_CHARS (a configuration value, hence the factory). */
export const chatMessage = (maxChars: number) => z.object({ text: text(maxChars) }).strict();
export type ChatMessage = z.infer<ReturnType<typeof chatMessage>>;

/** `kick {userId}` (host only). */
export const KickMessage = z.object({ userId: uuid() }).strict();
export type KickMessage = z.infer<typeof KickMessage>;

/** Messages a late joiner gets in `chat_history`. */
export const CHAT_HISTORY_SIZE = 50;

// ---- Event and message tables (src/realtime/events.ts; docs/PROTOCOL.md §3 `trivia`) ----

export const TriviaMessage = {
  start: "start",
  nextQuestion: "next_question",
  answer: "answer",
  chat: "chat",
  kick: "kick",
} as const;

export interface TriviaMessages {
  [TriviaMessage.start]: undefined;
  [TriviaMessage.nextQuestion]: undefined;
  [TriviaMessage.answer]: z.input<typeof AnswerMessage>;
  [TriviaMessage.chat]: z.input<ReturnType<typeof chatMessage>>;
  [TriviaMessage.kick]: z.input<typeof KickMessage>;
}

export const TriviaEvent = {
  connection: "connection",
  chatHistory: "chat_history",
  userJoined: "user_joined",
  userLeft: "user_left",
  questionStarted: "question_started",
  sessionUpdate: "session_update",
  questionClosed: "question_closed",
  scoreUpdate: "score_update",
  chat: "chat",
  kicked: "kicked",
  participantKicked: "participant_kicked",
} as const;

export type TriviaSessionState = "lobby" | "question_active" | "question_closed" | "finished";

export interface TriviaPresenceEvent {
  user_id: string;
  session_id: string;
  participant_count: number;
}
export interface TriviaQuestionStartedEvent {
  data: { question_id: string; question_number: number; text: string; choices: string[]; time_limit_sec: number };
}
export interface TriviaSessionUpdateEvent {
  data: { state: TriviaSessionState; question_number: number; time_remaining: number };
}
export interface TriviaQuestionClosedEvent {
  data: { question_id: string; correct_index: number };
}
export interface TriviaScoreUpdateEvent {
  /** `user_id` null: a team's total. */
  data: { user_id: string | null; team: string | null; score: number; question_id: string };
}
export interface TriviaChatEvent {
  type: string;
  user_id: string;
  data: { text: string };
}
export interface TriviaKickedEvent {
  session_id: string;
  user_id: string;
}
export interface TriviaChatHistoryEvent {
  session_id: string;
  messages: Array<{ id: string; user_id: string; username: string; data: { text: string }; created_at: string }>;
}

export interface TriviaEvents {
  [TriviaEvent.connection]: { message: string; session_id: string; user_id: string };
  [TriviaEvent.chatHistory]: TriviaChatHistoryEvent;
  [TriviaEvent.userJoined]: TriviaPresenceEvent;
  [TriviaEvent.userLeft]: TriviaPresenceEvent;
  [TriviaEvent.questionStarted]: TriviaQuestionStartedEvent;
  [TriviaEvent.sessionUpdate]: TriviaSessionUpdateEvent;
  [TriviaEvent.questionClosed]: TriviaQuestionClosedEvent;
  [TriviaEvent.scoreUpdate]: TriviaScoreUpdateEvent;
  [TriviaEvent.chat]: TriviaChatEvent;
  [TriviaEvent.kicked]: TriviaKickedEvent;
  [TriviaEvent.participantKicked]: TriviaKickedEvent;
}
