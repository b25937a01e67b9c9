import { z } from "zod";
import type { AppContext } from "../../context";
import { requireAuth, userOf } from "../../http/middleware";
import { apiRoutes, type ApiRouter } from "../../http/api";
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
const UsernameParams = z.object({ username: Username });

/** The caller as `/api/users/me` and every token response show them. */
export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    orgId: z.string().nullable().meta({ description: "The org the caller's tokens carry (one they belong to)." }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "User" });
const AccessToken = z.object({ token: z.string(), user: UserSchema }).meta({ id: "AccessToken" });
const Session = AccessToken.extend({
  refreshToken: z.string(),
  expiresIn: z.string().meta({ description: "The access token's lifetime: seconds, or a number with s, m, h or d." }),
}).meta({ id: "Session" });
/** What register, login, refresh and a password change answer (docs/PROTOCOL.md §2). */
export type AuthSession = z.infer<typeof Session>;
const PublicProfile = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string().nullable(),
    avatarUrl: z.string().nullable(),
  })
  .meta({ id: "PublicProfile" });

export function authRoutes(ctx: AppContext, limits: AbuseLimits): ApiRouter {
  const { users, orgs, refreshTokens } = ctx.services;
  // These writes spend the user's REST write budget too.
  const api = apiRoutes("auth", { bearer: limits.withWriteBudget(requireAuth(ctx.tokens)) });
  /** An access token for `user`, carrying the org it prefers while it is still a member. */
  const accessFor = async (user: User) => {
    const orgId = await orgs.tokenOrg(user.id, user.orgId);
    return { token: ctx.tokens.sign({ id: user.id, username: user.username, orgId }), user: { ...user, orgId } };
  };
  /** Access token plus a refresh token: a new device (family) unless `familyToken` rotates one. */
  const session = async (user: User, refreshToken?: string) => ({
    ...(await accessFor(user)),
    refreshToken: refreshToken ?? (await refreshTokens.issue(user.id)),
    expiresIn: ctx.config.JWT_EXPIRES_IN,
  });

  // AUTH_MODE=external: users come from the identity provider only, so rally's own
  // register/login (and refresh tokens, which only they hand out) do not exist.
  if (ctx.config.AUTH_MODE !== "external") {
    const registerDoc = { summary: "Register a user", body: RegisterBody, responses: { 201: Session } };
    api.post("/api/auth/register", "public", registerDoc, async (req, res, { body: input }) => {
      const ip = req.ip ?? "unknown";
      await limits.registration(ip);
      const user = await users.register(input, ip);
      res.status(201).json(await session(user));
    });

    const loginDoc = {
      summary: "Log in (a new device: a new refresh family)",
      body: LoginBody,
      responses: { 200: Session },
    };
    api.post("/api/auth/login", "public", loginDoc, async (req, res, { body: { username, password } }) => {
      const ip = req.ip ?? "unknown";
      res.json(await session(await limits.login(username, ip, () => users.login(username, password, ip))));
    });

    const refreshDoc = { summary: "Rotate a refresh token", body: RefreshBody, responses: { 200: Session } };
    api.post("/api/auth/refresh", "public", refreshDoc, async (_req, res, { body: { refreshToken } }) => {
      const rotated = await refreshTokens.rotate(refreshToken);
      const user = await users.get(rotated.userId);
      if (!user) throw new AppError("UNAUTHORIZED", "invalid token");
      res.json(await session(user, rotated.refreshToken));
    });

    const logoutDoc = { summary: "Revoke this device's refresh family", body: RefreshBody, responses: { 204: null } };
    api.post("/api/auth/logout", "public", logoutDoc, async (_req, res, { body: { refreshToken } }) => {
      await refreshTokens.revokeFamilyOf(refreshToken);
      res.status(204).end();
    });

    const passwordDoc = { summary: "Change the password", body: PasswordBody, responses: { 200: Session } };
    api.post("/api/auth/password", "bearer", passwordDoc, async (req, res, { body }) => {
      const { currentPassword, newPassword } = body;
      const me = userOf(req);
      await users.changePassword(me.id, currentPassword, newPassword);
      await refreshTokens.revokeAll(me.id);
      res.json(await session(await users.require(me.id)));
    });
  }

  const logoutAllDoc = { summary: "Sign out everywhere", responses: { 204: null } };
  api.post("/api/auth/logout-all", "bearer", logoutAllDoc, async (req, res) => {
    await refreshTokens.signOutEverywhere(userOf(req).id);
    res.status(204).end();
  });

  // Switch the org the access token carries; only to an org the caller belongs to.
  const tokenDoc = {
    summary: "An access token carrying another org",
    body: SwitchOrgBody,
    responses: { 200: AccessToken },
  };
  api.post("/api/auth/token", "bearer", tokenDoc, async (req, res, { body: { orgId } }) => {
    const me = userOf(req);
    await orgs.requireMember(orgId, me.id);
    await users.setTokenOrg(me.id, orgId);
    res.json(await accessFor(await users.require(me.id)));
  });

  // `orgId`: the org the caller's next token will carry (one they still belong to), or null.
  api.get("/api/users/me", "bearer", { summary: "The caller", responses: { 200: UserSchema } }, async (req, res) => {
    const user = await users.require(userOf(req).id);
    res.json({ ...user, orgId: await orgs.tokenOrg(user.id, user.orgId) });
  });

  // Public profile lookup (to like or befriend someone by name): no org or private fields.
  const profileDoc = { summary: "A user's public profile", params: UsernameParams, responses: { 200: PublicProfile } };
  api.get("/api/users/by-username/:username", "bearer", profileDoc, async (req, res, { params: { username } }) => {
    const user = await ctx.services.users.byUsername(username);
    // A block either way hides the user, exactly as if the name were unknown.
    if (!user || (await ctx.services.blockCheck.between(userOf(req).id, user.id)))
      throw new AppError("NOT_FOUND", "User not found");
    res.json({ id: user.id, username: user.username, displayName: user.displayName, avatarUrl: user.avatarUrl });
  });

  return api.router;
}
