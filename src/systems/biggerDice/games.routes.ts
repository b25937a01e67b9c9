import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { uuid } from "../../protocol/common";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { pageQueryShape, pageSchema } from "../../http/paging";

const HistoryQuery = z
  .object({
    /** Whose games; the caller's when absent. */
    userId: uuid().optional(),
    ...pageQueryShape,
  })
  .strict();

const GameHistoryItem = z
  .object({
    id: z.string(),
    roomName: z.string(),
    players: z.array(z.object({ userId: z.string(), username: z.string(), score: z.number().int() })),
    winnerId: z.string().nullable(),
    reason: z.enum(["win", "forfeit", "inactive", "abandoned", "server_shutdown"]),
    rolls: z.array(
      z.object({ turn: z.number().int(), round: z.number().int(), userId: z.string(), roll: z.number().int() }),
    ),
    pendingTurn: z
      .object({
        userId: z.string(),
        turnNumber: z.number().int(),
        turnEndsAt: z.number().nullable().meta({ description: "Epoch ms; null while the player was away." }),
      })
      .nullable()
      .meta({ description: "The turn open when a server shutdown stopped the game, else null." }),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime(),
  })
  .meta({ id: "GameHistoryItem" });

/** `GET /api/games/history?userId=&limit=&cursor=`: finished and abandoned dice games, newest first, paged. */
export function gamesRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("games", { bearer: auth });
  const doc = {
    summary: "Finished and abandoned dice games, newest first",
    query: HistoryQuery,
    responses: { 200: pageSchema(GameHistoryItem) },
  };
  api.get("/api/games/history", "bearer", doc, async (req, res, { query: q }) => {
    res.json(await ctx.services.games.history(q.userId ?? userOf(req).id, q));
  });
  return api.router;
}
