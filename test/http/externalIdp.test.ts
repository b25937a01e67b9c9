import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Client } from "@colyseus/sdk";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { refusal, sleep } from "../helpers/room";

/**
 * Tokens from an external identity provider (docs/PROTOCOL.md §1, README "Using your own
 * identity provider"). An in-process JWKS server with generated keys stands in for the
 * provider; a second rally, in AUTH_MODE=external and pointed at it, runs as a child process
 * (the suite's own server is configured for local tokens, and rooms share process globals).
 */
const ROOT = path.resolve(__dirname, "../..");
const ISSUER = "https://idp.example.test";
const AUDIENCE = "rally-tests";

interface Key {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string, alg: Key["alg"]): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function sign(
  key: Key,
  claims: Record<string, unknown> = {},
  opts: { audience?: string; issuer?: string; exp?: string | null } = {},
) {
  let jwt = new SignJWT({ username: "ext_alice", ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setSubject((claims.sub as string) ?? "idp|alice")
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt();
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? "5m");
  return jwt.sign(key.privateKey);
}

describe("external identity provider (JWKS)", function () {
  this.timeout(60_000);
  let published: Key[] = [];
  let jwksFetches = 0;
  let jwks: http.Server;
  let server: ChildProcess;
  let base = "";
  let log = "";
  let k1: Key, k2: Key, k3: Key;

  const get = async (route: string, token?: string) => {
    const res = await fetch(base + route, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body: any = await res.json().catch(() => undefined);
    return { status: res.status, body };
  };
  const post = async (route: string, body: unknown, token?: string) => {
    const res = await fetch(base + route, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const answer: any = await res.json().catch(() => undefined);
    return { status: res.status, body: answer };
  };
  const client = (token: string) => {
    const c = new Client(base);
    c.auth.token = token;
    return c;
  };

  before(async function () {
    this.timeout(90_000);
    [k1, k2, k3] = [await newKey("k1", "RS256"), await newKey("k2", "ES256"), await newKey("k3", "RS256")];
    published = [k1];
    jwks = http.createServer((_req, res) => {
      jwksFetches++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    });
    await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as net.AddressInfo).port}/.well-known/jwks.json`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { DATABASE_URL: _d, REDIS_URL: _r, ...env } = process.env;
    server = spawn(process.execPath, [require.resolve("tsx/cli"), "src/index.ts"], {
      cwd: ROOT,
      env: {
        ...env,
        NODE_ENV: "test",
        PORT: String(port),
        DATA_DIR: "memory://",
        JWT_SECRET: "external-suite-secret-0123456789",
        LOG_LEVEL: "warn",
        AUTH_MODE: "external",
        JWKS_URL: jwksUrl,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWKS_REFETCH_COOLDOWN_SECONDS: "0", // the suite rotates keys back to back
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (d) => (log += d));
    server.stderr!.on("data", (d) => (log += d));
    const end = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the external-mode server exited:\n${log}`);
      if (Date.now() > end) throw new Error(`the external-mode server did not start:\n${log}`);
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await sleep(250);
    }
  });

  after(async () => {
    server?.kill("SIGTERM");
    await new Promise((r) => (server?.exitCode !== null ? r(undefined) : server.once("exit", r)));
    jwks?.close();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && log.trim()) console.error(log.split("\n").slice(-30).join("\n"));
  });

  it("joins a room with an RS256 token from the JWKS as a user provisioned on first use, the same user every time", async () => {
    const room = await client(await sign(k1)).joinOrCreate("user_lobby");
    const me = await get("/api/users/me", await sign(k1));
    assert.equal(me.status, 200);
    assert.equal(me.body.username, "ext_alice");
    assert.equal(room.sessionId.length > 0, true);
    const again = await get("/api/users/me", await sign(k1, { username: "renamed_at_the_idp" }));
    assert.equal(again.body.id, me.body.id, "keyed by the provider's sub, not the username");
    await room.leave();
  });

  it("makes the provider's org claim a membership, so trivia works for its users", async () => {
    const token = await sign(k1, { sub: "idp|host", username: "ext_host", org_id: "ext-org" });
    const created = await post(
      "/api/trivia/sessions",
      { title: "IdP quiz", questions: [{ text: "1+1?", choices: ["2", "3"], answerIndex: 0, timeLimitSec: 30 }] },
      token,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const members = await get("/api/orgs/ext-org/members", token);
    assert.deepEqual(
      members.body.items.map((m: any) => m.username),
      ["ext_host"],
    );
  });

  it("has no /api/auth/register or /api/auth/login in AUTH_MODE=external", async () => {
    assert.equal(
      (await post("/api/auth/register", { username: "local_user", password: "rally-test-password-42" })).status,
      404,
    );
    assert.equal(
      (await post("/api/auth/login", { username: "local_user", password: "rally-test-password-42" })).status,
      404,
    );
  });

  it("refuses a wrong audience, a wrong issuer, alg none, an unknown kid and no exp with 401 naming the reason", async () => {
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(
      JSON.stringify({
        sub: "idp|alice",
        username: "ext_alice",
        iss: ISSUER,
        aud: AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 300,
      }),
    ).toString("base64url")}.`;
    const cases: Array<[string, RegExp]> = [
      [await sign(k1, {}, { audience: "someone-else" }), /wrong audience/],
      [await sign(k1, {}, { issuer: "https://evil.example" }), /wrong issuer/],
      [none, /alg none/],
      [await sign(k3), /unknown kid/],
      [await sign(k1, {}, { exp: null }), /exp/],
      [await sign(k1, {}, { exp: "-1m" }), /token expired/],
    ];
    for (const [token, reason] of cases) {
      const res = await get("/api/users/me", token);
      assert.equal(res.status, 401, `${reason}: ${JSON.stringify(res.body)}`);
      assert.deepEqual([res.body.status, res.body.code], ["failed", "UNAUTHORIZED"]);
      assert.match(res.body.error, reason);
      const join = await refusal(client(token).joinOrCreate("user_lobby"));
      assert.equal(join.code, 401);
      assert.match(join.message, reason);
    }
  });

  it("after key rotation accepts the new kid and refuses the removed key", async () => {
    published = [k2]; // the provider rotated: k1 is gone, k2 (ES256) is new
    const fetchesBefore = jwksFetches;
    const room = await client(await sign(k2)).joinOrCreate("user_lobby");
    assert.ok(jwksFetches > fetchesBefore, "an unknown kid made rally refetch the JWKS");
    await room.leave();
    const removed = await get("/api/users/me", await sign(k1));
    assert.equal(removed.status, 401);
    assert.match(removed.body.error, /unknown kid/);
  });

  it("keeps verifying cached keys while the JWKS is unreachable, and answers an unknown kid with 503 UNAVAILABLE", async () => {
    published = [k2];
    assert.equal((await get("/api/users/me", await sign(k2))).status, 200);
    await new Promise((r) => jwks.close(r));
    jwks.closeAllConnections();
    const cached = await get("/api/users/me", await sign(k2));
    assert.equal(cached.status, 200, JSON.stringify(cached.body));
    const room = await client(await sign(k2)).joinOrCreate("user_lobby");
    await room.leave();
    const unknown = await get("/api/users/me", await sign(k3));
    assert.deepEqual([unknown.status, unknown.body.code], [503, "UNAVAILABLE"]);
    const join = await refusal(client(await sign(k3)).joinOrCreate("user_lobby"));
    assert.equal(join.code, 503);
  });
});
