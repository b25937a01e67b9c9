import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { messagePayload } from "./protocol";
import { body, params, query, userOf } from "../../http/middleware";
import { PageQuery, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from "../../http/paging";

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

/**
 * Conversations over REST. Every route checks that the caller is a participant: another
 * user's conversation answers 403 NOT_PARTICIPANT, an unknown one 404, never the data.
 */
export function conversationsRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const conversations = ctx.services.conversations;
  const SendBody = messagePayload(ctx.config.TEXT_MAX_CHARS);

  router.get("/api/v1/conversations", auth, async (req, res) => {
    res.json(await conversations.listFor(userOf(req).id, query(req, PageQuery)));
  });

  router.post("/api/v1/conversations", auth, async (req, res) => {
    const { participantId } = body(req, OpenBody);
    const { conversation, created } = await conversations.open(userOf(req).id, participantId);
    res.status(created ? 201 : 200).json(conversation);
  });

  router.get("/api/v1/conversations/:id/messages", auth, async (req, res) => {
    const { id } = params(req, ConversationParams);
    const { before, cursor, limit } = query(req, HistoryQuery);
    res.json(await conversations.history(id, userOf(req).id, { before: before ?? cursor, limit }));
  });

  // A repeated clientMessageId answers 200 with the stored message; a new message 201.
  router.post("/api/v1/conversations/:id/messages", auth, async (req, res) => {
    const { id } = params(req, ConversationParams);
    const { content, clientMessageId } = body(req, SendBody);
    const { message, created } = await conversations.send(id, userOf(req).id, content, clientMessageId);
    res.status(created ? 201 : 200).json(message);
  });

  return router;
}
