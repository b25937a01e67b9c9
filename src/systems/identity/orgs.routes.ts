import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { name } from "../../protocol/common";
import { pageQueryShape, PageQuery, pageSchema } from "../../http/paging";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";

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

const OrgRole = z.enum(["owner", "admin", "member"]);
/** An org as one of its members sees it: `role` is theirs. */
const Org = z
  .object({ id: z.string(), name: z.string(), role: OrgRole, joinedAt: z.iso.datetime() })
  .meta({ id: "Org" });
const OrgMember = z
  .object({
    userId: z.string(),
    username: z.string(),
    displayName: z.string().nullable(),
    role: OrgRole,
    joinedAt: z.iso.datetime(),
  })
  .meta({ id: "OrgMember" });
const CreatedInviteCode = z.object({
  code: z.string().meta({ description: "Shown only here." }),
  orgId: z.string(),
  expiresAt: z.iso.datetime().nullable(),
  maxUses: z.number().int().nullable(),
});

/** `/api/orgs/...` (docs/PROTOCOL.md §1 "Organizations"). */
export function orgsRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("orgs", { bearer: auth });
  const orgs = ctx.services.orgs;

  const createDoc = { summary: "Create an org (the caller owns it)", body: CreateOrgBody, responses: { 201: Org } };
  api.post("/api/orgs", "bearer", createDoc, async (req, res, { body }) => {
    res.status(201).json(await orgs.create(userOf(req).id, body.name));
  });

  const listDoc = {
    summary: "The caller's orgs, oldest membership first",
    query: PageQuery,
    responses: { 200: pageSchema(Org) },
  };
  api.get("/api/orgs", "bearer", listDoc, async (req, res, { query: { limit, cursor } }) => {
    res.json(await orgs.listForUser(userOf(req).id, limit, cursor));
  });

  // Declared before /:id routes so "join" is never read as an org id.
  const joinDoc = { summary: "Join an org with an invite code", body: JoinBody, responses: { 200: Org } };
  api.post("/api/orgs/join", "bearer", joinDoc, async (req, res, { body }) => {
    res.json(await orgs.join(userOf(req).id, body.code));
  });

  const membersDoc = {
    summary: "An org's members (members only)",
    params: OrgParams,
    query: MembersQuery,
    responses: { 200: pageSchema(OrgMember) },
  };
  api.get("/api/orgs/:id/members", "bearer", membersDoc, async (req, res, { params, query: { limit, cursor } }) => {
    res.json(await orgs.members(params.id, userOf(req).id, limit, cursor));
  });

  const inviteDoc = {
    summary: "Create an invite code (admins and owners)",
    params: OrgParams,
    body: InviteCodeBody,
    responses: { 201: CreatedInviteCode },
  };
  api.post("/api/orgs/:id/invite-codes", "bearer", inviteDoc, async (req, res, { params, body }) => {
    res.status(201).json(await orgs.createInviteCode(params.id, userOf(req).id, body));
  });

  const removeDoc = { summary: "Remove a member, or leave", params: MemberParams, responses: { 204: null } };
  api.delete("/api/orgs/:id/members/:userId", "bearer", removeDoc, async (req, res, { params: { id, userId } }) => {
    await orgs.removeMember(id, userOf(req).id, userId);
    res.status(204).end();
  });

  return api.router;
}
