import { schema, t, type SchemaType } from "@colyseus/schema";

/**
 * The question on screen. There is deliberately no answer field: the correct index reaches
 * clients only as `TriviaState.revealedAnswerIndex`, once the question has closed.
 */
export const TriviaQuestionView = schema(
  {
    id: t.string(),
    number: t.number(),
    text: t.string(),
    choices: t.array("string"),
    /** Epoch ms at which the question closes. */
    deadline: t.number(),
  },
  "TriviaQuestionView",
);
export type TriviaQuestionView = SchemaType<typeof TriviaQuestionView>;

/** A scored participant (the host is not one). `score` changes only when a question closes. */
export const TriviaParticipant = schema(
  {
    userId: t.string(),
    username: t.string(),
    /** "" when the participant plays without a team. */
    team: t.string().default(""),
    score: t.number().default(0),
    connected: t.boolean().default(true),
    /** Answered the open (or last closed) question; says nothing about correctness. */
    answered: t.boolean().default(false),
  },
  "TriviaParticipant",
);
export type TriviaParticipant = SchemaType<typeof TriviaParticipant>;

export const TriviaState = schema(
  {
    sessionId: t.string(),
    title: t.string(),
    /** The session's creator, who controls the flow and is not scored. */
    hostId: t.string(),
    status: t.string().default("lobby"),
    questionNumber: t.number().default(0),
    questionCount: t.number().default(0),
    timeRemaining: t.number().default(0),
    /** Absent in the lobby. */
    currentQuestion: t.ref(TriviaQuestionView).optional(),
    /** -1 while a question is open (and before the first close); then the closed question's answer. */
    revealedAnswerIndex: t.number().default(-1),
    participants: t.map(TriviaParticipant),
    /** Team name → total score of its members. */
    teams: t.map("number"),
  },
  "TriviaState",
);
export type TriviaState = SchemaType<typeof TriviaState>;
