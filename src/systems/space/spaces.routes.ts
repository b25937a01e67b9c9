import { Router, type RequestHandler } from "express";
import type { AppContext } from "../../context";
import { body, params, query, userOf } from "../../http/middleware";
import { PageQuery } from "../../http/paging";
import {
  CreateSpaceBody,
  MemberRoleBody,
  MembersQuery,
  SpaceMemberParams,
  SpaceParams,
  UpdateSpaceBody,
} from "./protocol";

/**
 * `/api/spaces`: create a space (the caller becomes its admin), list the caller's spaces, and
 * manage one: members, leaving, removal, roles, settings, deletion (docs/PROTOCOL.md §2).
 */
export function spacesRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const spaces = ctx.services.spaces;
  const members = ctx.services.spaceMembers;

  router.post("/api/spaces", auth, async (req, res) => {
    const input = body(req, CreateSpaceBody);
    res.status(201).json(await spaces.create(userOf(req).id, input));
  });

  router.get("/api/spaces", auth, async (req, res) => {
    res.json(await spaces.listForUser(userOf(req).id, query(req, PageQuery)));
  });

  router.patch("/api/spaces/:id", auth, async (req, res) => {
    const { id } = params(req, SpaceParams);
    res.json(await members.update(userOf(req).id, id, body(req, UpdateSpaceBody)));
  });

  router.delete("/api/spaces/:id", auth, async (req, res) => {
    const { id } = params(req, SpaceParams);
    await members.delete(userOf(req).id, id);
    res.status(204).end();
  });

  router.get("/api/spaces/:id/members", auth, async (req, res) => {
    const { id } = params(req, SpaceParams);
    res.json(await members.list(userOf(req).id, id, query(req, MembersQuery)));
  });

  // Before `:userId`: "me" is the caller leaving.
  router.delete("/api/spaces/:id/members/me", auth, async (req, res) => {
    const { id } = params(req, SpaceParams);
    await members.leave(userOf(req).id, id);
    res.status(204).end();
  });

  router.delete("/api/spaces/:id/members/:userId", auth, async (req, res) => {
    const { id, userId } = params(req, SpaceMemberParams);
    await members.remove(userOf(req).id, id, userId);
    res.status(204).end();
  });

  router.patch("/api/spaces/:id/members/:userId", auth, async (req, res) => {
    const { id, userId } = params(req, SpaceMemberParams);
    const { role } = body(req, MemberRoleBody);
    res.json(await members.setRole(userOf(req).id, id, userId, role));
  });

  return router;
}
