import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A real `src/index.ts` process started the way an operator starts it, from a copy of
 * .env.example (its empty values must count as unset), with the strict defaults of issue 14:
 * no trusted proxy (X-Forwarded-For is ignored), 20 registrations per address per hour, and
 * the development CORS policy. Only the hash cost is lowered, so the run takes seconds.
 */
const ROOT = path.resolve(__dirname, "../..");
const PORT = Number(process.env.EDGE_TEST_PORT ?? 2599);
const BASE = `http://127.0.0.1:${PORT}`;

describe("a server started from a copy of .env.example (issue 14)", function () {
  this.timeout(300_000);
  let child: ChildProcess;
  let dir: string;
  let log = "";

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-edge-"));
    fs.copyFileSync(path.join(ROOT, ".env.example"), path.join(dir, ".env"));
    child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "src/index.ts")], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(PORT),
        PASSWORD_HASH_COST: "12",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 240_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server refused to start (${child.exitCode}):\n${log}`);
      try {
        if ((await fetch(`${BASE}/healthz`)).ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`the server did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("starts, with .env.example's empty values as unset", async () => {
    const ready = await (await fetch(`${BASE}/readyz`)).json();
    assert.equal(ready.status, "ok");
  });

  it("ignores X-Forwarded-For without TRUST_PROXY: 20 registrations per address, then 429", async () => {
    const register = (i: number) =>
      fetch(`${BASE}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": `10.1.2.${i}` },
        body: JSON.stringify({
          username: `d_${crypto.randomBytes(4).toString("hex")}`,
          password: "rally-test-password-42",
        }),
      });
    for (let i = 1; i <= 20; i++) assert.equal((await register(i)).status, 201, `registration ${i}`);
    const refused = await register(21);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    assert.equal((await refused.json()).code, "RATE_LIMITED");
  });

  it("allows localhost origins in development, never another site", async () => {
    const local = await fetch(`${BASE}/healthz`, { headers: { origin: "http://localhost:3000" } });
    assert.equal(local.headers.get("access-control-allow-origin"), "http://localhost:3000");
    const evil = await fetch(`${BASE}/matchmake/joinOrCreate/bigger_dice`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get("access-control-allow-origin"), null);
  });
});
