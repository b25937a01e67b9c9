import assert from "node:assert/strict";
import jwt from "jsonwebtoken";
import { loadConfig } from "../../src/config";
import { api } from "../helpers/http";
import { ctx, testEnv } from "../helpers/server";
import { createUser } from "../helpers/users";

const register = async (username: string) => {
  const res = await api("POST", "/api/auth/register", { body: { username, password: "rally-test-password-42" } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { token: string; refreshToken: string; user: { id: string } };
};
const refresh = (refreshToken: string) => api("POST", "/api/auth/refresh", { body: { refreshToken } });
const login = async (username: string, password = "rally-test-password-42") =>
  (await api("POST", "/api/auth/login", { body: { username, password } })).body as {
    token: string;
    refreshToken: string;
  };

/** Access and refresh tokens (docs/PROTOCOL.md §1 "Tokens"). */
describe("refresh tokens", () => {
  it("gives register and login a short-lived access token (JWT_EXPIRES_IN, 15 min by default) and an opaque refresh token, stored hashed", async () => {
    const reg = await register("alice");
    const claims = jwt.decode(reg.token) as { exp: number; iat: number };
    assert.equal(claims.exp - claims.iat, 15 * 60);
    assert.match(reg.refreshToken, /^rt_[\w-]{40,}$/);
    const { rows } = await ctx().db.query("SELECT token_hash FROM refresh_tokens WHERE user_id = $1", [reg.user.id]);
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0].token_hash, reg.refreshToken);
    assert.ok(!JSON.stringify(rows).includes(reg.refreshToken.slice(3)));
  });

  it("rotates on every use; reusing a rotated token revokes the whole family (reuse detection), not the other devices", async () => {
    const reg = await register("bob");
    const laptop = await login("bob");
    const first = await refresh(reg.refreshToken);
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refreshToken, reg.refreshToken);
    assert.equal((jwt.decode(first.body.token) as { sub: string }).sub, reg.user.id);
    const second = await refresh(first.body.refreshToken);
    assert.equal(second.status, 200);

    const reuse = await refresh(reg.refreshToken);
    assert.deepEqual([reuse.status, reuse.body.code, reuse.body.error], [401, "UNAUTHORIZED", "invalid token"]);
    const familyGone = await refresh(second.body.refreshToken);
    assert.equal(familyGone.status, 401, "the latest token of the reused family is revoked too");
    assert.equal((await refresh(laptop.refreshToken)).status, 200, "another device's family is untouched");
  });

  it("never accepts a refresh token as an access token, nor the reverse, nor a foreign or garbage one", async () => {
    const reg = await register("carol");
    const asBearer = await api("GET", "/api/users/me", { token: reg.refreshToken });
    assert.equal(asBearer.status, 401);
    for (const bad of [reg.token, "rt_" + "A".repeat(43), "garbage"]) {
      const res = await refresh(bad);
      assert.deepEqual([res.status, res.body.error], [401, "invalid token"], bad.slice(0, 10));
    }
  });

  it("logout revokes this device; logout-all revokes every device", async () => {
    await register("dave");
    const [phone, laptop, tablet] = [await login("dave"), await login("dave"), await login("dave")];
    assert.equal((await api("POST", "/api/auth/logout", { body: { refreshToken: phone.refreshToken } })).status, 204);
    assert.equal((await refresh(phone.refreshToken)).status, 401);
    assert.equal((await refresh(laptop.refreshToken)).status, 200);
    assert.equal((await api("POST", "/api/auth/logout-all", { token: tablet.token })).status, 204);
    assert.equal((await refresh(tablet.refreshToken)).status, 401);
    assert.equal((await api("POST", "/api/auth/logout-all")).status, 401);
  });

  it("revokes every refresh token on a password change, which needs the current password", async () => {
    await register("erin");
    const [phone, laptop] = [await login("erin"), await login("erin")];
    const wrong = await api("POST", "/api/auth/password", {
      token: phone.token,
      body: { currentPassword: "nope-nope", newPassword: "new-password-1" },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await refresh(laptop.refreshToken)).status, 200, "a refused change revokes nothing");
    const laptop2 = await login("erin");
    const changed = await api("POST", "/api/auth/password", {
      token: phone.token,
      body: { currentPassword: "rally-test-password-42", newPassword: "new-password-1" },
    });
    assert.equal(changed.status, 200);
    assert.ok(changed.body.refreshToken, "this device gets a new session");
    for (const old of [phone.refreshToken, laptop2.refreshToken]) assert.equal((await refresh(old)).status, 401);
    assert.equal((await refresh(changed.body.refreshToken)).status, 200);
    assert.equal(
      (await api("POST", "/api/auth/login", { body: { username: "erin", password: "rally-test-password-42" } })).status,
      401,
    );
    assert.ok((await login("erin", "new-password-1")).token);
  });

  it("refuses an access token without exp with 401 (issue 14)", async () => {
    const user = await createUser();
    const forever = jwt.sign({ sub: user.id, username: user.username }, "test-secret-that-is-long-enough-0123456789");
    const res = await api("GET", "/api/users/me", { token: forever });
    assert.deepEqual([res.status, res.body.error], [401, "token has no exp"]);
  });
});

describe("token configuration", () => {
  it("stops the start on a bad JWT_EXPIRES_IN, naming it (never a 500 after the user row is written)", () => {
    // An empty value counts as unset (issue 14: a copy of .env.example starts), so "" is the default.
    assert.equal(loadConfig(testEnv({ JWT_EXPIRES_IN: "" })).JWT_EXPIRES_IN, loadConfig({}).JWT_EXPIRES_IN);
    for (const bad of ["forever", "-5m", "0", "15 minutes"]) {
      assert.throws(() => loadConfig(testEnv({ JWT_EXPIRES_IN: bad })), /JWT_EXPIRES_IN/, bad);
    }
    for (const good of ["900", "15m", "1h", "7d", "30s"])
      assert.equal(loadConfig(testEnv({ JWT_EXPIRES_IN: good })).JWT_EXPIRES_IN, good);
  });

  it("stops the start in external mode without a key, naming what is missing", () => {
    assert.throws(() => loadConfig(testEnv({ AUTH_MODE: "external" })), /JWT_PUBLIC_KEY or JWKS_URL/);
    assert.throws(() => loadConfig(testEnv({ AUTH_MODE: "sometimes" })), /AUTH_MODE/);
  });
});
