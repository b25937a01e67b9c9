import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { TEST_PASSWORD } from "../helpers/users";
import { setConfig } from "./support/world";
import { sleep } from "../helpers/room";

/**
 * Password hashing runs with bounded concurrency, fair between client addresses (issue 14):
 * while one address sends 400 wrong logins, 50 at a time, a right login from another address
 * still answers within 300 ms. The failure limits are lifted here so that every one of the
 * 400 really costs a hash; the cost is 2^11 rather than 2^17 so the run takes seconds on a
 * shared 2-core machine (what matters is the queueing: before the queue, the honest login
 * waited behind every hash in flight).
 */
describe("login latency under a password-guessing flood (issue 14)", function () {
  this.timeout(120_000);

  it("a good login from another address answers within 300 ms while 400 bad logins run 50 at a time", async () => {
    const restore = setConfig({
      LOGIN_FAILURES_PER_USERNAME: 0,
      LOGIN_FAILURES_PER_IP: 0,
      PASSWORD_HASH_COST: 11,
      PASSWORD_HASH_CONCURRENCY: 2,
    });
    try {
      const honest = `honest_${crypto.randomBytes(4).toString("hex")}`;
      const honestIp = "10.9.9.9";
      const reg = await api("POST", "/api/auth/register", {
        body: { username: honest, password: TEST_PASSWORD },
        headers: { "x-forwarded-for": honestIp },
      });
      assert.equal(reg.status, 201);

      const attackerIp = "10.6.6.6";
      const statuses: number[] = [];
      let attacking = true;
      const attack = (async () => {
        for (let wave = 0; wave < 8; wave++) {
          const answers = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              api("POST", "/api/auth/login", {
                body: { username: `guess_${wave}_${i}`, password: "wrong-password" },
                headers: { "x-forwarded-for": attackerIp },
              }),
            ),
          );
          statuses.push(...answers.map((a) => a.status));
        }
        attacking = false;
      })();

      const latencies: number[] = [];
      await sleep(200); // the first wave is queued
      while (attacking) {
        const started = performance.now();
        const res = await api("POST", "/api/auth/login", {
          body: { username: honest, password: TEST_PASSWORD },
          headers: { "x-forwarded-for": honestIp },
        });
        const ms = performance.now() - started;
        if (!attacking) break; // measured after the flood ended: not under attack
        assert.equal(res.status, 200);
        latencies.push(ms);
        await sleep(100);
      }
      await attack;

      assert.equal(statuses.length, 400);
      assert.ok(
        statuses.every((s) => s === 401),
        "every bad login was hashed and refused",
      );
      assert.ok(latencies.length >= 3, `measured ${latencies.length} honest logins during the flood`);
      // The honest login waits for at most one hash in flight, not for the flood. On a machine
      // shared with other work any one request can be delayed by scheduling, so the bound is on
      // the typical (median) honest login, and none may take a second (before the queue, each
      // waited behind ~50 hashes: over a second even on an idle machine).
      const sorted = [...latencies].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const all = `honest logins took ${latencies.map((l) => l.toFixed(0)).join(", ")} ms`;
      assert.ok(median < 300, `median ${median.toFixed(0)} ms; ${all}`);
      assert.ok(sorted.at(-1)! < 1000, all);
    } finally {
      restore();
    }
  });
});
