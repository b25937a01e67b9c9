import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { UserCard } from "./protocol";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { PageQuery, pageSchema } from "../../http/paging";

const LikeBody = z.object({ userId: uuid() }).strict();

const MatchParams = z.object({ id: z.string().max(64) });

/** A match as each of its two users sees it: `user` is the other one. */
const Match = z.object({ id: z.string(), user: UserCard, created_at: z.iso.datetime() }).meta({ id: "Match" });
const LikeResult = z
  .discriminatedUnion("matched", [
    z.object({ matched: z.literal(false) }),
    z.object({ matched: z.literal(true), match: Match, conversationId: z.string() }),
  ])
  .meta({ id: "LikeResult" });
const RecentMatch = Match.extend({ conversation_id: z.string().nullable() }).meta({ id: "RecentMatch" });
const Unmatched = z.object({ id: z.string(), conversationId: z.string().nullable() });

/** The dating product's matching: likes (a mutual one makes a match) and recent matches. */
export function matchingRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("matching", { bearer: auth });

  const likeDoc = {
    summary: "Like a user; a mutual like makes a match",
    body: LikeBody,
    responses: { 200: LikeResult },
  };
  api.post("/api/v1/matching/likes", "bearer", likeDoc, async (req, res, { body }) => {
    res.json(await ctx.services.matching.like(userOf(req).id, body.userId));
  });

  const recentDoc = {
    summary: "Recent matches, newest first",
    query: PageQuery,
    responses: { 200: pageSchema(RecentMatch) },
  };
  api.get("/api/v1/matching/recent-matches", "bearer", recentDoc, async (req, res, { query }) => {
    res.json(await ctx.services.matching.recent(userOf(req).id, query));
  });

  // Either side ends the match (docs/PROTOCOL.md §2 "Unmatch").
  const unmatchDoc = { summary: "Unmatch (either side)", params: MatchParams, responses: { 200: Unmatched } };
  api.delete("/api/v1/matching/matches/:id", "bearer", unmatchDoc, async (req, res, { params }) => {
    res.json(await ctx.services.matching.unmatch(userOf(req).id, params.id));
  });

  return api.router;
}
