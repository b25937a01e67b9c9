import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { pageQueryShape, pageSchema } from "../../http/paging";

const NOTIFICATION_STATUSES = ["unread", "read", "dismissed"] as const;
const ListQuery = z
  .object({
    status: z.enum(NOTIFICATION_STATUSES).optional(),
    ...pageQueryShape,
  })
  .strict();
const IdParams = z.object({ id: z.string().max(64) });

const Notification = z
  .object({
    id: z.string(),
    userId: z.string(),
    type: z.enum(["invites", "updates"]),
    kind: z.string(),
    title: z.string(),
    message: z.string(),
    data: z.record(z.string(), z.unknown()),
    status: z.enum(NOTIFICATION_STATUSES),
    isActive: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Notification" });

/** The notification center (docs/PROTOCOL.md §2). Another user's notification is 404. */
export function notificationsRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("notifications", { bearer: auth });
  const notifications = ctx.services.notifications;

  const listDoc = {
    summary: "The caller's notifications, newest first",
    query: ListQuery,
    responses: { 200: pageSchema(Notification) },
  };
  api.get("/api/notifications", "bearer", listDoc, async (req, res, { query }) => {
    res.json(await notifications.list(userOf(req).id, query));
  });

  for (const [action, status] of [
    ["read", "read"],
    ["dismiss", "dismissed"],
  ] as const) {
    const doc = { summary: `Mark a notification ${status}`, params: IdParams, responses: { 200: Notification } };
    api.post(`/api/notifications/:id/${action}`, "bearer", doc, async (req, res, { params }) => {
      const [updated] = await notifications.setStatus(userOf(req).id, [params.id], status);
      res.json(updated);
    });
  }

  return api.router;
}
