import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { body, params, query, userOf } from "../middleware";

const RequestBody = z.object({ username: z.string().trim().min(1, "must not be empty").max(64, "must be at most 64 characters") }).strict();
const RequestsQuery = z.object({ direction: z.enum(["incoming", "outgoing"]).default("incoming") }).strict();
const IdParams = z.object({ id: z.string().max(64) });

/** Friends (docs/PROTOCOL.md §2): a request and the friendship it becomes share one id. */
export function friendsRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const friends = ctx.services.friends;

  router.post("/api/friends/requests", auth, async (req, res) => {
    const { username } = body(req, RequestBody);
    res.status(201).json(await friends.request(userOf(req).id, username));
  });

  router.get("/api/friends/requests", auth, async (req, res) => {
    const { direction } = query(req, RequestsQuery);
    res.json({ items: await friends.listRequests(userOf(req).id, direction) });
  });

  router.post("/api/friends/requests/:id/accept", auth, async (req, res) => {
    const { id } = params(req, IdParams);
    res.json(await friends.accept(userOf(req).id, id));
  });

  router.get("/api/friends", auth, async (req, res) => {
    res.json({ items: await friends.list(userOf(req).id) });
  });

  return router;
}
