import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { query, userOf } from "../../http/middleware";
import { pageQueryShape } from "../../http/paging";

const ListQuery = z
  .object({
    direction: z.enum(["received", "sent"]).optional(),
    status: z.enum(["pending", "accepted", "declined", "expired"]).optional(),
    ...pageQueryShape,
  })
  .strict();

/**
 * The caller's game invitations and their status (docs/PROTOCOL.md §2); both directions
 * unless `direction` says which. Sending and answering happen in the `user_lobby` room.
 */
export function gameInvitationsRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();

  router.get("/api/game-invitations", auth, async (req, res) => {
    const opts = query(req, ListQuery);
    res.json(await ctx.services.gameInvitations.list(userOf(req).id, opts));
  });

  return router;
}
