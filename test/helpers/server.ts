import { boot, type ColyseusTestServer } from "@colyseus/testing";
import { matchMaker } from "@colyseus/core";
import { Client, type Room } from "@colyseus/sdk";
import { createApp, type RallyApp } from "../../src/app.config";
import { truncateAll } from "../../src/db";
import { presenceDel } from "../../src/realtime/presenceDel";

/**
 * One real server for the whole test run, built by app.config.ts exactly as `npm start`
 * builds it. Embedded defaults (PGlite in memory, local presence) unless DATABASE_URL and
 * REDIS_URL are set, in which case the same suites run on PostgreSQL and Redis.
 */
export const TEST_PORT = Number(process.env.TEST_PORT ?? 2568);
export const BASE_URL = `http://127.0.0.1:${TEST_PORT}`;

interface Harness {
  app: RallyApp;
  colyseus: ColyseusTestServer;
}
let harness: Harness | undefined;

export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    DATA_DIR: process.env.DATABASE_URL ? "/tmp/rally-test-data" : "memory://",
    JWT_SECRET: "test-secret-that-is-long-enough-0123456789",
    RECONNECT_SECONDS: "2",
    DICE_RECONNECT_SECONDS: "2",
    // The suites create thousands of users from one address, each hashing a password: a cheap
    // hash and no per-address or per-user budgets. The tests of those limits (test/http/
    // abuseLimits.test.ts, test/reliability/edgeDefaults.test.ts) tighten them again.
    PASSWORD_HASH_COST: "10",
    REGISTRATIONS_PER_IP_PER_HOUR: "0",
    LOGIN_FAILURES_PER_USERNAME: "0",
    LOGIN_FAILURES_PER_IP: "0",
    REST_WRITES_PER_MINUTE: "0",
    // Lets the limit tests speak for several client addresses through X-Forwarded-For.
    TRUST_PROXY: "loopback",
    MONITOR_USER: "monitor",
    MONITOR_PASSWORD: "monitor-password-for-tests",
    ...extra,
  };
}

export async function startServer(): Promise<Harness> {
  if (harness) return harness;
  const app = await createApp(testEnv());
  const colyseus = await boot(app.options, TEST_PORT);
  harness = { app, colyseus };
  return harness;
}

export async function stopServer(): Promise<void> {
  if (!harness) return;
  await harness.colyseus.shutdown().catch(() => undefined);
  await harness.app.close();
  harness = undefined;
}

export function h(): Harness {
  if (!harness) throw new Error("server not started (test/helpers/setup.ts boots it)");
  return harness;
}

export const ctx = () => h().app.ctx;

/** Disconnect every room and empty every table: each test starts clean. */
export async function resetState(): Promise<void> {
  if (!harness) return;
  await harness.colyseus.cleanup();
  // Rooms closed just now still finish their leave work (a lobby stamps last seen and expires
  // invitations); TRUNCATE can deadlock with it on PostgreSQL. Postgres aborts one side, so retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await truncateAll(harness.app.ctx.db);
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== "40P01" || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await resetPresence();
}

async function resetPresence(): Promise<void> {
  await presenceDel(matchMaker.presence, "rally:online");
}

/** An SDK client signed in with `token` (the SDK's own way: client.auth.token). */
export function sdk(token?: string): Client {
  const client = new Client(BASE_URL);
  if (token) client.auth.token = token;
  return client;
}

export type { Room };
