import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { body, params, query, userOf } from "../../http/middleware";
import { PageQuery, pageQueryShape } from "../../http/paging";

const RequestBody = z
  .object({ username: z.string().trim().min(1, "must not be empty").max(64, "must be at most 64 characters") })
  .strict();
const RequestsQuery = z
  .object({ direction: z.enum(["incoming", "outgoing"]).default("incoming"), ...pageQueryShape })
  .strict();
const IdParams = z.object({ id: z.string().max(64) });
const UserIdParams = z.object({ userId: z.string().max(64) });

/** Friends (docs/PROTOCOL.md §2): a request and the friendship it becomes share one id. */
export function friendsRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const friends = ctx.services.friends;

  router.post("/api/friends/requests", auth, async (req, res) => {
    const { username } = body(req, RequestBody);
    res.status(201).json(await friends.request(userOf(req).id, username));
  });

  router.get("/api/friends/requests", auth, async (req, res) => {
    const { direction, ...page } = query(req, RequestsQuery);
    res.json(await friends.listRequests(userOf(req).id, direction, page));
  });

  router.post("/api/friends/requests/:id/accept", auth, async (req, res) => {
    const { id } = params(req, IdParams);
    res.json(await friends.accept(userOf(req).id, id));
  });

  router.post("/api/friends/requests/:id/decline", auth, async (req, res) => {
    const { id } = params(req, IdParams);
    res.json({ ...(await friends.decline(userOf(req).id, id)), status: "declined" });
  });

  router.delete("/api/friends/requests/:id", auth, async (req, res) => {
    const { id } = params(req, IdParams);
    res.json({ ...(await friends.cancel(userOf(req).id, id)), status: "cancelled" });
  });

  router.get("/api/friends", auth, async (req, res) => {
    res.json(await friends.list(userOf(req).id, query(req, PageQuery)));
  });

  router.delete("/api/friends/:userId", auth, async (req, res) => {
    const { userId } = params(req, UserIdParams);
    await friends.unfriend(userOf(req).id, userId);
    res.json({ userId, status: "removed" });
  });

  return router;
}
