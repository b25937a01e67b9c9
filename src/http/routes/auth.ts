import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { body, params, requireAuth, userOf } from "../middleware";
import { AppError } from "../../errors";
import { httpUrl, name } from "../../protocol/common";
import type { User } from "../../services/users";
import { passwordProblem } from "../../auth/passwords";
import type { AbuseLimits } from "../abuseLimits";

/** 8–128 characters and not one of the 10,000 most common (src/auth/passwords.ts). */
const NewPassword = z.string().superRefine((p, issue) => {
  const problem = passwordProblem(p);
  if (problem) issue.addIssue({ code: "custom", message: problem });
});

const Username = name(32)
  .refine((s) => s.length >= 3, "must be at least 3 characters")
  .refine((s) => /^[A-Za-z0-9_.-]+$/.test(s), "may contain letters, digits, _ . - only");

const RegisterBody = z
  .object({
    username: Username,
    password: NewPassword,
    displayName: name(64).optional(),
    avatarUrl: httpUrl().optional(),
    orgId: z.string().trim().min(1).max(64).regex(/^[\w.-]+$/, "may contain letters, digits, _ . - only").optional(),
  })
  .strict();

const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }).strict();

export function authRoutes(ctx: AppContext, limits: AbuseLimits): Router {
  const router = Router();
  const issue = (user: User) => ({
    token: ctx.tokens.sign({ id: user.id, username: user.username, orgId: user.orgId }),
    user,
  });

  router.post("/api/auth/register", async (req, res) => {
    const input = body(req, RegisterBody);
    const ip = req.ip ?? "unknown";
    await limits.registration(ip);
    const user = await ctx.services.users.register(input, ip);
    res.status(201).json(issue(user));
  });

  router.post("/api/auth/login", async (req, res) => {
    const { username, password } = body(req, LoginBody);
    const ip = req.ip ?? "unknown";
    res.json(issue(await limits.login(username, ip, () => ctx.services.users.login(username, password, ip))));
  });

  router.get("/api/users/me", requireAuth(ctx.tokens), async (req, res) => {
    res.json(await ctx.services.users.require(userOf(req).id));
  });

  // Public profile lookup (to like or befriend someone by name): no org or private fields.
  router.get("/api/users/by-username/:username", requireAuth(ctx.tokens), async (req, res) => {
    const { username } = params(req, z.object({ username: Username }));
    const user = await ctx.services.users.byUsername(username);
    // A block either way hides the user, exactly as if the name were unknown.
    if (!user || (await ctx.services.blocks.between(userOf(req).id, user.id))) throw new AppError("NOT_FOUND", "User not found");
    res.json({ id: user.id, username: user.username, displayName: user.displayName, avatarUrl: user.avatarUrl });
  });

  return router;
}
