import type { Request, RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { CreateSessionBody } from "./protocol";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { pageQueryShape, pageSchema } from "../../http/paging";

const SESSION_STATUSES = ["lobby", "in_progress", "finished", "interrupted"] as const;
/** Any string: a malformed id is answered 404 like an unknown one (the service checks the shape). */
const SessionParams = z.object({ id: z.string().max(100) });
const SessionsQuery = z.object({ status: z.enum(SESSION_STATUSES).optional(), ...pageQueryShape }).strict();

const CreatedSession = z.object({
  id: z.string(),
  sessionId: z.string().meta({ description: "The same as `id`: join the room with it." }),
  title: z.string(),
  status: z.enum(SESSION_STATUSES),
  hostId: z.string(),
  questionCount: z.number().int(),
  createdAt: z.iso.datetime(),
});
const TriviaSession = z
  .object({
    id: z.string(),
    orgId: z.string(),
    hostId: z.string(),
    title: z.string(),
    status: z.enum(SESSION_STATUSES),
    questionCount: z.number().int(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "TriviaSession" });
const TriviaResults = z
  .object({
    id: z.string(),
    status: z.enum(SESSION_STATUSES),
    items: z
      .array(
        z.object({
          userId: z.string(),
          username: z.string(),
          team: z.string().nullable(),
          score: z.number(),
          rank: z.number().int(),
        }),
      )
      .meta({ description: "The scoreboard, best first; empty until the session has ended." }),
    teams: z.array(z.object({ team: z.string(), score: z.number() })),
  })
  .meta({ id: "TriviaResults" });

/** `/api/trivia/...` (docs/PROTOCOL.md §2). */
export function triviaRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("trivia", { bearer: auth });
  const trivia = ctx.services.trivia;
  // The caller's org standing is refused before their input is read.
  const requireOrg = (req: Request) => trivia.requireOrg(userOf(req));

  const createDoc = {
    summary: "Create a trivia session in the caller's org",
    before: requireOrg,
    body: CreateSessionBody,
    responses: { 201: CreatedSession },
  };
  api.post("/api/trivia/sessions", "bearer", createDoc, async (req, res, { body }) => {
    const session = await trivia.create(userOf(req), body);
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

  const listDoc = {
    summary: "The caller's org's sessions, newest first",
    before: requireOrg,
    query: SessionsQuery,
    responses: { 200: pageSchema(TriviaSession) },
  };
  api.get("/api/trivia/sessions", "bearer", listDoc, async (req, res, { query }) => {
    res.json(await trivia.list(userOf(req).orgId!, query));
  });

  const resultsDoc = {
    summary: "A session's final scoreboard",
    before: requireOrg,
    params: SessionParams,
    responses: { 200: TriviaResults },
  };
  api.get("/api/trivia/sessions/:id/results", "bearer", resultsDoc, async (req, res, { params }) => {
    res.json(await trivia.results(userOf(req).orgId!, params.id));
  });

  return api.router;
}
