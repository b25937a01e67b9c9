/**
 * `npm run start:cluster`: N rally processes on consecutive ports sharing Redis (presence and
 * matchmaking driver) and PostgreSQL, each advertising its own public address so clients
 * connect straight to the process that holds their room. Logs are prefixed per process;
 * SIGTERM/SIGINT stop them all gracefully (each persists its rooms, then exits), and the
 * launcher exits 0 only if every process did.
 *
 *   CLUSTER_SIZE   processes (default: the core count)
 *   PORT           first port (default 2567); process i (1-based) listens on PORT + i - 1
 *   PUBLIC_ADDRESS_TEMPLATE  how clients reach process i: "{port}" and "{index}" (1-based)
 *                  are substituted (default "127.0.0.1:{port}"; behind the nginx of
 *                  deploy/nginx use "your.host/rally-{index}")
 *   CLUSTER_RESTART  "0" to leave a crashed process down (default: restart it after 1 s)
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
const restart = process.env.CLUSTER_RESTART !== "0";
if (!Number.isInteger(size) || size < 1 || size > 64) {
  console.error(`CLUSTER_SIZE must be an integer between 1 and 64 (got ${process.env.CLUSTER_SIZE})`);
  process.exit(1);
}
if (!Number.isInteger(basePort) || basePort < 1 || basePort + size - 1 > 65535) {
  console.error(`PORT must be a port number with room for ${size} consecutive ports (got ${process.env.PORT})`);
  process.exit(1);
}
if (!process.env.JWT_SECRET && process.env.NODE_ENV === "production") {
  console.error("JWT_SECRET is required in production: every process must verify the same tokens.");
  process.exit(1);
}
// Every process must sign and verify with the same secret.
const jwtSecret = process.env.JWT_SECRET ?? crypto.randomBytes(48).toString("base64url");

const root = path.resolve(__dirname, "..");
const children = new Map<number, ChildProcess>();
let stopping = false;
let allExitedCleanly = true;

function start(index: number): void {
  const port = basePort + index - 1;
  // node itself with tsx as a loader (not the tsx CLI, which would wrap it in a second
  // process): the pid logged below is the server's, so a signal reaches it directly.
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "src/index.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      PUBLIC_ADDRESS: template.replaceAll("{port}", String(port)).replaceAll("{index}", String(index)),
      JWT_SECRET: jwtSecret,
      SERVE_DEMO: process.env.SERVE_DEMO ?? "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.set(index, child);
  const prefix = `[rally-${index} :${port}]`;
  console.log(`${prefix} pid ${child.pid}`);
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on("line", (line) => console.log(`${prefix} ${line}`));
  }
  child.on("exit", (code, signal) => {
    children.delete(index);
    console.log(`${prefix} exited (${signal ?? code})`);
    if (stopping) {
      if (code !== 0) allExitedCleanly = false;
      if (children.size === 0) process.exit(allExitedCleanly ? 0 : 1);
    } else if (restart) {
      console.log(`${prefix} restarting in 1 s`);
      setTimeout(() => !stopping && start(index), 1000);
    } else if (children.size === 0) {
      console.log("[cluster] every process is down and CLUSTER_RESTART=0: exiting");
      process.exit(1);
    }
  });
}

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  console.log(`[cluster] ${signal}: stopping ${children.size} processes`);
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill("SIGTERM");
  // Each process gives up on its own after SHUTDOWN_TIMEOUT_MS; this is the backstop.
  const grace = (Number(process.env.SHUTDOWN_TIMEOUT_MS) || 10_000) + 5_000;
  setTimeout(() => {
    for (const child of children.values()) child.kill("SIGKILL");
    process.exit(1);
  }, grace).unref();
}

process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
console.log(`[cluster] starting ${size} processes on ports ${basePort}..${basePort + size - 1}`);
for (let index = 1; index <= size; index++) start(index);
