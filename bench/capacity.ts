/**
 * `npm run capacity`: the coefficients of docs/SCALING.md's capacity model, counted on a real
 * deployment of several rally processes sharing one Redis and one PostgreSQL.
 *
 *   CAPACITY_DATABASE_URL  PostgreSQL (its tables are emptied first)       required
 *   CAPACITY_REDIS_URL     Redis, with a db index (redis://host:port/13)    required
 *   CAPACITY_PROCESSES     rally processes (default 4)
 *   CAPACITY_PORT          first port (default 3600); process i listens on CAPACITY_PORT + i
 *
 * Each action runs `reps` times in its own window, on users spread over the processes; the
 * window then settles. Counted per action:
 * - Redis commands, by name: `redis-cli monitor` (on PATH), only the commands of the
 *   chosen db index (MONITOR reports every client on the server), minus the background rate
 *   (stale-process sweeps, the driver's keep-alives) measured while nothing happens.
 * - PostgreSQL statements: the processes' own query counter (`rally_db_query_duration_seconds`
 *   in /metrics; a transaction's BEGIN/COMMIT are not in it), and transactions and rows
 *   written from `pg_stat_database` for the database (other databases' activity is not in it).
 * The results go to bench/results/capacity-<time>.{md,json} and capacity-latest.{md,json}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import readline from "node:readline";
import { Pool } from "pg";
import { openDb, migrate, truncateAll } from "../src/db";
import { ROOT, sleep, waitForPort } from "./lib/proc";

const databaseUrl = process.env.CAPACITY_DATABASE_URL;
const redisUrl = process.env.CAPACITY_REDIS_URL;
if (!databaseUrl || !redisUrl) {
  console.error(
    "npm run capacity needs CAPACITY_DATABASE_URL and CAPACITY_REDIS_URL (with a db index of its own, e.g. redis://127.0.0.1:6379/13)",
  );
  process.exit(1);
}
const processes = Number(process.env.CAPACITY_PROCESSES ?? 4);
const basePort = Number(process.env.CAPACITY_PORT ?? 3600);
const redisDb = Number(new URL(redisUrl).pathname.slice(1) || 0);
const JWT_SECRET = "capacity-secret-0123456789-abcdefghijklmnop";
const ports = Array.from({ length: processes }, (_, i) => basePort + i);
const children: ChildProcess[] = [];

// --- counting --------------------------------------------------------------------------

const redisCounts = new Map<string, number>();
/**
 * `redis-cli monitor` (ioredis' monitor mode loses track of its queue under a busy server's
 * stream): one line per command, `<time> [<db> <client>] "<command>" …`.
 */
async function watchRedis(): Promise<ChildProcess> {
  const url = new URL(redisUrl!);
  const args = [
    "-h",
    url.hostname || "127.0.0.1",
    "-p",
    url.port || "6379",
    ...(url.password ? ["-a", decodeURIComponent(url.password), "--no-auth-warning"] : []),
    "monitor",
  ];
  const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const lines = readline.createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const m = /^\d+\.\d+ \[(\d+) [^\]]*\] "([^"]+)"/.exec(line);
    if (!m || Number(m[1]) !== redisDb) return;
    const name = m[2]!.toLowerCase();
    redisCounts.set(name, (redisCounts.get(name) ?? 0) + 1);
  });
  await new Promise<void>((resolve, reject) => {
    lines.once("line", () => resolve()); // "OK" once monitoring
    child.once("error", reject);
  });
  return child;
}

const stats = new Pool({ connectionString: databaseUrl, max: 1 });
async function pgStats(): Promise<{ xact: number; inserted: number; updated: number; deleted: number }> {
  const { rows } = await stats.query<{ x: string; i: string; u: string; d: string }>(
    "SELECT xact_commit::bigint AS x, tup_inserted::bigint AS i, tup_updated::bigint AS u, tup_deleted::bigint AS d FROM pg_stat_database WHERE datname = current_database()",
  );
  const r = rows[0]!;
  return { xact: Number(r.x), inserted: Number(r.i), updated: Number(r.u), deleted: Number(r.d) };
}

async function appStatements(): Promise<number> {
  let sum = 0;
  for (const port of ports) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of text.split("\n"))
      if (line.startsWith("rally_db_query_duration_seconds_count")) sum += Number(line.split(" ").pop());
  }
  return sum;
}

interface Snapshot {
  at: number;
  redis: Map<string, number>;
  statements: number;
  pg: Awaited<ReturnType<typeof pgStats>>;
}
async function snapshot(): Promise<Snapshot> {
  return { at: Date.now(), redis: new Map(redisCounts), statements: await appStatements(), pg: await pgStats() };
}

interface Measured {
  action: string;
  reps: number;
  redisPerOp: number;
  redisByCommand: Record<string, number>;
  statementsPerOp: number;
  transactionsPerOp: number;
  rowsWrittenPerOp: number;
}

let backgroundPerMs = new Map<string, number>();
/** Postgres transactions per ms while nothing happens (the stale-process sweeps' queries). */
let backgroundXactPerMs = 0;
/**
 * Counters before and after `run` (which performs `reps` operations), less the background
 * rate; the statement counter also counts the /metrics scrapes' own nothing (no query).
 */
async function measure(action: string, reps: number, run: () => Promise<void>): Promise<Measured> {
  await sleep(700);
  const before = await snapshot();
  await run();
  await sleep(2500); // deliveries land, and Postgres publishes its statistics (≥ 1 s later)
  const after = await snapshot();
  const elapsed = after.at - before.at;
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of after.redis) {
    const delta = n - (before.redis.get(name) ?? 0) - (backgroundPerMs.get(name) ?? 0) * elapsed;
    const perOp = Math.max(0, delta) / reps;
    if (perOp >= 0.05) {
      byCommand[name] = round(perOp);
      total += perOp;
    }
  }
  const m: Measured = {
    action,
    reps,
    redisPerOp: round(total),
    redisByCommand: byCommand,
    statementsPerOp: round((after.statements - before.statements) / reps),
    // less the background and the one transaction of the first pgStats() read
    transactionsPerOp: round(Math.max(0, after.pg.xact - before.pg.xact - 1 - backgroundXactPerMs * elapsed) / reps),
    rowsWrittenPerOp: round(
      (after.pg.inserted -
        before.pg.inserted +
        after.pg.updated -
        before.pg.updated +
        after.pg.deleted -
        before.pg.deleted) /
        reps,
    ),
  };
  console.log(`${action}: ${JSON.stringify(m)}`);
  return m;
}

const round = (n: number) => Math.round(n * 100) / 100;

// --- the deployment ----------------------------------------------------------------------

async function startProcesses(): Promise<void> {
  for (const port of ports) {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/index.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        PUBLIC_ADDRESS: `127.0.0.1:${port}`,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        JWT_SECRET,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(child);
  }
  await Promise.all(ports.map((p) => waitForPort(p, 120_000)));
}

function stopProcesses(): void {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
}

interface User {
  id: string;
  username: string;
  token: string;
}
let userCounter = 0;
async function rest<T = unknown>(
  method: string,
  urlPath: string,
  token?: string,
  body?: unknown,
  port = ports[0]!,
): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as T;
  if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}
async function register(): Promise<User> {
  const username = `cap_${process.pid}_${++userCounter}`;
  const r = await rest<{ token: string; user: { id: string } }>("POST", "/api/auth/register", undefined, {
    username,
    password: "capacity-password",
  });
  return { id: r.user.id, username, token: r.token };
}
async function befriend(a: User, b: User): Promise<void> {
  const req = await rest<{ id: string }>("POST", "/api/friends/requests", a.token, { username: b.username });
  await rest("POST", `/api/friends/requests/${req.id}/accept`, b.token);
}
/** A client of process `i` (clients talk to the process they were given, as behind a proxy). */
function client(user: User, i: number): Client {
  const c = new Client(`http://127.0.0.1:${ports[i % processes]}`);
  c.auth.token = user.token;
  return c;
}
function nextMessage(room: Room, type: string, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
    const off = room.onMessage(type, (payload: unknown) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

// --- the actions -------------------------------------------------------------------------

async function main(): Promise<void> {
  const db = await openDb({ databaseUrl, pgliteDir: "memory://", poolSize: 1 });
  await migrate(db);
  await truncateAll(db);
  await db.close();
  await startProcesses();
  const monitor = await watchRedis();
  const results: Measured[] = [];

  // The background: what the processes send to Redis while nothing happens.
  const idleMs = 5000;
  const idleBefore = new Map(redisCounts);
  const pgBefore = await pgStats();
  await sleep(idleMs);
  await sleep(1500); // Postgres publishes its statistics late
  backgroundXactPerMs = Math.max(0, (await pgStats()).xact - pgBefore.xact - 1) / (idleMs + 1500);
  backgroundPerMs = new Map([...redisCounts].map(([k, n]) => [k, (n - (idleBefore.get(k) ?? 0)) / (idleMs + 1500)]));
  const backgroundPerSecond = Object.fromEntries(
    [...backgroundPerMs].map(([k, v]) => [k, round((v * 1000) / processes)]),
  );
  const backgroundXactPerSecond = round((backgroundXactPerMs * 1000) / processes);
  console.log(
    `background per process per second: Redis ${JSON.stringify(backgroundPerSecond)}, Postgres transactions ${backgroundXactPerSecond}`,
  );

  const reps = 20;
  const loners = await Promise.all(Array.from({ length: reps }, register));
  const hub = await register();
  const fans = await Promise.all(Array.from({ length: reps }, register));
  for (const f of fans) await befriend(hub, f);
  const lobbies: Room[] = [];

  results.push(
    await measure("lobby join, no friends (room created, user online)", reps, async () => {
      for (const [i, u] of loners.entries()) lobbies.push(await client(u, i).joinOrCreate("user_lobby"));
    }),
  );
  const hubLobby = await client(hub, 0).joinOrCreate("user_lobby");
  results.push(
    await measure("lobby join, 1 friend online (+ its presence change delivered)", reps, async () => {
      for (const [i, u] of fans.entries()) {
        const seen = nextMessage(hubLobby, "presence");
        lobbies.push(await client(u, i + 1).joinOrCreate("user_lobby"));
        await seen;
      }
    }),
  );
  results.push(
    await measure("lobby leave, 1 friend online (room disposed, presence change delivered)", reps, async () => {
      for (const room of lobbies.splice(reps)) {
        const seen = nextMessage(hubLobby, "presence");
        await room.leave();
        await seen;
      }
    }),
  );
  for (const room of lobbies.splice(0)) await room.leave();

  // Game invitations between friends whose lobbies live on different processes.
  const senders = await Promise.all(Array.from({ length: reps }, register));
  const receivers = await Promise.all(Array.from({ length: reps }, register));
  for (let i = 0; i < reps; i++) await befriend(senders[i]!, receivers[i]!);
  const senderLobbies = await Promise.all(senders.map((u, i) => client(u, i).joinOrCreate("user_lobby")));
  const receiverLobbies = await Promise.all(receivers.map((u, i) => client(u, i + 1).joinOrCreate("user_lobby")));
  results.push(
    await measure("game invitation (stored, delivered to the friend's lobby on another process)", reps, async () => {
      for (let i = 0; i < reps; i++) {
        const received = nextMessage(receiverLobbies[i]!, "game_invitation_received");
        await senderLobbies[i]!.request("game_invitation:send", { toUserId: receivers[i]!.id, map: "classic" });
        await received;
      }
    }),
  );
  for (const room of [...senderLobbies, ...receiverLobbies]) await room.leave();

  // Conversations: the first participant's join creates the room, the second joins it
  // from another process (matchmaking and seat reservation through Redis).
  const conversations: Array<{ id: string; a: User; b: User }> = [];
  for (let i = 0; i < reps; i++) {
    const [a, b] = [await register(), await register()];
    const conv = await rest<{ id: string }>("POST", "/api/v1/conversations", a.token, { participantId: b.id });
    conversations.push({ id: conv.id, a, b });
  }
  const firstSeats: Room[] = [];
  const secondSeats: Room[] = [];
  results.push(
    await measure("conversation join, room created", reps, async () => {
      for (const [i, c] of conversations.entries())
        firstSeats.push(await client(c.a, i).joinOrCreate("conversation", { conversationId: c.id }));
    }),
  );
  results.push(
    await measure("conversation join, existing room on another process", reps, async () => {
      for (const [i, c] of conversations.entries())
        secondSeats.push(await client(c.b, i + 1).joinOrCreate("conversation", { conversationId: c.id }));
    }),
  );
  const messages = 100;
  results.push(
    await measure("chat message (stored, broadcast to the room)", messages, async () => {
      for (let m = 0; m < messages; m++) {
        const i = m % reps;
        const delivered = nextMessage(secondSeats[i]!, "message");
        await firstSeats[i]!.request("message", { content: `hello ${m}`, clientMessageId: `cap-${m}` });
        await delivered;
      }
    }),
  );
  for (const room of [...firstSeats, ...secondSeats]) await room.leave();

  // A space: room messages (MOVE) stay inside the process that holds the room.
  const owner = await register();
  const space = await rest<{ id: string }>("POST", "/api/spaces", owner.token, {
    name: "capacity space",
    capacity: 50,
    width: 1000,
    height: 1000,
  });
  const spaceRoom = await client(owner, 0).joinOrCreate("space", { spaceId: space.id });
  const moves = 200;
  results.push(
    await measure("space MOVE (room message)", moves, async () => {
      for (let m = 0; m < moves; m++) {
        spaceRoom.send("MOVE", { x: m % 1000, y: 1, direction: "right" });
        await sleep(25);
      }
    }),
  );
  await spaceRoom.leave();

  monitor.kill();
  await stats.end();
  stopProcesses();
  write(results, backgroundPerSecond, backgroundXactPerSecond);
}

function write(results: Measured[], background: Record<string, number>, backgroundXact: number): void {
  const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..+$/, "");
  const lines = [
    `# rally capacity coefficients (${stamp})`,
    "",
    `\`npm run capacity\`: ${processes} rally processes (ports ${ports[0]}–${ports.at(-1)}), one Redis (db ${redisDb}), one PostgreSQL; counts per operation.`,
    "",
    "| action | reps | Redis commands | by command | SQL statements | transactions | rows written |",
    "|---|---|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.action} | ${r.reps} | ${r.redisPerOp} | ${
          Object.entries(r.redisByCommand)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ") || "–"
        } | ${r.statementsPerOp} | ${r.transactionsPerOp} | ${r.rowsWrittenPerOp} |`,
    ),
    "",
    `Background Redis commands per process per second (subtracted above): ${
      Object.entries(background)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    }; PostgreSQL transactions ${backgroundXact}.`,
    "",
    "SQL statements are the processes' own counter (a transaction's BEGIN and COMMIT are not counted); transactions and rows written are PostgreSQL's statistics for the database.",
  ];
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const json =
    JSON.stringify(
      {
        startedAt: stamp,
        processes,
        redisDb,
        results,
        backgroundPerProcessPerSecond: { redis: background, postgresTransactions: backgroundXact },
      },
      null,
      2,
    ) + "\n";
  for (const name of [`capacity-${stamp}`, "capacity-latest"]) {
    fs.writeFileSync(path.join(dir, `${name}.md`), lines.join("\n") + "\n");
    fs.writeFileSync(path.join(dir, `${name}.json`), json);
  }
  console.log("\n" + lines.join("\n"));
}

process.on("exit", stopProcesses);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
