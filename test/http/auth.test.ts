import assert from "node:assert/strict";
import jwt from "jsonwebtoken";
import { api } from "../helpers/http";
import { ctx } from "../helpers/server";
import { createUser, expiredToken } from "../helpers/users";

describe("REST auth", () => {
  it("registers, logs in and reads /api/users/me with the token", async () => {
    const reg = await api("POST", "/api/auth/register", {
      body: { username: "alice", password: "correct horse", orgId: "acme" },
    });
    assert.equal(reg.status, 201);
    assert.equal(reg.body.user.username, "alice");
    assert.equal(reg.body.user.orgId, "acme");
    assert.ok(!("password_hash" in reg.body.user) && !("passwordHash" in reg.body.user));

    const claims = jwt.decode(reg.body.token) as jwt.JwtPayload;
    assert.equal(claims.sub, reg.body.user.id);
    assert.equal(claims.username, "alice");
    assert.equal(claims.org_id, "acme");
    assert.ok(typeof claims.exp === "number" && claims.exp > Date.now() / 1000);

    const login = await api("POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    assert.equal(login.status, 200);
    const me = await api("GET", "/api/users/me", { token: login.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, reg.body.user.id);
  });

  it("stores a scrypt hash, never the password", async () => {
    await api("POST", "/api/auth/register", { body: { username: "bob", password: "hunter2hunter2" } });
    const { rows } = await ctx().db.query<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE username = 'bob'",
    );
    assert.match(rows[0]!.password_hash, /^scrypt\$/);
    assert.ok(!rows[0]!.password_hash.includes("hunter2"));
  });

  it("refuses a duplicate username with 409, case-insensitively", async () => {
    await api("POST", "/api/auth/register", { body: { username: "carol", password: "rally-test-password-42" } });
    const dup = await api("POST", "/api/auth/register", {
      body: { username: "CAROL", password: "rally-test-password-42" },
    });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, { status: "failed", error: "Username is already taken", code: "USERNAME_TAKEN" });
  });

  it("answers a wrong password and an unknown user with the same 401", async () => {
    await api("POST", "/api/auth/register", { body: { username: "dave", password: "rally-test-password-42" } });
    const wrong = await api("POST", "/api/auth/login", { body: { username: "dave", password: "nope-nope" } });
    const unknown = await api("POST", "/api/auth/login", { body: { username: "nobody", password: "nope-nope" } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
  });

  describe("bad input", () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["missing password", { username: "erin" }, /password/],
      ["wrong type", { username: 42, password: "rally-test-password-42" }, /username/],
      ["unknown field", { username: "erin", password: "rally-test-password-42", admin: true }, /admin|Unrecognized/i],
      ["short password", { username: "erin", password: "x" }, /password/],
      ["huge username", { username: "e".repeat(10_000), password: "rally-test-password-42" }, /username/],
      ["bad characters", { username: "a b<script>", password: "rally-test-password-42" }, /username/],
      ["array body", [1, 2, 3], /payload|expected object/],
    ];
    for (const [name, body, field] of cases) {
      it(`400 for ${name}, naming the field, and writes nothing`, async () => {
        const res = await api("POST", "/api/auth/register", { body });
        assert.equal(res.status, 400);
        assert.equal(res.body.status, "failed");
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
        const { rows } = await ctx().db.query("SELECT count(*)::int AS n FROM users");
        assert.equal(rows[0].n, 0);
      });
    }

    it("400 for malformed JSON", async () => {
      const res = await api("POST", "/api/auth/login", { body: "{not json" });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "INVALID_REQUEST");
    });

    it("413 for an oversized body (the contract changed from 400: issue 14)", async () => {
      const res = await api("POST", "/api/auth/register", { body: { username: "big", password: "p".repeat(100_000) } });
      assert.equal(res.status, 413);
      assert.equal(res.body.code, "PAYLOAD_TOO_LARGE");
    });
  });

  describe("private routes", () => {
    it("refuse no token, a wrongly signed token and an expired token with 401", async () => {
      const user = await createUser();
      const forged = jwt.sign({ sub: user.id, username: user.username }, "another-secret-entirely-000000", {
        expiresIn: "1h",
      });
      for (const [token, reason] of [
        [undefined, "missing token"],
        ["garbage", "invalid token"],
        [forged, "invalid token"],
        [expiredToken(user), "token expired"],
      ] as const) {
        const res = await api("GET", "/api/users/me", { token });
        assert.equal(res.status, 401, String(reason));
        assert.deepEqual(res.body, { status: "failed", error: reason, code: "UNAUTHORIZED" });
      }
    });
  });

  it("answers unknown API routes with a 404 envelope", async () => {
    const res = await api("GET", "/api/nope");
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "NOT_FOUND");
  });
});

describe("operations", () => {
  it("serves /healthz, /readyz and /metrics without auth", async () => {
    assert.equal((await api("GET", "/healthz")).status, 200);
    const ready = await api("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.db, "ok");
    const metrics = await api("GET", "/metrics");
    assert.equal(metrics.status, 200);
    for (const name of [
      "rally_connected_clients",
      "rally_rooms",
      "rally_messages_in_total",
      "rally_http_request_duration_seconds",
      "rally_db_query_duration_seconds",
    ]) {
      assert.match(String(metrics.body), new RegExp(name));
    }
  });

  it("echoes a request id", async () => {
    const res = await api("GET", "/healthz", { headers: { "x-request-id": "abc-123" } });
    assert.equal(res.headers.get("x-request-id"), "abc-123");
  });
});

describe("GET /api/users/by-username/:username", () => {
  it("returns the public profile only, case-insensitively", async () => {
    const alice = await createUser({ orgId: "acme" });
    const bob = await createUser();
    const res = await api("GET", `/api/users/by-username/${alice.username.toUpperCase()}`, { token: bob.token });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ["avatarUrl", "displayName", "id", "username"]);
    assert.equal(res.body.id, alice.id);
  });

  it("404s an unknown user, 400s a malformed name and 401s without a token", async () => {
    const bob = await createUser();
    assert.equal((await api("GET", "/api/users/by-username/nobody_here", { token: bob.token })).status, 404);
    const bad = await api("GET", `/api/users/by-username/${"x".repeat(500)}`, { token: bob.token });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "INVALID_REQUEST");
    assert.equal((await api("GET", "/api/users/by-username/whoever")).status, 401);
  });
});
