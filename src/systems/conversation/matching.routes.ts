import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { body, params, query, userOf } from "../../http/middleware";
import { PageQuery } from "../../http/paging";

const LikeBody = z.object({ userId: uuid() }).strict();

const MatchParams = z.object({ id: z.string().max(64) });

/** The dating product's matching: likes (a mutual one makes a match) and recent matches. */
export function matchingRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();

  router.post("/api/v1/matching/likes", auth, async (req, res) => {
    const { userId } = body(req, LikeBody);
    res.json(await ctx.services.matching.like(userOf(req).id, userId));
  });

  router.get("/api/v1/matching/recent-matches", auth, async (req, res) => {
    res.json(await ctx.services.matching.recent(userOf(req).id, query(req, PageQuery)));
  });

  // Either side ends the match (docs/PROTOCOL.md §2 "Unmatch").
  router.delete("/api/v1/matching/matches/:id", auth, async (req, res) => {
    const { id } = params(req, MatchParams);
    res.json(await ctx.services.matching.unmatch(userOf(req).id, id));
  });

  return router;
}
