import { z } from "zod";
import { name, text, uuid } from "../../protocol/common";
import type { TriviaStatus } from "./rules";

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

/** A stored chat message, as `chat_history` carries it. */
export interface TriviaChatMessage {
  id: string;
  user_id: string;
  username: string;
  data: { text: string };
  created_at: string;
}

/** Client → server messages of the `trivia` room (docs/PROTOCOL.md §3). */
export const TriviaMessage = {
  /** Host only: from the lobby, opens the first question. */
  start: "start",
  /** Host only: after a close, the next question, or the finish after the last. */
  nextQuestion: "next_question",
  answer: "answer",
  chat: "chat",
  /** Host only. */
  kick: "kick",
} as const;

/** What each message carries (the payloads' zod schemas are above). */
export interface TriviaMessages {
  [TriviaMessage.start]: undefined;
  [TriviaMessage.nextQuestion]: undefined;
  [TriviaMessage.answer]: z.input<typeof AnswerMessage>;
  [TriviaMessage.chat]: z.input<ReturnType<typeof chatMessage>>;
  [TriviaMessage.kick]: z.input<typeof KickMessage>;
}

/** What a `room.request` of each message resolves to: trivia's requests only acknowledge. */
export interface TriviaReplies {
  [TriviaMessage.start]: { ok: true };
  [TriviaMessage.nextQuestion]: { ok: true };
  [TriviaMessage.answer]: { ok: true };
  [TriviaMessage.chat]: { ok: true };
  [TriviaMessage.kick]: { ok: true };
}

/** Server → client events of the `trivia` room: the only place their names are spelled. */
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

export interface TriviaPresence {
  user_id: string;
  session_id: string;
  /** Seats, the host's included. */
  participant_count: number;
}

/** The participant removed by the host. */
export interface TriviaKick {
  session_id: string;
  user_id: string;
}

export interface TriviaEvents {
  [TriviaEvent.connection]: { message: string; session_id: string; user_id: string };
  [TriviaEvent.chatHistory]: { session_id: string; messages: TriviaChatMessage[] };
  [TriviaEvent.userJoined]: TriviaPresence;
  [TriviaEvent.userLeft]: TriviaPresence;
  [TriviaEvent.questionStarted]: {
    data: {
      question_id: string;
      question_number: number;
      text: string;
      choices: readonly string[];
      time_limit_sec: number;
    };
  };
  [TriviaEvent.sessionUpdate]: { data: { state: TriviaStatus; question_number: number; time_remaining: number } };
  [TriviaEvent.questionClosed]: { data: { question_id: string; correct_index: number } };
  /** A player's running total, or (user_id null) a team's. */
  [TriviaEvent.scoreUpdate]: {
    data: { user_id: string | null; team: string | null; score: number; question_id: string };
  };
  [TriviaEvent.chat]: { type: typeof TriviaEvent.chat; user_id: string; data: { text: string } };
  [TriviaEvent.kicked]: TriviaKick;
  [TriviaEvent.participantKicked]: TriviaKick;
}

/** One event to every seat, as the projection lists them. */
export type TriviaBroadcast = { [K in keyof TriviaEvents]: [K, TriviaEvents[K]] }[keyof TriviaEvents];
