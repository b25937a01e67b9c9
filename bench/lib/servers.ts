import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { rpc, waitReady } from "./ipc";
import { spawnTs, stopChild, type Child } from "./proc";

/** Starting, stopping and addressing the servers under test. */

export type ServerName = "rally" | "colyseus" | "ws" | "socketio";

export const SERVER_LABELS: Record<ServerName, string> = {
  rally: "rally space",
  colyseus: "bare Colyseus",
  ws: "raw ws",
  socketio: "Socket.IO",
};

const SERVER_FILES: Record<ServerName, string> = {
  rally: "bench/servers/rally.ts",
  colyseus: "bench/servers/colyseus-bare.ts",
  ws: "bench/servers/ws-broadcast.ts",
  socketio: "bench/servers/socketio.ts",
};

/**
 * Ports BENCH_PORT_BASE (default 3100) to base + 99, a fresh one per server start (no
 * TIME_WAIT surprises between starts). Two runs on one machine need different bases.
 */
export const PORT_BASE = benchPortBase(process.env.BENCH_PORT_BASE);
let nextPort = PORT_BASE;
export function takePort(): number {
  const port = nextPort;
  nextPort = nextPort >= PORT_BASE + 99 ? PORT_BASE : nextPort + 1;
  return port;
}

export function benchPortBase(value: string | undefined): number {
  if (value === undefined || value === "") return 3100;
  const base = Number(value);
  if (!Number.isInteger(base) || base < 1024 || base > 65_435) {
    throw new Error(`BENCH_PORT_BASE must be a whole number from 1024 to 65435 (got "${value}")`);
  }
  return base;
}

export interface RunningServer {
  name: ServerName;
  port: number;
  child: Child;
  /** rally only: "pglite" or "postgres". */
  backend?: string;
  dataDir?: string;
  stop(): Promise<void>;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
}

export const JWT_SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

/** The environment rally runs with in the bench: production mode, real limits, quiet logs. */
function rallyEnv(port: number, dataDir: string, databaseUrl?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    // Nothing from the caller's shell may change what is measured (limits, database, Redis).
    if (
      /^(DATABASE_URL|REDIS_URL|RATE_LIMIT|MOVE_RATE|FLOOD|EVENT_BUFFER|RECONNECT|DICE_RECONNECT|MONITOR_|PUBLIC_ADDRESS|HOST$|PORT$)/.test(
        key,
      )
    ) {
      delete env[key];
    }
  }
  Object.assign(env, {
    NODE_ENV: "production",
    JWT_SECRET,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    BENCH_PORT: String(port),
  });
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
}

/** Servers to profile during measured windows (set by bench/run.ts from `--profile=`), and where profiles go. */
export const profiling: { servers: Set<string>; dir: string } = { servers: new Set(), dir: "" };

/** Run `during` with the server's CPU profiler on, when profiling is asked for that server. */
export async function maybeProfile<T>(server: RunningServer, tag: string, during: () => Promise<T>): Promise<T> {
  if (!profiling.servers.has(server.name)) return during();
  fs.mkdirSync(profiling.dir, { recursive: true });
  await server.call("profileStart");
  try {
    return await during();
  } finally {
    const file = path.join(profiling.dir, `${tag}-${server.name}.cpuprofile`);
    await server.call("profileStop", { file }).catch(() => undefined);
  }
}

/**
 * In the quick run, scenarios share one server of each kind (a rally start costs seconds:
 * PGlite, migrations); the full run gives every scenario a fresh server.
 */
export const sharing = { enabled: false };
const shared = new Map<string, RunningServer>();

export async function startServer(
  name: ServerName,
  opts: { cores?: string; databaseUrl?: string } = {},
): Promise<RunningServer> {
  if (!sharing.enabled) return launch(name, opts);
  const key = `${name} ${opts.databaseUrl ?? ""}`;
  let server = shared.get(key);
  if (!server || server.child.proc.exitCode !== null) {
    server = await launch(name, opts);
    shared.set(key, server);
  }
  // Scenarios stop what they start; a shared server is stopped by stopSharedServers().
  return { ...server, stop: () => Promise.resolve() };
}

export async function stopSharedServers(): Promise<void> {
  await Promise.all([...shared.values()].map((s) => s.stop()));
  shared.clear();
}

async function launch(name: ServerName, opts: { cores?: string; databaseUrl?: string }): Promise<RunningServer> {
  const port = takePort();
  let env: NodeJS.ProcessEnv = { ...process.env, BENCH_PORT: String(port), NODE_ENV: "production" };
  let dataDir: string | undefined;
  if (name === "rally") {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-bench-"));
    env = rallyEnv(port, dataDir, opts.databaseUrl);
  }
  const child = spawnTs(SERVER_FILES[name], {
    cores: opts.cores,
    env,
    label: `${name}:${port}`,
    nodeArgs: ["--expose-gc"],
  });
  let info: { backend?: string };
  try {
    info = await waitReady<{ backend?: string }>(child.proc, 60_000, `${name} server`);
  } catch (e) {
    await stopChild(child, 500);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${child.tail()}`);
  }
  return {
    name,
    port,
    child,
    backend: info?.backend,
    dataDir,
    call: (cmd, args, timeoutMs) => rpc(child.proc, cmd, args, timeoutMs),
    async stop() {
      await stopChild(child, 3000);
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
