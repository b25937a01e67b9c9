import type { RequestHandler, Response } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { InvitableUsersQuery, MyInvitesQuery, NotificationIdParams, SendInviteBody, SpaceIdParams } from "./protocol";

const UserRef = z.object({ id: z.string(), username: z.string() });
const SpaceRef = z.object({ id: z.string(), name: z.string() });
/** The metaverse product's success envelope. */
const success = <T extends z.ZodType>(data: T) =>
  z.object({ status: z.literal("success"), message: z.string().optional(), data });

const SentInvite = z.object({
  invite: z.object({
    id: z.string().meta({ description: "The invitee's notification id." }),
    toUser: UserRef,
    fromUser: UserRef,
    space: SpaceRef,
    expiresAt: z.iso.datetime(),
  }),
});
const AnsweredInvite = z.object({ space: SpaceRef });
const InvitableUsers = z.object({
  users: z.array(
    z.object({
      id: z.string(),
      username: z.string(),
      displayName: z.string().nullable(),
      avatarUrl: z.string().nullable(),
    }),
  ),
  count: z.number().int(),
  nextCursor: z.string().nullable(),
});
const MyInvites = z.object({
  invites: z.array(
    z.object({
      id: z.string(),
      fromUser: UserRef,
      space: SpaceRef,
      expiresAt: z.iso.datetime().nullable(),
      createdAt: z.iso.datetime(),
      status: z.enum(["unread", "read", "dismissed"]),
      expired: z.boolean(),
    }),
  ),
  count: z.number().int(),
  nextCursor: z.string().nullable(),
});

/**
 * `/metaverse/invites/*`: space invites in the metaverse product's envelope,
 * `{status: "success", message?, data}` (failures use the shared `{status: "failed", error, code}`).
 */
export function metaverseInvitesRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("space invites", { bearer: auth });
  const spaces = ctx.services.spaces;
  const reply = (res: Response, data: unknown, message?: string, status = 200) =>
    res.status(status).json(message ? { status: "success", message, data } : { status: "success", data });

  const sendDoc = {
    summary: "Invite a user to a space",
    body: SendInviteBody,
    responses: { 201: success(SentInvite) },
  };
  api.post("/metaverse/invites/send", "bearer", sendDoc, async (req, res, { body }) => {
    reply(res, await spaces.sendInvite(userOf(req).id, body), "Invite sent successfully", 201);
  });

  const acceptDoc = {
    summary: "Accept a space invite",
    params: NotificationIdParams,
    responses: { 200: success(AnsweredInvite) },
  };
  api.post("/metaverse/invites/:notificationId/accept", "bearer", acceptDoc, async (req, res, { params }) => {
    reply(res, await spaces.acceptInvite(userOf(req).id, params.notificationId), "Invite accepted successfully");
  });

  const declineDoc = { ...acceptDoc, summary: "Decline a space invite" };
  api.post("/metaverse/invites/:notificationId/decline", "bearer", declineDoc, async (req, res, { params }) => {
    reply(res, await spaces.declineInvite(userOf(req).id, params.notificationId), "Invite declined successfully");
  });

  const usersDoc = {
    summary: "Who the caller (a member) can invite to a space",
    params: SpaceIdParams,
    query: InvitableUsersQuery,
    responses: { 200: success(InvitableUsers) },
  };
  api.get("/metaverse/invites/users/:spaceId", "bearer", usersDoc, async (req, res, { params, query }) => {
    reply(res, await spaces.invitableUsers(userOf(req).id, params.spaceId, query));
  });

  const mineDoc = {
    summary: "The caller's pending space invites, newest first",
    query: MyInvitesQuery,
    responses: { 200: success(MyInvites) },
  };
  api.get("/metaverse/invites/my-invites", "bearer", mineDoc, async (req, res, { query }) => {
    reply(res, await spaces.myInvites(userOf(req).id, query));
  });

  return api.router;
}
