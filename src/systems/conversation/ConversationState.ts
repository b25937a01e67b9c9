import { schema, t, type SchemaType } from "@colyseus/schema";

/** A participant as the room shows them; `online` while at least one of their devices is connected. */
export const ConversationParticipant = schema(
  {
    userId: t.string(),
    username: t.string(),
    online: t.boolean(),
    typing: t.boolean(),
    lastReadMessageId: t.number(),
  },
  "ConversationParticipant",
);
export type ConversationParticipant = SchemaType<typeof ConversationParticipant>;

export const ConversationState = schema(
  {
    conversationId: t.string(),
    participants: t.map(ConversationParticipant),
  },
  "ConversationState",
);
export type ConversationState = SchemaType<typeof ConversationState>;
