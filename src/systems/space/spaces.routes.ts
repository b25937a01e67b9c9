import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
import { PageQuery, pageSchema } from "../../http/paging";
import {
  CreateSpaceBody,
  MemberRoleBody,
  MembersQuery,
  SpaceMemberParams,
  SpaceParams,
  UpdateSpaceBody,
} from "./protocol";

const SpaceRole = z.enum(["admin", "member"]);
const Space = z
  .object({
    id: z.string(),
    name: z.string(),
    capacity: z.number().int(),
    width: z.number().int(),
    height: z.number().int(),
    viewRadius: z
      .number()
      .int()
      .nullable()
      .meta({ description: "Half the side of each avatar's view; 0 = the whole space; null = the server default." }),
    ownerId: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Space" });
/** A space as one of its members sees it. */
const MySpace = Space.extend({ role: SpaceRole, memberCount: z.number().int() }).meta({ id: "MySpace" });
const SpaceMember = z
  .object({
    userId: z.string(),
    username: z.string(),
    displayName: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    role: SpaceRole,
    joinedAt: z.iso.datetime(),
    online: z.boolean().meta({ description: "Signed in: a lobby open on any process." }),
  })
  .meta({ id: "SpaceMember" });

/**
 * `/api/spaces`: create a space (the caller becomes its admin), list the caller's spaces, and
 * manage one: members, leaving, removal, roles, settings, deletion (docs/PROTOCOL.md §2).
 */
export function spacesRoutes(ctx: AppContext, auth: RequestHandler): ApiRouter {
  const api = apiRoutes("spaces", { bearer: auth });
  const spaces = ctx.services.spaces;
  const members = ctx.services.spaceMembers;

  const createDoc = {
    summary: "Create a space (the caller is its admin)",
    body: CreateSpaceBody,
    responses: { 201: MySpace },
  };
  api.post("/api/spaces", "bearer", createDoc, async (req, res, { body }) => {
    res.status(201).json(await spaces.create(userOf(req).id, body));
  });

  const listDoc = {
    summary: "The caller's spaces, newest first",
    query: PageQuery,
    responses: { 200: pageSchema(MySpace) },
  };
  api.get("/api/spaces", "bearer", listDoc, async (req, res, { query }) => {
    res.json(await spaces.listForUser(userOf(req).id, query));
  });

  const updateDoc = {
    summary: "Change a space's settings (admins)",
    params: SpaceParams,
    body: UpdateSpaceBody,
    responses: { 200: Space },
  };
  api.patch("/api/spaces/:id", "bearer", updateDoc, async (req, res, { params, body }) => {
    res.json(await members.update(userOf(req).id, params.id, body));
  });

  const deleteDoc = { summary: "Delete a space (admins)", params: SpaceParams, responses: { 204: null } };
  api.delete("/api/spaces/:id", "bearer", deleteDoc, async (req, res, { params }) => {
    await members.delete(userOf(req).id, params.id);
    res.status(204).end();
  });

  const membersDoc = {
    summary: "A space's members, by username (members only)",
    params: SpaceParams,
    query: MembersQuery,
    responses: { 200: pageSchema(SpaceMember) },
  };
  api.get("/api/spaces/:id/members", "bearer", membersDoc, async (req, res, { params, query }) => {
    res.json(await members.list(userOf(req).id, params.id, query));
  });

  // Before `:userId`: "me" is the caller leaving.
  const leaveDoc = { summary: "Leave a space", params: SpaceParams, responses: { 204: null } };
  api.delete("/api/spaces/:id/members/me", "bearer", leaveDoc, async (req, res, { params }) => {
    await members.leave(userOf(req).id, params.id);
    res.status(204).end();
  });

  const removeDoc = { summary: "Remove a member (admins)", params: SpaceMemberParams, responses: { 204: null } };
  api.delete("/api/spaces/:id/members/:userId", "bearer", removeDoc, async (req, res, { params: { id, userId } }) => {
    await members.remove(userOf(req).id, id, userId);
    res.status(204).end();
  });

  const roleDoc = {
    summary: "Promote or demote a member (admins)",
    params: SpaceMemberParams,
    body: MemberRoleBody,
    responses: { 200: SpaceMember },
  };
  api.patch("/api/spaces/:id/members/:userId", "bearer", roleDoc, async (req, res, { params, body }) => {
    res.json(await members.setRole(userOf(req).id, params.id, params.userId, body.role));
  });

  return api.router;
}
