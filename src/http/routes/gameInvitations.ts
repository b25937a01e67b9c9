import { Router, type RequestHandler } from "express";
import type { AppContext } from "../../context";

// Filled in by its issue.
export function gameInvitationsRoutes(_ctx: AppContext, _auth: RequestHandler): Router {
  return Router();
}
