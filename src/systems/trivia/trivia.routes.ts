import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { CreateSessionBody } from "./protocol";
import { body, params, query, userOf } from "../../http/middleware";
import { pageQueryShape } from "../../http/paging";

/** Any string: a malformed id is answered 404 like an unknown one (the service checks the shape). */
const SessionParams = z.object({ id: z.string().max(100) });
const SessionsQuery = z
  .object({ status: z.enum(["lobby", "in_progress", "finished", "interrupted"]).optional(), ...pageQueryShape })
  .strict();

/** `/api/trivia/...` (docs/PROTOCOL.md §2). */
export function triviaRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();

  router.post("/api/trivia/sessions", auth, async (req, res) => {
    const user = userOf(req);
    await ctx.services.trivia.requireOrg(user);
    const input = body(req, CreateSessionBody);
    const session = await ctx.services.trivia.create(user, input);
    res.status(201).json({
      id: session.id,
      sessionId: session.id,
      title: session.title,
      status: session.status,
      hostId: session.hostId,
      questionCount: session.questionCount,
      createdAt: session.createdAt,
    });
  });

  router.get("/api/trivia/sessions", auth, async (req, res) => {
    const orgId = await ctx.services.trivia.requireOrg(userOf(req));
    res.json(await ctx.services.trivia.list(orgId, query(req, SessionsQuery)));
  });

  router.get("/api/trivia/sessions/:id/results", auth, async (req, res) => {
    const orgId = await ctx.services.trivia.requireOrg(userOf(req));
    const { id } = params(req, SessionParams);
    res.json(await ctx.services.trivia.results(orgId, id));
  });

  return router;
}
