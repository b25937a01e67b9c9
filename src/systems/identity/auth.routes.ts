import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { body, params, requireAuth, userOf } from "../../http/middleware";
import { AppError } from "../../errors";
import { httpUrl, name } from "../../protocol/common";
import type { User } from "./users";
import { passwordProblem } from "../../auth/passwords";
import type { AbuseLimits } from "../../http/abuseLimits";

export const OrgIdField = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/, "may contain letters, digits, _ . - only");

const Username = name(32)
  .refine((s) => s.length >= 3, "must be at least 3 characters")
  .refine((s) => /^[A-Za-z0-9_.-]+$/.test(s), "may contain letters, digits, _ . - only");

/** 8–128 characters and not one of the 10,000 most common (src/auth/passwords.ts). */
const Password = z.string().superRefine((p, issue) => {
  const problem = passwordProblem(p);
  if (problem) issue.addIssue({ code: "custom", message: problem });
});

const RegisterBody = z
  .object({
    username: Username,
    password: Password,
    displayName: name(64).optional(),
    avatarUrl: httpUrl().optional(),
    orgId: OrgIdField.optional(),
    inviteCode: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => !(b.orgId && b.inviteCode), {
    message: "give orgId (a new organization) or inviteCode, not both",
    path: ["orgId"],
  });

// Any string up to a JWT's size: a wrong kind of token is 401 `invalid token`, not a 400.
const RefreshBody = z.object({ refreshToken: z.string().min(1).max(8192) }).strict();
const SwitchOrgBody = z.object({ orgId: OrgIdField }).strict();
const PasswordBody = z.object({ currentPassword: z.string().min(1).max(200), newPassword: Password }).strict();

const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }).strict();

/** What register, login, refresh and a password change answer (docs/PROTOCOL.md §2). */
export interface AuthSession {
  token: string;
  refreshToken: string;
  /** The access token's lifetime as configured (JWT_EXPIRES_IN, e.g. "15m"). */
  expiresIn: string;
  user: User;
}

export function authRoutes(ctx: AppContext, limits: AbuseLimits): Router {
  const router = Router();
  const { users, orgs, refreshTokens } = ctx.services;
  // These writes spend the user's REST write budget too.
  const auth = limits.withWriteBudget(requireAuth(ctx.tokens));
  /** An access token for `user`, carrying the org it prefers while it is still a member. */
  const accessFor = async (user: User) => {
    const orgId = await orgs.tokenOrg(user.id, user.orgId);
    return { token: ctx.tokens.sign({ id: user.id, username: user.username, orgId }), user: { ...user, orgId } };
  };
  /** Access token plus a refresh token: a new device (family) unless `familyToken` rotates one. */
  const session = async (user: User, refreshToken?: string): Promise<AuthSession> => ({
    ...(await accessFor(user)),
    refreshToken: refreshToken ?? (await refreshTokens.issue(user.id)),
    expiresIn: ctx.config.JWT_EXPIRES_IN,
  });

  // AUTH_MODE=external: users come from the identity provider only, so rally's own
  // register/login (and refresh tokens, which only they hand out) do not exist.
  if (ctx.config.AUTH_MODE !== "external") {
    router.post("/api/auth/register", async (req, res) => {
      const input = body(req, RegisterBody);
      const ip = req.ip ?? "unknown";
      await limits.registration(ip);
      const user = await users.register(input, ip);
      res.status(201).json(await session(user));
    });

    router.post("/api/auth/login", async (req, res) => {
      const { username, password } = body(req, LoginBody);
      const ip = req.ip ?? "unknown";
      res.json(await session(await limits.login(username, ip, () => users.login(username, password, ip))));
    });

    router.post("/api/auth/refresh", async (req, res) => {
      const { refreshToken } = body(req, RefreshBody);
      const rotated = await refreshTokens.rotate(refreshToken);
      const user = await users.get(rotated.userId);
      if (!user) throw new AppError("UNAUTHORIZED", "invalid token");
      res.json(await session(user, rotated.refreshToken));
    });

    router.post("/api/auth/logout", async (req, res) => {
      const { refreshToken } = body(req, RefreshBody);
      await refreshTokens.revokeFamilyOf(refreshToken);
      res.status(204).end();
    });

    router.post("/api/auth/password", auth, async (req, res) => {
      const { currentPassword, newPassword } = body(req, PasswordBody);
      const me = userOf(req);
      await users.changePassword(me.id, currentPassword, newPassword);
      await refreshTokens.revokeAll(me.id);
      res.json(await session(await users.require(me.id)));
    });
  }

  router.post("/api/auth/logout-all", auth, async (req, res) => {
    await refreshTokens.signOutEverywhere(userOf(req).id);
    res.status(204).end();
  });

  // Switch the org the access token carries; only to an org the caller belongs to.
  router.post("/api/auth/token", auth, async (req, res) => {
    const { orgId } = body(req, SwitchOrgBody);
    const me = userOf(req);
    await orgs.requireMember(orgId, me.id);
    await users.setTokenOrg(me.id, orgId);
    res.json(await accessFor(await users.require(me.id)));
  });

  // `orgId`: the org the caller's next token will carry (one they still belong to), or null.
  router.get("/api/users/me", auth, async (req, res) => {
    const user = await users.require(userOf(req).id);
    res.json({ ...user, orgId: await orgs.tokenOrg(user.id, user.orgId) });
  });

  // Public profile lookup (to like or befriend someone by name): no org or private fields.
  router.get("/api/users/by-username/:username", auth, async (req, res) => {
    const { username } = params(req, z.object({ username: Username }));
    const user = await ctx.services.users.byUsername(username);
    // A block either way hides the user, exactly as if the name were unknown.
    if (!user || (await ctx.services.blocks.between(userOf(req).id, user.id)))
      throw new AppError("NOT_FOUND", "User not found");
    res.json({ id: user.id, username: user.username, displayName: user.displayName, avatarUrl: user.avatarUrl });
  });

  return router;
}
