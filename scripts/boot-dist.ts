/**
 * `npm run boot:dist`: the production image's runtime, proven without a container engine
 * (CI has none). It
 *   1. builds dist/ (`npm run build`);
 *   2. lays out what the Dockerfile's runtime stage holds, in a fresh directory: package.json,
 *      the lock file and scripts/start.cjs, `npm ci --omit=dev`, then dist/ and the demo's
 *      build — no sources, no dev dependencies;
 *   3. runs the Dockerfile's CMD there with NODE_ENV=production on PostgreSQL and Redis;
 *   4. waits for /readyz (database and Redis checked), then checks /healthz, the Dockerfile's
 *      own HEALTHCHECK command, the demo page and an unauthenticated API refusal;
 *   5. signs a user up over REST and joins its lobby over WebSocket;
 *   6. sends SIGTERM and requires the client closed with 4001 and exit code 0 within BOOT_STOP_MS;
 * and first checks that production refuses to start without JWT_SECRET.
 *
 *   DATABASE_URL, REDIS_URL  required (the services the image runs on)
 *   BOOT_PORT                port of the process (default 2592)
 *   BOOT_READY_MS            time allowed to become ready (default 30000)
 *   BOOT_STOP_MS             time allowed to exit after SIGTERM (default 5000)
 *   BOOT_SKIP_BUILD=1        use the dist/ already built (e.g. by `npm ci`'s prepare step)
 * Exits 1 on the first failed check.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@colyseus/sdk";
import { imageCommands, root, startDist, stopDist, waitFor200 } from "./distProcess";

const PORT = Number(process.env.BOOT_PORT ?? 2592);
const READY_MS = Number(process.env.BOOT_READY_MS ?? 30_000);
const STOP_MS = Number(process.env.BOOT_STOP_MS ?? 5_000);
const base = `http://127.0.0.1:${PORT}`;

const timings: string[] = [];
async function step<T>(what: string, run: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await run();
  timings.push(`${what}: ${Date.now() - started} ms`);
  console.log(`boot-dist: ok — ${what} (${Date.now() - started} ms)`);
  return result;
}

function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** The runtime stage's /app: production dependencies and the build's output only. */
function stageRuntime(dir: string): void {
  fs.mkdirSync(path.join(dir, "scripts"), { recursive: true });
  for (const file of ["package.json", "package-lock.json", "scripts/start.cjs"])
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  execFileSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd: dir,
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
  fs.cpSync(path.join(root, "dist"), path.join(dir, "dist"), { recursive: true });
  fs.cpSync(path.join(root, "client-demo/dist"), path.join(dir, "client-demo/dist"), { recursive: true });
  // (typescript stays: @colyseus/schema depends on it for its codegen CLI.)
  for (const devOnly of ["tsx", "esbuild", "mocha", "node", "@colyseus/testing"])
    check(!fs.existsSync(path.join(dir, "node_modules", devOnly)), `runtime: dev dependency ${devOnly} installed`);
  check(!fs.existsSync(path.join(dir, "src")), "runtime: sources present");
}

async function main(): Promise<void> {
  const { DATABASE_URL, REDIS_URL } = process.env;
  check(DATABASE_URL && REDIS_URL, "boot-dist: set DATABASE_URL and REDIS_URL (the image runs on both)");
  const { cmd, healthcheck } = imageCommands();
  check(
    cmd[0] === "node" && cmd.includes("dist/index.js"),
    `the image's CMD is not node dist/index.js: ${cmd.join(" ")}`,
  );

  if (process.env.BOOT_SKIP_BUILD !== "1")
    await step("npm run build", () =>
      execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] }),
    );
  const app = fs.mkdtempSync(path.join(os.tmpdir(), "rally-image-"));
  try {
    await step("runtime stage: npm ci --omit=dev + dist/", () => stageRuntime(app));

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: app,
      NODE_ENV: "production",
      PORT: String(PORT),
      HOST: "127.0.0.1",
      DATA_DIR: path.join(app, "data"),
      DATABASE_URL,
      REDIS_URL,
      LOG_LEVEL: "info",
    };

    await step("refuses to start in production without JWT_SECRET", async () => {
      const p = startDist(cmd, app, env);
      const { code } = await p.exited;
      check(code !== 0 && /JWT_SECRET is required/.test(p.output()), `exit ${code}: ${p.output().slice(-500)}`);
    });

    const server = startDist(cmd, app, { ...env, JWT_SECRET: crypto.randomBytes(32).toString("base64") });
    const alive = () => server.child.exitCode === null && server.child.signalCode === null;
    try {
      const ready = await step("GET /readyz → 200", () => waitFor200(`${base}/readyz`, READY_MS, alive));
      const checks = (JSON.parse(ready.body) as { checks?: Record<string, string> }).checks ?? {};
      check(checks.db === "ok" && checks.redis === "ok", `/readyz checks: ${ready.body}`);
      check(
        /"db":"postgres"/.test(server.output()) && /"presence":"redis"/.test(server.output()),
        "not listening on PostgreSQL and Redis",
      );

      await step("GET /healthz → 200", () => waitFor200(`${base}/healthz`, 2_000));
      await step("the Dockerfile's HEALTHCHECK command exits 0", () =>
        execFileSync(healthcheck[0] === "node" ? process.execPath : healthcheck[0], healthcheck.slice(1), {
          env: { ...process.env, PORT: String(PORT) },
          timeout: 5_000,
        }),
      );
      await step("serves the demo and refuses an unauthenticated API call", async () => {
        const page = await fetch(`${base}/`);
        check(
          page.status === 200 && /text\/html/.test(page.headers.get("content-type") ?? ""),
          `GET / → ${page.status}`,
        );
        const refused = await fetch(`${base}/api/friends`);
        const body = (await refused.json()) as { code?: string };
        check(refused.status === 401 && body.code === "UNAUTHORIZED", `GET /api/friends → ${refused.status}`);
      });

      const lobby = await step("a user signs up and joins their lobby", async () => {
        const username = `boot_${crypto.randomBytes(4).toString("hex")}`;
        const password = crypto.randomBytes(18).toString("base64url");
        const registered = await fetch(`${base}/api/auth/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password }),
        });
        const session = (await registered.json()) as { token?: string };
        check(registered.status === 201 && session.token, `register → ${registered.status} ${JSON.stringify(session)}`);
        const client = new Client(`ws://127.0.0.1:${PORT}`);
        client.auth.token = session.token;
        const room = await client.joinOrCreate("user_lobby");
        room.onMessage("*", () => undefined);
        const closed = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
        return { closed };
      });

      const stopped = await step(`SIGTERM → client closed with 4001, exit 0 within ${STOP_MS} ms`, async () => {
        const s = await stopDist(server, STOP_MS);
        check(s.code === 0 && s.ms <= STOP_MS, `exit code ${s.code} after ${s.ms} ms`);
        const code = await Promise.race([lobby.closed, new Promise((r) => setTimeout(() => r("none"), 1000))]);
        check(code === 4001, `the lobby client was closed with ${String(code)}, not 4001`);
        return s;
      });
      check(/"msg":"bye"/.test(server.output()), "no orderly shutdown in the log");
      console.log(`boot-dist: stopped in ${stopped.ms} ms`);
    } catch (e) {
      console.error(server.output().slice(-4000));
      throw e;
    } finally {
      if (alive()) server.child.kill("SIGKILL");
    }
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
  }
  console.log(`boot-dist: the production runtime boots, serves and stops cleanly\n  ${timings.join("\n  ")}`);
}

main().catch((e) => {
  console.error(`boot-dist: FAILED — ${(e as Error).message}`);
  process.exit(1);
});
