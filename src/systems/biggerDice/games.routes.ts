import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { query, userOf } from "../../http/middleware";
import { pageQueryShape } from "../../http/paging";

const HistoryQuery = z
  .object({
    /** Whose games; the caller's when absent. */
    userId: uuid().optional(),
    ...pageQueryShape,
  })
  .strict();

/** `GET /api/games/history?userId=&limit=&cursor=`: finished and abandoned dice games, newest first, paged. */
export function gamesRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  router.get("/api/games/history", auth, async (req, res) => {
    const q = query(req, HistoryQuery);
    res.json(await ctx.services.games.history(q.userId ?? userOf(req).id, q));
  });
  return router;
}
