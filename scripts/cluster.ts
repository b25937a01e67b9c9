/**
 * `npm run start:cluster`: N rally processes on consecutive ports sharing Redis (presence and
 * matchmaking driver) and PostgreSQL, each advertising its own public address so clients
 * connect straight to the process that holds their room. Logs are prefixed per process;
 * SIGTERM/SIGINT stop them all gracefully (each persists its rooms, then exits).
 *
 *   CLUSTER_SIZE   processes (default: the core count)
 *   PORT           first port (default 2567); process i listens on PORT + i
 *   PUBLIC_ADDRESS_TEMPLATE  how clients reach process i: "{port}" and "{index}" (1-based)
 *                  are substituted (default "127.0.0.1:{port}"; behind the nginx of
 *                  deploy/nginx use "your.host/rally-{index}")
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

const missing = ["REDIS_URL", "DATABASE_URL"].filter((k) => !process.env[k]);
if (missing.length) {
  console.error(
    `start:cluster needs ${missing.join(" and ")}: several processes can only share rooms, presence and data ` +
      "through Redis and PostgreSQL (embedded PGlite and local presence live inside one process).",
  );
  process.exit(1);
}

const size = Number(process.env.CLUSTER_SIZE ?? os.cpus().length);
const basePort = Number(process.env.PORT ?? 2567);
const template = process.env.PUBLIC_ADDRESS_TEMPLATE ?? "127.0.0.1:{port}";
if (!Number.isInteger(size) || size < 1 || size > 64) {
  console.error(`CLUSTER_SIZE must be an integer between 1 and 64 (got ${process.env.CLUSTER_SIZE})`);
  process.exit(1);
}
if (!process.env.JWT_SECRET && process.env.NODE_ENV === "production") {
  console.error("JWT_SECRET is required in production: every process must verify the same tokens.");
  process.exit(1);
}
// Every process must sign and verify with the same secret.
const jwtSecret = process.env.JWT_SECRET ?? crypto.randomBytes(48).toString("base64url");

const root = path.resolve(__dirname, "..");
const tsxCli = require.resolve("tsx/cli");
const children = new Map<number, ChildProcess>();
let stopping = false;

function start(i: number): void {
  const port = basePort + i;
  const child = spawn(process.execPath, [tsxCli, path.join(root, "src/index.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      PUBLIC_ADDRESS: template.replace("{port}", String(port)).replace("{index}", String(i + 1)),
      JWT_SECRET: jwtSecret,
      SERVE_DEMO: process.env.SERVE_DEMO ?? "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.set(i, child);
  const prefix = `[rally-${i} :${port}]`;
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on("line", (line) => console.log(`${prefix} ${line}`));
  }
  child.on("exit", (code, signal) => {
    children.delete(i);
    console.log(`${prefix} exited (${signal ?? code})`);
    if (!stopping) {
      console.log(`${prefix} restarting in 1 s`);
      setTimeout(() => !stopping && start(i), 1000);
    } else if (children.size === 0) {
      process.exit(0);
    }
  });
}

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  console.log(`[cluster] ${signal}: stopping ${children.size} processes`);
  for (const child of children.values()) child.kill("SIGTERM");
  setTimeout(() => {
    for (const child of children.values()) child.kill("SIGKILL");
    process.exit(1);
  }, 15_000).unref();
  if (children.size === 0) process.exit(0);
}

process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
console.log(`[cluster] starting ${size} processes on ports ${basePort}..${basePort + size - 1}`);
for (let i = 0; i < size; i++) start(i);
