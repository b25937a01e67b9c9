import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { query, userOf } from "../middleware";

const HistoryQuery = z
  .object({
    /** Whose games; the caller's when absent. */
    userId: uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).optional(),
  })
  .strict();

/** `GET /api/games/history?userId=`: finished and abandoned dice games, newest first. */
export function gamesRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  router.get("/api/games/history", auth, async (req, res) => {
    const q = query(req, HistoryQuery);
    const items = await ctx.services.games.history(q.userId ?? userOf(req).id, { limit: q.limit });
    res.json({ items });
  });
  return router;
}
