import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, rssBytes, sleep, taskset } from "../lib/proc";
import { startServer, takePort } from "../lib/servers";
import { round } from "../lib/stats";
import type { BenchContext } from "./context";

/**
 * Scenario F: start time and idle footprint, as a user gets them.
 * - rally is started with `npm start` (dist/ built beforehand, as `npm ci` leaves it), on
 *   embedded defaults: the first start on an empty DATA_DIR (PGlite's initdb and every
 *   migration: the first start after `npm ci`), then warm starts on the same DATA_DIR; and on
 *   PostgreSQL when BENCH_DATABASE_URL is set.
 * - Start time: from spawning `npm start` to the first 200 from /healthz.
 * - Idle RSS: the server process's RSS a few seconds after that, with no client (no forced GC).
 * - bare Colyseus: the bench's baseline server (bench/servers/colyseus-bare.ts, through tsx),
 *   its RSS idle after start, for scale.
 */

export interface StartResult {
  target: string;
  startMs: number[];
  idleRssMB: number[];
  error?: string;
}

/** The node process under `npm start` (npm → sh → node scripts/start.cjs). */
function serverPid(rootPid: number): number | undefined {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      // node itself, not the shell npm runs it through ("sh -c node scripts/start.cjs")
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (path.basename(argv[0] ?? "").startsWith("node") && argv.some((a) => a.endsWith("scripts/start.cjs")))
        return pid;
    } catch {
      // gone meanwhile
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return undefined;
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** One `npm start`: ms to /healthz and idle RSS, then SIGTERM and wait for the exit. */
async function npmStart(
  ctx: BenchContext,
  env: NodeJS.ProcessEnv,
  settleMs: number,
): Promise<{ ms: number; rssMB: number }> {
  const port = takePort();
  const pin = ctx.serverCores !== undefined ? taskset() : null;
  const fullEnv = { ...env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" };
  const t0 = performance.now();
  const child = pin
    ? spawn(pin, ["-c", ctx.serverCores!, "npm", "start", "--silent"], {
        cwd: ROOT,
        env: fullEnv,
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
      })
    : spawn("npm", ["start", "--silent"], {
        cwd: ROOT,
        env: fullEnv,
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
      });
  // The end of stderr, to say why a start failed.
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-400)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    while (!(await healthy(port))) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}: ${stderr.trim()}`);
      if (performance.now() - t0 > 120_000) throw new Error("no /healthz within 120 s");
      await sleep(20);
    }
    const ms = performance.now() - t0;
    await sleep(settleMs);
    const pid = serverPid(child.pid!);
    if (!pid) throw new Error("could not find the server process");
    return { ms: round(ms, 0), rssMB: round(rssBytes(pid) / 1048576, 1) };
  } finally {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await Promise.race([exited, sleep(15_000)]);
  }
}

function strippedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env))
    if (/^(DATABASE_URL|REDIS_URL|DATA_DIR|NODE_ENV|JWT_SECRET|MONITOR_|PORT$|HOST$)/.test(key)) delete env[key];
  return env;
}

export async function runStart(ctx: BenchContext): Promise<StartResult[]> {
  const out: StartResult[] = [];
  const settleMs = ctx.quick ? 2000 : 5000;
  const warmStarts = ctx.quick ? 1 : 3;
  // The build `npm ci` leaves behind (its prepare step), outside any measure.
  execFileSync(process.execPath, [path.join(ROOT, "scripts/start.cjs"), "--build-if-stale"], {
    cwd: ROOT,
    stdio: "ignore",
  });

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-start-"));
  const embedded = { ...strippedEnv(), DATA_DIR: dataDir };
  const first: StartResult = {
    target: "rally, embedded defaults (PGlite): first start (initdb + migrations)",
    startMs: [],
    idleRssMB: [],
  };
  const warm: StartResult = { target: "rally, embedded defaults (PGlite): warm start", startMs: [], idleRssMB: [] };
  try {
    const r = await npmStart(ctx, embedded, settleMs);
    first.startMs.push(r.ms);
    first.idleRssMB.push(r.rssMB);
    for (let i = 0; i < warmStarts; i++) {
      const w = await npmStart(ctx, embedded, settleMs);
      warm.startMs.push(w.ms);
      warm.idleRssMB.push(w.rssMB);
    }
  } catch (e) {
    first.error = warm.error = (e as Error).message;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  out.push(first, warm);

  if (ctx.databaseUrl && !ctx.quick) {
    const pg: StartResult = { target: "rally on PostgreSQL: warm start", startMs: [], idleRssMB: [] };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-start-"));
    try {
      for (let i = 0; i < warmStarts; i++) {
        const r = await npmStart(ctx, { ...strippedEnv(), DATA_DIR: dir, DATABASE_URL: ctx.databaseUrl }, settleMs);
        pg.startMs.push(r.ms);
        pg.idleRssMB.push(r.rssMB);
      }
    } catch (e) {
      pg.error = (e as Error).message;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    out.push(pg);
  } else {
    out.push({
      target: "rally on PostgreSQL: warm start",
      startMs: [],
      idleRssMB: [],
      error: ctx.quick ? "skipped in the quick run" : "skipped: no BENCH_DATABASE_URL",
    });
  }

  if (ctx.quick) {
    for (const r of out)
      ctx.log(
        `  F ${r.target}: ${r.error ?? `start ${r.startMs.join(", ")} ms; idle RSS ${r.idleRssMB.join(", ")} MB`}`,
      );
    return out; // the quick run keeps to the embedded starts
  }
  const bare: StartResult = { target: "bare Colyseus (bench baseline, through tsx)", startMs: [], idleRssMB: [] };
  try {
    const t0 = performance.now();
    const server = await startServer("colyseus", { cores: ctx.serverCores });
    bare.startMs.push(round(performance.now() - t0, 0));
    await sleep(settleMs);
    bare.idleRssMB.push(round(rssBytes(server.child.pid) / 1048576, 1));
    await server.stop();
  } catch (e) {
    bare.error = (e as Error).message;
  }
  out.push(bare);
  for (const r of out)
    ctx.log(`  F ${r.target}: ${r.error ?? `start ${r.startMs.join(", ")} ms; idle RSS ${r.idleRssMB.join(", ")} MB`}`);
  return out;
}
