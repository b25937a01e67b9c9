import crypto from "node:crypto";
import { api } from "./http";
import { ctx } from "./server";
import type { AuthUser } from "../../src/auth/tokens";

export interface TestUser extends AuthUser {
  token: string;
  avatarUrl: string | null;
}

/** The password of every test user: valid under the password rules (not a common one). */
export const TEST_PASSWORD = "rally-test-password-42";

let counter = 0;

/**
 * Make users real members of `orgId` through the orgs service: the org is created (owned by
 * the first of them) when it does not exist yet, the others are added as members. Their
 * tokens then carry it. Organizations are data (issue 16): a claim alone grants nothing.
 */
export async function joinOrg(orgId: string, userIds: string[]): Promise<void> {
  const orgs = ctx().services.orgs;
  for (const userId of userIds) {
    if (!(await orgs.membership(orgId, userId))) {
      await orgs.create(userId, orgId, orgId).catch(async (e) => {
        if ((e as { code?: string }).code !== "ORG_TAKEN") throw e;
        await orgs.addMember(orgId, userId, "member");
      });
    }
    await ctx().services.users.setTokenOrg(userId, orgId);
  }
}

/**
 * Create a user directly through the service and issue a token for it (the server's
 * lifetime, JWT_EXPIRES_IN; tests that need another lifetime sign their own). With
 * `orgId`, the user is a member of that org.
 */
export async function createUser(
  opts: { username?: string; orgId?: string; avatarUrl?: string } = {},
): Promise<TestUser> {
  const username = opts.username ?? `user${++counter}_${crypto.randomBytes(3).toString("hex")}`;
  const user = await ctx().services.users.register({
    username,
    password: TEST_PASSWORD,
    avatarUrl: opts.avatarUrl,
  });
  if (opts.orgId) await joinOrg(opts.orgId, [user.id]);
  const auth: AuthUser = { id: user.id, username: user.username, orgId: opts.orgId ?? null };
  return { ...auth, avatarUrl: user.avatarUrl, token: ctx().tokens.sign(auth) };
}

export const createUsers = (n: number, opts: { orgId?: string } = {}) =>
  Promise.all(Array.from({ length: n }, () => createUser(opts)));

/** A token for `user` that expired a minute ago. */
export function expiredToken(user: AuthUser): string {
  return ctx().tokens.sign(user, -60);
}

/** Make two users friends over REST (request by `a`, accepted by `b`); returns the friendship id. */
export async function befriend(a: TestUser, b: TestUser): Promise<string> {
  const req = await api("POST", "/api/friends/requests", { token: a.token, body: { username: b.username } });
  if (req.status !== 201) throw new Error(`friend request failed: ${req.status} ${JSON.stringify(req.body)}`);
  const accepted = await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: b.token });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return req.body.id;
}
