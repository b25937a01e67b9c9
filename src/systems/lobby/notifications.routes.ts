import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { params, query, userOf } from "../../http/middleware";
import { pageQueryShape } from "../../http/paging";

const ListQuery = z
  .object({
    status: z.enum(["unread", "read", "dismissed"]).optional(),
    ...pageQueryShape,
  })
  .strict();
const IdParams = z.object({ id: z.string().max(64) });

/** The notification center (docs/PROTOCOL.md §2). Another user's notification is 404. */
export function notificationsRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const notifications = ctx.services.notifications;

  router.get("/api/notifications", auth, async (req, res) => {
    const opts = query(req, ListQuery);
    res.json(await notifications.list(userOf(req).id, opts));
  });

  for (const [action, status] of [
    ["read", "read"],
    ["dismiss", "dismissed"],
  ] as const) {
    router.post(`/api/notifications/:id/${action}`, auth, async (req, res) => {
      const { id } = params(req, IdParams);
      const [updated] = await notifications.setStatus(userOf(req).id, [id], status);
      res.json(updated);
    });
  }

  return router;
}
