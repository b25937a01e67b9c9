import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { BASE_URL, sdk } from "../helpers/server";
import { createUser } from "../helpers/users";
import { refusal } from "../helpers/room";
import { logger } from "../../src/logger";

/**
 * The security log (issue 14): failed logins, refused joins (with the reason) and rate-limit
 * refusals are structured events, counted in /metrics by reason, and never carry a password
 * or a token. The test listens to the logger itself (the suite runs it silent).
 */
describe("security log (issue 14)", () => {
  let lines: Array<Record<string, unknown>>;
  let restore: () => void;

  beforeEach(() => {
    lines = [];
    const warn = logger.warn.bind(logger);
    (logger as { warn: unknown }).warn = (obj: unknown, ...rest: unknown[]) => {
      lines.push({ ...(obj as object), msg: rest[0] });
      return warn(obj as object, ...(rest as [string]));
    };
    restore = () => ((logger as { warn: unknown }).warn = warn);
  });
  afterEach(() => restore());

  const counter = async (event: string, reason: string): Promise<number> => {
    const text = await (await fetch(`${BASE_URL}/metrics`)).text();
    const escaped = reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const m = new RegExp(`rally_security_events_total\\{event="${event}",reason="${escaped}"\\} (\\d+)`).exec(text);
    return m ? Number(m[1]) : 0;
  };

  it("logs and counts a failed login without the password", async () => {
    const secret = `secret-${crypto.randomBytes(6).toString("hex")}`;
    const before = await counter("login_failed", "UNAUTHORIZED");
    const res = await api("POST", "/api/auth/login", { body: { username: "nobody_here", password: secret } });
    assert.equal(res.status, 401);
    assert.equal(await counter("login_failed", "UNAUTHORIZED"), before + 1);
    const line = lines.find((l) => l.security === "login_failed");
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.username, "nobody_here");
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(secret));
  });

  it("logs and counts a refused join with its reason, without the token", async () => {
    const user = await createUser();
    const forged = `${user.token.slice(0, -4)}AAAA`;
    const before = await counter("join_refused", "invalid token");
    const err = await refusal(sdk(forged).joinOrCreate("user_lobby"));
    assert.equal(err.code, 401);
    assert.equal(await counter("join_refused", "invalid token"), before + 1);
    assert.ok(lines.some((l) => l.security === "join_refused" && l.reason === "invalid token"));
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(forged.slice(-20)));
  });

  it("logs and counts room rate-limit refusals", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const before = await counter("rate_limited", "room_general");
    for (let i = 0; i < 200; i++) room.send("ping");
    const deadline = Date.now() + 5000;
    while ((await counter("rate_limited", "room_general")) === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok((await counter("rate_limited", "room_general")) > before);
    assert.ok(lines.some((l) => l.security === "rate_limited" && l.userId === user.id));
    await room.leave();
  });
});
