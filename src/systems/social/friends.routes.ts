import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { PageQuery, pageQueryShape, pageSchema } from "../../http/paging";
import { UserSummary } from "./protocol";

const RequestBody = z
  .object({ username: z.string().trim().min(1, "must not be empty").max(64, "must be at most 64 characters") })
  .strict();
const RequestsQuery = z
  .object({ direction: z.enum(["incoming", "outgoing"]).default("incoming"), ...pageQueryShape })
  .strict();
const IdParams = z.object({ id: z.string().max(64) });
const UserIdParams = z.object({ userId: z.string().max(64) });

const FriendRequest = z
  .object({
    id: z.string().meta({ description: "The request's id, and the friendship's once accepted." }),
    status: z.enum(["pending", "accepted"]),
    requester: UserSummary,
    addressee: UserSummary,
    createdAt: z.iso.datetime(),
    acceptedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "FriendRequest" });
const EndedRequest = FriendRequest.extend({ status: z.enum(["declined", "cancelled"]) });
const Friend = z
  .object({
    friendshipId: z.string(),
    user: UserSummary,
    online: z.boolean(),
    lastSeenAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: "When their last lobby device left; null while online or never seen." }),
  })
  .meta({ id: "Friend" });
const Unfriended = z.object({ userId: z.string(), status: z.literal("removed") });

/** Friends (docs/PROTOCOL.md §2): a request and the friendship it becomes share one id. */
export function friendsRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("friends", { bearer: auth });
  const friends = ctx.services.friends;

  const requestDoc = { summary: "Send a friend request", body: RequestBody, responses: { 201: FriendRequest } };
  api.post("/api/friends/requests", "bearer", requestDoc, async (req, res, { body }) => {
    res.status(201).json(await friends.request(userOf(req).id, body.username));
  });

  const requestsDoc = {
    summary: "Pending friend requests, incoming or outgoing",
    query: RequestsQuery,
    responses: { 200: pageSchema(FriendRequest) },
  };
  api.get("/api/friends/requests", "bearer", requestsDoc, async (req, res, { query }) => {
    const { direction, ...page } = query;
    res.json(await friends.listRequests(userOf(req).id, direction, page));
  });

  const acceptDoc = {
    summary: "Accept a friend request (the addressee)",
    params: IdParams,
    responses: { 200: FriendRequest },
  };
  api.post("/api/friends/requests/:id/accept", "bearer", acceptDoc, async (req, res, { params }) => {
    res.json(await friends.accept(userOf(req).id, params.id));
  });

  const declineDoc = {
    summary: "Decline a friend request (the addressee)",
    params: IdParams,
    responses: { 200: EndedRequest },
  };
  api.post("/api/friends/requests/:id/decline", "bearer", declineDoc, async (req, res, { params }) => {
    res.json({ ...(await friends.decline(userOf(req).id, params.id)), status: "declined" });
  });

  const cancelDoc = {
    summary: "Cancel a friend request (the requester)",
    params: IdParams,
    responses: { 200: EndedRequest },
  };
  api.delete("/api/friends/requests/:id", "bearer", cancelDoc, async (req, res, { params }) => {
    res.json({ ...(await friends.cancel(userOf(req).id, params.id)), status: "cancelled" });
  });

  const listDoc = { summary: "The caller's friends", query: PageQuery, responses: { 200: pageSchema(Friend) } };
  api.get("/api/friends", "bearer", listDoc, async (req, res, { query }) => {
    res.json(await friends.list(userOf(req).id, query));
  });

  const unfriendDoc = { summary: "Unfriend", params: UserIdParams, responses: { 200: Unfriended } };
  api.delete("/api/friends/:userId", "bearer", unfriendDoc, async (req, res, { params: { userId } }) => {
    await friends.unfriend(userOf(req).id, userId);
    res.json({ userId, status: "removed" });
  });

  return api.router;
}
