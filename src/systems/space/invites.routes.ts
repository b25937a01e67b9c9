import { Router, type RequestHandler, type Response } from "express";
import type { AppContext } from "../../context";
import { body, params, query, userOf } from "../../http/middleware";
import { InvitableUsersQuery, MyInvitesQuery, NotificationIdParams, SendInviteBody, SpaceIdParams } from "./protocol";

/**
 * `/metaverse/invites/*`: space invites in the metaverse product's envelope,
 * `{status: "success", message?, data}` (failures use the shared `{status: "failed", error, code}`).
 */
export function metaverseInvitesRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const spaces = ctx.services.spaces;
  const success = (res: Response, data: unknown, message?: string, status = 200) =>
    res.status(status).json(message ? { status: "success", message, data } : { status: "success", data });

  router.post("/metaverse/invites/send", auth, async (req, res) => {
    const input = body(req, SendInviteBody);
    success(res, await spaces.sendInvite(userOf(req).id, input), "Invite sent successfully", 201);
  });

  router.post("/metaverse/invites/:notificationId/accept", auth, async (req, res) => {
    const { notificationId } = params(req, NotificationIdParams);
    success(res, await spaces.acceptInvite(userOf(req).id, notificationId), "Invite accepted successfully");
  });

  router.post("/metaverse/invites/:notificationId/decline", auth, async (req, res) => {
    const { notificationId } = params(req, NotificationIdParams);
    success(res, await spaces.declineInvite(userOf(req).id, notificationId), "Invite declined successfully");
  });

  router.get("/metaverse/invites/users/:spaceId", auth, async (req, res) => {
    const { spaceId } = params(req, SpaceIdParams);
    const filter = query(req, InvitableUsersQuery);
    success(res, await spaces.invitableUsers(userOf(req).id, spaceId, filter));
  });

  router.get("/metaverse/invites/my-invites", auth, async (req, res) => {
    success(res, await spaces.myInvites(userOf(req).id, query(req, MyInvitesQuery)));
  });

  return router;
}
