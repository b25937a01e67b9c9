import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { BASE_URL, ctx } from "../helpers/server";
import { createUser, TEST_PASSWORD } from "../helpers/users";
import { setConfig } from "../reliability/support/world";
import { loadConfig } from "../../src/config";
import { hashPassword } from "../../src/auth/passwords";

/**
 * Brute force and floods on REST (issue 14), with the limits at their strict defaults (the
 * shared test server relaxes them; each test puts the defaults back). The test server trusts
 * a loopback proxy, so X-Forwarded-For gives each test its own client addresses; names and
 * addresses are random, because the counters live in presence (Redis) and outlast a run.
 */
const DEFAULTS = loadConfig({});
const strict = () =>
  setConfig({
    LOGIN_FAILURES_PER_USERNAME: DEFAULTS.LOGIN_FAILURES_PER_USERNAME,
    LOGIN_FAILURES_PER_IP: DEFAULTS.LOGIN_FAILURES_PER_IP,
    LOGIN_FAILURE_WINDOW_SECONDS: DEFAULTS.LOGIN_FAILURE_WINDOW_SECONDS,
    REGISTRATIONS_PER_IP_PER_HOUR: DEFAULTS.REGISTRATIONS_PER_IP_PER_HOUR,
    REST_WRITES_PER_MINUTE: DEFAULTS.REST_WRITES_PER_MINUTE,
  });

const randomIp = () => `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(1, 255)}`;
const randomName = (prefix: string) => `${prefix}_${crypto.randomBytes(4).toString("hex")}`;

const login = (username: string, password: string, ip: string) =>
  api("POST", "/api/auth/login", { body: { username, password }, headers: { "x-forwarded-for": ip } });
const register = (username: string, ip: string, password = TEST_PASSWORD) =>
  api("POST", "/api/auth/register", { body: { username, password }, headers: { "x-forwarded-for": ip } });

/**
 * The limits count in fixed windows: start a burst well inside one, so that it cannot straddle
 * two (the second would start from zero). Waits at most `needMs`.
 */
async function awayFromWindowEdge(windowSeconds: number, needMs = 20_000): Promise<void> {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

function assertRateLimited(res: { status: number; body: any; headers: Headers }, maxSeconds: number): void {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.status, "failed");
  assert.equal(res.body.code, "RATE_LIMITED");
  const retryAfter = Number(res.headers.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds,
    `Retry-After ${res.headers.get("retry-after")}`,
  );
}

describe("REST abuse limits (issue 14)", () => {
  let restore: () => void;
  beforeEach(async function () {
    this.timeout(60_000);
    restore = strict();
    await awayFromWindowEdge(DEFAULTS.LOGIN_FAILURE_WINDOW_SECONDS);
  });
  afterEach(() => restore());

  it("the strict defaults are the issue's", () => {
    assert.equal(DEFAULTS.LOGIN_FAILURES_PER_USERNAME, 5);
    assert.equal(DEFAULTS.LOGIN_FAILURES_PER_IP, 50);
    assert.equal(DEFAULTS.LOGIN_FAILURE_WINDOW_SECONDS, 900);
    assert.equal(DEFAULTS.REGISTRATIONS_PER_IP_PER_HOUR, 20);
    assert.equal(DEFAULTS.REST_WRITES_PER_MINUTE, 60);
    assert.equal(DEFAULTS.MATCHMAKE_MAX_BODY_BYTES, 16384);
    assert.equal(DEFAULTS.PASSWORD_HASH_COST, 17);
  });

  describe("failed logins", () => {
    it("after 5 failures for a username: 429 with Retry-After, even with the right password, from any address", async () => {
      const username = randomName("victim");
      assert.equal((await register(username, randomIp())).status, 201);
      for (let i = 0; i < 5; i++) assert.equal((await login(username, "wrong-password", randomIp())).status, 401);
      const right = await login(username.toUpperCase(), TEST_PASSWORD, randomIp());
      assertRateLimited(right, 900);
    });

    it("answers an unknown username exactly as a known one, so the limit reveals nothing", async () => {
      const known = randomName("known");
      const unknown = randomName("ghost");
      assert.equal((await register(known, randomIp())).status, 201);
      const answers: Record<string, Array<{ status: number; body: unknown }>> = { known: [], unknown: [] };
      for (let i = 0; i < 7; i++) {
        for (const [who, name] of [
          ["known", known],
          ["unknown", unknown],
        ] as const) {
          const res = await login(name, "wrong-password", randomIp());
          // The seconds left in the window tick on between the two requests.
          const error = String(res.body?.error).replace(/\d+ s$/, "N s");
          answers[who]!.push({ status: res.status, body: { ...res.body, error } });
        }
      }
      assert.deepEqual(answers.unknown, answers.known);
      assert.deepEqual(
        answers.known!.map((a) => a.status),
        [401, 401, 401, 401, 401, 429, 429],
      );
    });

    it("after 50 failures from one address: 429 for any username from it; other addresses unaffected", async () => {
      const ip = randomIp();
      const username = randomName("honest");
      assert.equal((await register(username, randomIp())).status, 201);
      for (let i = 0; i < 50; i++) assert.equal((await login(randomName("guess"), "wrong-password", ip)).status, 401);
      assertRateLimited(await login(username, TEST_PASSWORD, ip), 900);
      assert.equal((await login(username, TEST_PASSWORD, randomIp())).status, 200);
    });

    it("successful logins never count", async () => {
      const ip = randomIp();
      const username = randomName("regular");
      assert.equal((await register(username, ip)).status, 201);
      for (let i = 0; i < 8; i++) assert.equal((await login(username, TEST_PASSWORD, ip)).status, 200);
    });

    it("are logged and counted in /metrics by reason", async () => {
      const username = randomName("logged");
      for (let i = 0; i < 6; i++) await login(username, "wrong-password", randomIp());
      const text = await (await fetch(`${BASE_URL}/metrics`)).text();
      assert.match(text, /rally_security_events_total\{event="login_failed",reason="UNAUTHORIZED"\} [1-9]/);
      assert.match(text, /rally_security_events_total\{event="rate_limited",reason="login_per_username"\} [1-9]/);
    });
  });

  it("registrations: 20 per address per hour, then 429 with Retry-After", async function () {
    this.timeout(60_000);
    const ip = randomIp();
    await awayFromWindowEdge(3600);
    for (let i = 0; i < 20; i++) assert.equal((await register(randomName("reg"), ip)).status, 201);
    assertRateLimited(await register(randomName("reg"), ip), 3600);
    assert.equal((await register(randomName("reg"), randomIp())).status, 201, "another address");
  });

  it("REST writes: 60 per user per minute, then 429 with Retry-After; reads and other users unaffected", async function () {
    this.timeout(60_000);
    const [flooder, other] = [await createUser(), await createUser()];
    const write = (token: string) =>
      api("POST", "/api/notifications/00000000-0000-0000-0000-000000000000/read", { token });
    await awayFromWindowEdge(60);
    const first = await Promise.all(Array.from({ length: 60 }, () => write(flooder.token)));
    assert.ok(
      first.every((r) => r.status === 404),
      first.map((r) => r.status).join(","),
    );
    assertRateLimited(await write(flooder.token), 60);
    assertRateLimited(await api("POST", "/api/spaces", { token: flooder.token, body: { name: "x", capacity: 2 } }), 60);
    assert.equal((await api("GET", "/api/users/me", { token: flooder.token })).status, 200, "reads are not budgeted");
    assert.equal((await write(other.token)).status, 404, "another user has their own budget");
  });

  describe("passwords", () => {
    it("are 8–128 characters and not among the 10,000 most common", async () => {
      const ip = randomIp();
      const cases: Array<[string, number]> = [
        ["short12", 400],
        ["x".repeat(129), 400],
        ["password123", 400],
        ["Password123", 400],
        ["qwertyuiop", 400],
        ["x".repeat(128), 201],
        ["a-rarely-used-phrase", 201],
      ];
      for (const [password, status] of cases) {
        const res = await register(randomName("pw"), ip, password);
        assert.equal(res.status, status, `${password.slice(0, 20)}: ${JSON.stringify(res.body)}`);
        if (status === 400) assert.match(res.body.error, /password/);
      }
    });

    it("store their scrypt parameters; an older, cheaper hash still verifies and is upgraded at the next login", async () => {
      const username = randomName("old");
      const ip = randomIp();
      assert.equal((await register(username, ip)).status, 201);
      const cheap = await hashPassword(TEST_PASSWORD, 10);
      assert.match(cheap, /^scrypt\$1024\$8\$1\$/);
      await ctx().db.query("UPDATE users SET password_hash = $1 WHERE username = $2", [cheap, username]);
      const restoreCost = setConfig({ PASSWORD_HASH_COST: 12 });
      try {
        assert.equal((await login(username, TEST_PASSWORD, ip)).status, 200);
        const { rows } = await ctx().db.query<{ password_hash: string }>(
          "SELECT password_hash FROM users WHERE username = $1",
          [username],
        );
        assert.match(rows[0]!.password_hash, /^scrypt\$4096\$8\$1\$/);
        assert.equal((await login(username, TEST_PASSWORD, ip)).status, 200, "the upgraded hash verifies");
        assert.equal((await login(username, "wrong-password", ip)).status, 401);
      } finally {
        restoreCost();
      }
    });

    it("hash at OWASP's cost by default (N = 2^17, r = 8, p = 1)", async () => {
      const hash = await hashPassword("a-rarely-used-phrase");
      assert.match(hash, /^scrypt\$131072\$8\$1\$/);
    });
  });
});
