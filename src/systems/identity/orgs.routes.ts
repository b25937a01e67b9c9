import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { name } from "../../protocol/common";
import { pageQueryShape, PageQuery } from "../../http/paging";
import { body, params, query, userOf } from "../../http/middleware";

const CreateOrgBody = z.object({ name: name(64) }).strict();
const InviteCodeBody = z
  .object({
    expiresInHours: z
      .number()
      .positive()
      .max(24 * 365)
      .optional(),
    maxUses: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
const JoinBody = z.object({ code: z.string().min(1).max(64) }).strict();
const OrgParams = z.object({ id: z.string().max(64) });
const MemberParams = z.object({ id: z.string().max(64), userId: z.string().max(64) });
const MembersQuery = z.object(pageQueryShape).strict();

/** `/api/orgs/...` (docs/PROTOCOL.md §1 "Organizations"). */
export function orgsRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const orgs = ctx.services.orgs;

  router.post("/api/orgs", auth, async (req, res) => {
    const input = body(req, CreateOrgBody);
    res.status(201).json(await orgs.create(userOf(req).id, input.name));
  });

  router.get("/api/orgs", auth, async (req, res) => {
    const { limit, cursor } = query(req, PageQuery);
    res.json(await orgs.listForUser(userOf(req).id, limit, cursor));
  });

  // Declared before /:id routes so "join" is never read as an org id.
  router.post("/api/orgs/join", auth, async (req, res) => {
    const { code } = body(req, JoinBody);
    res.json(await orgs.join(userOf(req).id, code));
  });

  router.get("/api/orgs/:id/members", auth, async (req, res) => {
    const { id } = params(req, OrgParams);
    const { limit, cursor } = query(req, MembersQuery);
    res.json(await orgs.members(id, userOf(req).id, limit, cursor));
  });

  router.post("/api/orgs/:id/invite-codes", auth, async (req, res) => {
    const { id } = params(req, OrgParams);
    res.status(201).json(await orgs.createInviteCode(id, userOf(req).id, body(req, InviteCodeBody)));
  });

  router.delete("/api/orgs/:id/members/:userId", auth, async (req, res) => {
    const { id, userId } = params(req, MemberParams);
    await orgs.removeMember(id, userOf(req).id, userId);
    res.status(204).end();
  });

  return router;
}
