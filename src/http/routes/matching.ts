import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { body, query, userOf } from "../middleware";

const LikeBody = z.object({ userId: uuid() }).strict();

const RecentQuery = z
  .object({
    limit: z.coerce.number().int("must be an integer").min(1, "must be at least 1").max(100, "must be at most 100").default(50),
  })
  .strict();

/** The dating product's matching: likes (a mutual one makes a match) and recent matches. */
export function matchingRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();

  router.post("/api/v1/matching/likes", auth, async (req, res) => {
    const { userId } = body(req, LikeBody);
    res.json(await ctx.services.matching.like(userOf(req).id, userId));
  });

  router.get("/api/v1/matching/recent-matches", auth, async (req, res) => {
    const { limit } = query(req, RecentQuery);
    res.json({ items: await ctx.services.matching.recent(userOf(req).id, limit) });
  });

  return router;
}
