import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { text, uuid } from "../../protocol/common";
import { REPORT_REASONS } from "./protocol";
import { body, params, query, userOf } from "../../http/middleware";
import { operatorAuth, operatorOf } from "../../http/operatorAuth";
import { PageQuery, pageQueryShape } from "../../http/paging";

const BlockBody = z.object({ userId: uuid() }).strict();
const UserIdParams = z.object({ userId: z.string().max(64) });
const IdParams = z.object({ id: z.string().max(64) });
const NOTE_MAX_CHARS = 1000;

const ReportBody = z
  .object({
    userId: uuid(),
    reason: z.enum(REPORT_REASONS),
    conversationId: uuid().optional(),
    messageId: z.number().int("must be an integer").positive("must be a positive message id").optional(),
    note: text(NOTE_MAX_CHARS).optional(),
  })
  .strict();

const AdminReportsQuery = z
  .object({ status: z.enum(["open", "resolved", "dismissed", "withdrawn"]).optional(), ...pageQueryShape })
  .strict();
const ResolveBody = z
  .object({ status: z.enum(["resolved", "dismissed"]).default("resolved"), note: text(NOTE_MAX_CHARS).optional() })
  .strict();

/** Blocks, reports and the operators' report queue (docs/PROTOCOL.md §2 "Safety"). */
export function safetyRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const { blocks, reports } = ctx.services;

  // Blocking twice is idempotent: 201 the first time, 200 after, and nothing changes.
  router.post("/api/blocks", auth, async (req, res) => {
    const { userId } = body(req, BlockBody);
    const { block, created } = await blocks.block(userOf(req).id, userId);
    res.status(created ? 201 : 200).json(block);
  });

  router.delete("/api/blocks/:userId", auth, async (req, res) => {
    const { userId } = params(req, UserIdParams);
    await blocks.unblock(userOf(req).id, userId);
    res.json({ userId, blocked: false });
  });

  router.get("/api/blocks", auth, async (req, res) => {
    res.json(await blocks.list(userOf(req).id, query(req, PageQuery)));
  });

  router.post("/api/reports", auth, async (req, res) => {
    res.status(201).json(await reports.file(userOf(req).id, body(req, ReportBody)));
  });

  router.delete("/api/reports/:id", auth, async (req, res) => {
    const { id } = params(req, IdParams);
    res.json(await reports.withdraw(userOf(req).id, id));
  });

  const operator = operatorAuth(ctx);
  router.get("/api/admin/reports", operator, async (req, res) => {
    res.json(await reports.list(query(req, AdminReportsQuery)));
  });

  router.post("/api/admin/reports/:id/resolve", operator, async (req, res) => {
    const { id } = params(req, IdParams);
    const { status, note } = body(req, ResolveBody);
    res.json(await reports.resolve(id, { status, note, by: operatorOf(req) }));
  });

  return router;
}
