import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { text, uuid } from "../../protocol/common";
import { REPORT_REASONS, UserSummary } from "./protocol";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { operatorAuth, operatorOf } from "../../http/operatorAuth";
import { PageQuery, pageQueryShape, pageSchema } from "../../http/paging";

const BlockBody = z.object({ userId: uuid() }).strict();
const UserIdParams = z.object({ userId: z.string().max(64) });
const IdParams = z.object({ id: z.string().max(64) });
const NOTE_MAX_CHARS = 1000;
const REPORT_STATUSES = ["open", "resolved", "dismissed", "withdrawn"] as const;

const ReportBody = z
  .object({
    userId: uuid(),
    reason: z.enum(REPORT_REASONS),
    conversationId: uuid().optional(),
    messageId: z.number().int("must be an integer").positive("must be a positive message id").optional(),
    note: text(NOTE_MAX_CHARS).optional(),
  })
  .strict();

const AdminReportsQuery = z.object({ status: z.enum(REPORT_STATUSES).optional(), ...pageQueryShape }).strict();
const ResolveBody = z
  .object({ status: z.enum(["resolved", "dismissed"]).default("resolved"), note: text(NOTE_MAX_CHARS).optional() })
  .strict();

const BlockedUser = z.object({ user: UserSummary, createdAt: z.iso.datetime() }).meta({ id: "BlockedUser" });
const Unblocked = z.object({ userId: z.string(), blocked: z.literal(false) });
const UserRef = z.object({ id: z.string(), username: z.string() });
const Report = z
  .object({
    id: z.string(),
    reporter: UserRef,
    reported: UserRef,
    reason: z.enum(REPORT_REASONS),
    note: z.string().nullable(),
    conversationId: z.string().nullable(),
    messageId: z.number().int().nullable(),
    evidence: z
      .array(
        z.object({
          id: z.number().int(),
          conversationId: z.string(),
          senderId: z.string(),
          content: z.string(),
          createdAt: z.iso.datetime(),
        }),
      )
      .meta({ description: "A snapshot of the named message, or of the reported user's latest messages there." }),
    status: z.enum(REPORT_STATUSES),
    resolutionNote: z.string().nullable(),
    resolvedBy: z.string().nullable().meta({ description: "`monitor:<user>` or `admin:<username>`." }),
    createdAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Report" });

/** Blocks, reports and the operators' report queue (docs/PROTOCOL.md §2 "Safety"). */
export function safetyRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("safety", { bearer: auth, operator: operatorAuth(ctx) });
  const { blocks, reports } = ctx.services;

  // Blocking twice is idempotent: 201 the first time, 200 after, and nothing changes.
  const blockDoc = {
    summary: "Block a user (201; again: 200 and nothing changes)",
    body: BlockBody,
    responses: { 200: BlockedUser, 201: BlockedUser },
  };
  api.post("/api/blocks", "bearer", blockDoc, async (req, res, { body }) => {
    const { block, created } = await blocks.block(userOf(req).id, body.userId);
    res.status(created ? 201 : 200).json(block);
  });

  const unblockDoc = { summary: "Unblock a user", params: UserIdParams, responses: { 200: Unblocked } };
  api.delete("/api/blocks/:userId", "bearer", unblockDoc, async (req, res, { params: { userId } }) => {
    await blocks.unblock(userOf(req).id, userId);
    res.json({ userId, blocked: false });
  });

  const blocksDoc = {
    summary: "Users the caller blocks, newest first",
    query: PageQuery,
    responses: { 200: pageSchema(BlockedUser) },
  };
  api.get("/api/blocks", "bearer", blocksDoc, async (req, res, { query }) => {
    res.json(await blocks.list(userOf(req).id, query));
  });

  const reportDoc = { summary: "Report a user", body: ReportBody, responses: { 201: Report } };
  api.post("/api/reports", "bearer", reportDoc, async (req, res, { body }) => {
    res.status(201).json(await reports.file(userOf(req).id, body));
  });

  const withdrawDoc = {
    summary: "Withdraw an open report (the reporter)",
    params: IdParams,
    responses: { 200: Report },
  };
  api.delete("/api/reports/:id", "bearer", withdrawDoc, async (req, res, { params }) => {
    res.json(await reports.withdraw(userOf(req).id, params.id));
  });

  const queueDoc = {
    summary: "The report queue, newest first (operators)",
    query: AdminReportsQuery,
    responses: { 200: pageSchema(Report) },
  };
  api.get("/api/admin/reports", "operator", queueDoc, async (_req, res, { query }) => {
    res.json(await reports.list(query));
  });

  const resolveDoc = {
    summary: "Close a report (operators)",
    params: IdParams,
    body: ResolveBody,
    responses: { 200: Report },
  };
  api.post("/api/admin/reports/:id/resolve", "operator", resolveDoc, async (req, res, { params, body }) => {
    res.json(await reports.resolve(params.id, { status: body.status, note: body.note, by: operatorOf(req) }));
  });

  return api.router;
}
