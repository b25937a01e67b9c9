import { Router, type RequestHandler } from "express";
import type { AppContext } from "../../context";
import { body, userOf } from "../middleware";
import { CreateSpaceBody } from "../../protocol/space";

/** `/api/spaces`: create a space (the caller becomes its admin) and list the caller's spaces. */
export function spacesRoutes(ctx: AppContext, auth: RequestHandler): Router {
  const router = Router();
  const spaces = ctx.services.spaces;

  router.post("/api/spaces", auth, async (req, res) => {
    const input = body(req, CreateSpaceBody);
    res.status(201).json(await spaces.create(userOf(req).id, input));
  });

  router.get("/api/spaces", auth, async (req, res) => {
    res.json({ items: await spaces.listForUser(userOf(req).id) });
  });

  return router;
}
