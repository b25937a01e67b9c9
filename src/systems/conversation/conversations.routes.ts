import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { ChatMessage, messagePayload, UserCard } from "./protocol";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { PageQuery, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, pageSchema } from "../../http/paging";

const OpenBody = z.object({ participantId: uuid() }).strict();
const ConversationParams = z.object({ id: uuid() });

/** A message id in a query string: digits only, so "12abc" or "1e3" is refused rather than guessed. */
const MessageCursor = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, "must be a positive message id")
  .transform(Number)
  .refine(Number.isSafeInteger, "must be a positive message id");

/** The history's page: `cursor` (the shared name) and `before` (the original one) both take the previous `nextCursor`. */
const HistoryQuery = z
  .object({
    before: MessageCursor.optional(),
    cursor: MessageCursor.optional(),
    limit: z.coerce
      .number()
      .int("must be an integer")
      .min(1, "must be at least 1")
      .max(PAGE_LIMIT_MAX, `must be at most ${PAGE_LIMIT_MAX}`)
      .default(PAGE_LIMIT_DEFAULT),
  })
  .strict();

const Conversation = z
  .object({
    id: z.string(),
    match_id: z.string().nullable(),
    participants: z.array(UserCard),
    last_message: ChatMessage.nullable(),
    unread_count: z.number().int().meta({ description: "Messages from others after the caller's read position." }),
    created_at: z.iso.datetime(),
  })
  .meta({ id: "Conversation" });
const ConversationList = pageSchema(Conversation).extend({
  unread_total: z.number().int().meta({ description: "Unread messages from others across every open conversation." }),
});
const MessagePage = z.object({
  items: z.array(ChatMessage),
  nextCursor: z.number().int().nullable().meta({ description: "A message id: pass it as `before` (or `cursor`)." }),
});

/**
 * Conversations over REST. Every route checks that the caller is a participant: another
 * user's conversation answers 403 NOT_PARTICIPANT, an unknown one 404, never the data.
 */
export function conversationsRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("conversations", { bearer: auth });
  const conversations = ctx.services.conversations;
  const SendBody = messagePayload(ctx.config.TEXT_MAX_CHARS);

  const listDoc = {
    summary: "The caller's open conversations, most recent activity first",
    query: PageQuery,
    responses: { 200: ConversationList },
  };
  api.get("/api/v1/conversations", "bearer", listDoc, async (req, res, { query }) => {
    res.json(await conversations.listFor(userOf(req).id, query));
  });

  const openDoc = {
    summary: "Open a 1:1 conversation (201), or get the existing one (200)",
    body: OpenBody,
    responses: { 200: Conversation, 201: Conversation },
  };
  api.post("/api/v1/conversations", "bearer", openDoc, async (req, res, { body }) => {
    const { conversation, created } = await conversations.open(userOf(req).id, body.participantId);
    res.status(created ? 201 : 200).json(conversation);
  });

  const historyDoc = {
    summary: "Message history, newest first",
    params: ConversationParams,
    query: HistoryQuery,
    responses: { 200: MessagePage },
  };
  api.get("/api/v1/conversations/:id/messages", "bearer", historyDoc, async (req, res, { params, query }) => {
    const { before, cursor, limit } = query;
    res.json(await conversations.history(params.id, userOf(req).id, { before: before ?? cursor, limit }));
  });

  // A repeated clientMessageId answers 200 with the stored message; a new message 201.
  const sendDoc = {
    summary: "Send a message (201); a repeated clientMessageId answers 200 with the stored one",
    params: ConversationParams,
    body: SendBody,
    responses: { 200: ChatMessage, 201: ChatMessage },
  };
  api.post("/api/v1/conversations/:id/messages", "bearer", sendDoc, async (req, res, { params, body }) => {
    const { content, clientMessageId } = body;
    const { message, created } = await conversations.send(params.id, userOf(req).id, content, clientMessageId);
    res.status(created ? 201 : 200).json(message);
  });

  return api.router;
}
