import { Router, type RequestHandler } from "express";
import type { AppContext } from "../../context";

// Filled in by its issue.
export function matchingRoutes(_ctx: AppContext, _auth: RequestHandler): Router {
  return Router();
}
