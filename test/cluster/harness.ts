import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Redis } from "ioredis";
import { Client, type Room } from "@colyseus/sdk";
import { migrate, openDb, truncateAll } from "../../src/db";

/**
 * The multi-process topology of docs/DEPLOY.md on loopback: `scripts/cluster.ts` starting
 * real rally processes that share PostgreSQL and Redis, and nginx in front, rendered from
 * deploy/nginx/rally.conf.template. Helpers here talk to it only from outside: HTTP,
 * WebSocket, signals and log lines.
 */

export const ROOT = path.resolve(__dirname, "../..");
export const ARTIFACTS = path.join(ROOT, "test-artifacts/cluster");
export const NGINX_TEMPLATE = path.join(ROOT, "deploy/nginx/rally.conf.template");
export const JWT_SECRET = "cluster-suite-secret-0123456789abcdef";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** DATABASE_URL and REDIS_URL from the environment, or a refusal that says how to get them. */
export function requiredServices(): { databaseUrl: string; redisUrl: string } {
  const { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = process.env;
  if (!databaseUrl || !redisUrl) {
    throw new Error(
      "test:cluster runs real processes on PostgreSQL and Redis and needs DATABASE_URL and REDIS_URL, e.g.\n" +
        "  bash scripts/services.sh\n" +
        "  DATABASE_URL=postgres://rally:rally@127.0.0.1:5432/rally_cluster REDIS_URL=redis://127.0.0.1:6379 npm run test:cluster\n" +
        "(it empties every table of that database and flushes that Redis database).",
    );
  }
  return { databaseUrl, redisUrl };
}

/** Migrated, empty tables and an empty Redis database, before any process starts. */
export async function cleanState(databaseUrl: string, redisUrl: string): Promise<void> {
  const db = await openDb({ databaseUrl, pgliteDir: "memory://", poolSize: 2 });
  try {
    await migrate(db);
    await truncateAll(db);
  } finally {
    await db.close();
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** Resolve when `url` answers 200, or fail after `timeoutMs`. */
export async function waitUntilUp(url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ----------------------------------------------------------------------------------------
// Child processes whose output the tests read

/** A child process whose output lines are kept (and written to test-artifacts/cluster). */
class Watched {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners = new Set<(line: string) => void>();
  private readonly log: fs.WriteStream;

  constructor(
    readonly child: ChildProcess,
    logName: string,
  ) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    this.log = fs.createWriteStream(path.join(ARTIFACTS, logName));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        this.log.write(line + "\n");
        for (const listener of this.listeners) listener(line);
      });
    }
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => this.log.end());
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line (already printed, or to come) matching `pattern`, counting from line `from`. */
  waitForLine(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpMatchArray> {
    const seen = this.lines
      .slice(from)
      .map((l) => l.match(pattern))
      .find(Boolean);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (line: string) => {
        const m = line.match(pattern);
        if (m) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no output line matched ${pattern} within ${timeoutMs} ms; last lines:\n${this.tail()}`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join("\n");
  }

  /** Signal and wait for the exit (SIGKILL after `timeoutMs`). */
  async stop(
    signal: NodeJS.Signals = "SIGTERM",
    timeoutMs = 20_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    const killer = setTimeout(() => this.running && this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }
}

export interface LauncherOptions {
  size: number;
  basePort: number;
  publicAddressTemplate?: string;
  env?: Record<string, string>;
  logName: string;
}

/** `scripts/cluster.ts`, run by node with tsx as a loader so its pid is the launcher's own. */
export class Launcher extends Watched {
  constructor(readonly options: LauncherOptions) {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/cluster.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "info",
        JWT_SECRET,
        // The suite registers dozens of users from one address; the limits are not under test here.
        REGISTRATIONS_PER_IP_PER_HOUR: "0",
        PASSWORD_HASH_COST: "12",
        CLUSTER_SIZE: String(options.size),
        PORT: String(options.basePort),
        ...(options.publicAddressTemplate ? { PUBLIC_ADDRESS_TEMPLATE: options.publicAddressTemplate } : {}),
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    super(child, options.logName);
  }

  port(index: number): number {
    return this.options.basePort + index - 1;
  }

  /** The pid the launcher printed for process `index` (1-based), counting from line `from`. */
  async pidOf(index: number, from = 0): Promise<number> {
    const m = await this.waitForLine(new RegExp(`^\\[rally-${index} :\\d+\\] pid (\\d+)$`), 15_000, from);
    return Number(m[1]);
  }

  /** Every process answers /readyz (database and Redis reachable). */
  async ready(timeoutMs = 45_000): Promise<void> {
    for (let i = 1; i <= this.options.size; i++) {
      await waitUntilUp(`http://127.0.0.1:${this.port(i)}/readyz`, timeoutMs).catch((e) => {
        throw new Error(`${(e as Error).message}\nlauncher output:\n${this.tail()}`);
      });
    }
  }
}

// ----------------------------------------------------------------------------------------
// nginx

/** deploy/nginx/rally.conf.template with its envsubst variables filled in. */
export type NginxVars = Record<"RALLY_1" | "RALLY_2" | "NGINX_LISTEN" | "NGINX_ACCESS_LOG", string>;

export function renderNginxTemplate(vars: NginxVars): string {
  const text = fs.readFileSync(NGINX_TEMPLATE, "utf8").replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const value = (vars as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`the nginx template uses \${${name}}, which the test does not set`);
    return value;
  });
  return text;
}

/**
 * A private nginx prefix: the rendered template included in an http block, with pid, logs
 * and temp files inside `dir`, as the official image includes it from /etc/nginx/conf.d.
 */
export function writeNginxConfig(dir: string, vars: NginxVars): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755); // workers may run as an unprivileged user when started as root
  fs.writeFileSync(path.join(dir, "rally.conf"), renderNginxTemplate(vars));
  const conf = path.join(dir, "nginx.conf");
  fs.writeFileSync(
    conf,
    [
      "worker_processes 1;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log notice;`,
      "events { worker_connections 1024; }",
      "http {",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
      `  include ${dir}/rally.conf;`,
      "}",
      "",
    ].join("\n"),
  );
  return conf;
}

export function nginxBinary(): string {
  const found = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => fs.existsSync(p));
  if (found) return found;
  const which = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error("nginx is not installed: `apt-get install -y nginx` (scripts/services.sh installs it)");
}

/** `nginx -t` on a config: exit status and output. */
export function nginxTest(dir: string, conf: string): { ok: boolean; output: string } {
  const r = spawnSync(nginxBinary(), ["-t", "-p", dir, "-e", path.join(dir, "error.log"), "-c", conf], {
    encoding: "utf8",
  });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** nginx in the foreground (`daemon off`), a child of the test run. */
export class Nginx extends Watched {
  constructor(
    readonly dir: string,
    conf: string,
  ) {
    const child = spawn(
      nginxBinary(),
      ["-p", dir, "-e", path.join(dir, "error.log"), "-c", conf, "-g", "daemon off;"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    super(child, "nginx.out.log");
  }

  /** What nginx logged for requests (the template's own format, no query strings). */
  requestLog(): string[] {
    const file = path.join(this.dir, "access.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  }

  errorLog(): string {
    const file = path.join(this.dir, "error.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }

  /** Copy nginx's own log files next to the other artifacts. */
  keepLogs(): void {
    for (const name of ["error.log", "access.log"]) {
      const file = path.join(this.dir, name);
      if (fs.existsSync(file)) fs.copyFileSync(file, path.join(ARTIFACTS, `nginx-${name}`));
    }
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ----------------------------------------------------------------------------------------
// Clients

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** A REST call to `base` (a process, or nginx and one of its paths). */
export async function api<T = any>(
  base: string,
  method: string,
  route: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${route}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

export interface User {
  id: string;
  username: string;
  token: string;
}

export const TEST_PASSWORD = "rally-test-password-42";

/**
 * Register a user over REST through `base`. `extra` goes into the body: `{orgId}` creates an
 * organization owned by the user, `{inviteCode}` joins one.
 */
export async function register(base: string, prefix = "u", extra: Record<string, unknown> = {}): Promise<User> {
  const username = `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
  const res = await api(base, "POST", "/api/auth/register", { body: { username, password: TEST_PASSWORD, ...extra } });
  assert.equal(res.status, 201, `register through ${base}: ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, token: res.body.token };
}

/**
 * A host who owns a new organization, and one more user per `memberBases` entry who joined it
 * with an invite code (`members` is a tuple as long as `memberBases`).
 */
export async function registerOrg<Bases extends string[]>(
  hostBase: string,
  memberBases: [...Bases],
): Promise<{ orgId: string; host: User; members: { [K in keyof Bases]: User } }> {
  const orgId = `org_${crypto.randomBytes(4).toString("hex")}`;
  const host = await register(hostBase, "host", { orgId });
  const members: User[] = [];
  for (const base of memberBases) {
    const invite = await api(hostBase, "POST", `/api/orgs/${orgId}/invite-codes`, {
      token: host.token,
      body: { maxUses: 1 },
    });
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    members.push(await register(base, "member", { inviteCode: invite.body.code }));
  }
  return { orgId, host, members: members as { [K in keyof Bases]: User } };
}

export interface TwoProcesses {
  /** Each process's own address (no nginx: matchmaking state is shared through Redis). */
  via: { 1: string; 2: string };
  launcher(): Launcher;
  /** Remember a room so it is left after the test. */
  track<R extends Room>(room: R): R;
}

/**
 * Mocha hooks for a spec file that needs two rally processes on clean PostgreSQL + Redis:
 * started before its tests, every tracked room left after each test, stopped after.
 */
export function useTwoProcesses(opts: {
  basePort: number;
  env?: Record<string, string>;
  logName: string;
}): TwoProcesses {
  let launcher: Launcher | undefined;
  let open: Room[] = [];
  before(async function () {
    this.timeout(120_000);
    const { databaseUrl, redisUrl } = requiredServices();
    await cleanState(databaseUrl, redisUrl);
    launcher = new Launcher({
      size: 2,
      basePort: opts.basePort,
      env: { CLUSTER_RESTART: "0", ...opts.env },
      logName: opts.logName,
    });
    await launcher.ready();
  });
  afterEach(async () => {
    const leaving = open.map((room) => Promise.race([room.leave(true).catch(() => undefined), sleep(2000)]));
    open = [];
    await Promise.all(leaving);
  });
  after(async function () {
    this.timeout(30_000);
    await launcher?.stop("SIGTERM");
  });
  return {
    via: { 1: `http://127.0.0.1:${opts.basePort}`, 2: `http://127.0.0.1:${opts.basePort + 1}` },
    launcher: () => {
      if (!launcher) throw new Error("the processes are not started yet");
      return launcher;
    },
    track: (room) => {
      open.push(room);
      return room;
    },
  };
}

/** Make two users friends over REST; the request and the accept each go through their own base. */
export async function befriend(a: User, viaA: string, b: User, viaB: string): Promise<string> {
  const req = await api(viaA, "POST", "/api/friends/requests", { token: a.token, body: { username: b.username } });
  assert.equal(req.status, 201, JSON.stringify(req.body));
  const accepted = await api(viaB, "POST", `/api/friends/requests/${req.body.id}/accept`, { token: b.token });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  return req.body.id;
}

export function sdk(base: string, token: string): Client {
  const client = new Client(base);
  client.auth.token = token;
  return client;
}

export interface SeatReservation {
  name: string;
  roomId: string;
  sessionId: string;
  processId: string;
  publicAddress?: string;
}

export interface Joined {
  client: Client;
  room: Room;
  /** Where the matchmaker placed the seat: the room's process and public address. */
  seat: SeatReservation;
}

/**
 * Matchmake through `base` (the process that answers is the one whose matchmaker runs,
 * and so, for a new room, the one that creates it), then connect to the seat's public
 * address as the SDK does. The seat reservation tells where the room lives.
 */
export async function matchmake(
  base: string,
  token: string,
  method: string,
  target: string,
  options: Record<string, unknown> = {},
): Promise<Joined> {
  const client = sdk(base, token);
  let seat: SeatReservation;
  try {
    seat = (await client.http.post(`/matchmake/${method}/${target}`, { body: options })).data as SeatReservation;
  } catch (e: any) {
    throw Object.assign(new Error(e?.message ?? String(e)), { code: e?.code });
  }
  const room = await client.consumeSeatReservation(seat);
  return { client, room, seat };
}

/** `{code, message, ms}` of a promise that must reject (and how long it took). */
export async function rejection(p: Promise<unknown>): Promise<{ code: any; message: string; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
  } catch (e: any) {
    const reason = e?.reason ?? e;
    return { code: reason?.code, message: String(reason?.message ?? e), ms: Date.now() - t0 };
  }
  throw new Error("expected a rejection, but it succeeded");
}

/** Wait for a condition checked by polling (async checks allowed). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
