import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { pageQueryShape, pageSchema } from "../../http/paging";
import { UserSummary } from "../social/protocol";

const INVITATION_STATUSES = ["pending", "accepted", "declined", "expired"] as const;
const ListQuery = z
  .object({
    direction: z.enum(["received", "sent"]).optional(),
    status: z.enum(INVITATION_STATUSES).optional(),
    ...pageQueryShape,
  })
  .strict();

const GameInvitation = z
  .object({
    id: z.string(),
    sender: UserSummary,
    receiver: UserSummary,
    friendshipId: z.string().nullable().meta({ description: "Null once the friendship it was sent over has ended." }),
    map: z.string(),
    status: z.enum(INVITATION_STATUSES),
    roomId: z.string().nullable().meta({ description: "The private bigger_dice room, once accepted." }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "GameInvitation" });

/**
 * The caller's game invitations and their status (docs/PROTOCOL.md §2); both directions
 * unless `direction` says which. Sending and answering happen in the `user_lobby` room.
 */
export function gameInvitationsRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("game invitations", { bearer: auth });

  const doc = {
    summary: "The caller's game invitations, newest first",
    query: ListQuery,
    responses: { 200: pageSchema(GameInvitation) },
  };
  api.get("/api/game-invitations", "bearer", doc, async (req, res, { query }) => {
    res.json(await ctx.services.gameInvitations.list(userOf(req).id, query));
  });

  return api.router;
}
