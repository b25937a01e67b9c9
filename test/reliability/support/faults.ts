import { spawn, execFile, execFileSync, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import { ctx } from "../../helpers/server";
import { openDb } from "../../../src/db";
import { until } from "../../helpers/room";
import { dropHeld, join, NO_RATE_LIMITS, quickUser, serverRoom, setConfig, type Seat } from "./world";

/**
 * Fault scenarios shared by test/reliability/faults.test.ts (small) and `npm run faults`
 * (larger): SIGTERM to a real server process in the middle of dice games and a trivia
 * session, a PostgreSQL restart while clients chat, and clients dropped mid-chat,
 * mid-trivia and mid-game. Each returns its figures (sent, acknowledged, stored, lost).
 */

const ROOT = path.resolve(__dirname, "../../..");
const JWT_SECRET = "faults-secret-that-is-long-enough-0123456789";

// ---- a real server process --------------------------------------------------------------

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Send a signal and wait for the exit: its code and how long it took. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export async function spawnServer(opts: {
  port: number;
  dataDir: string;
  databaseUrl?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    PORT: String(opts.port),
    HOST: "127.0.0.1",
    DATA_DIR: opts.dataDir,
    JWT_SECRET,
    LOG_LEVEL: "warn",
    // Setup registers a score of users from one address; the limits are not under test here.
    REGISTRATIONS_PER_IP_PER_HOUR: "0",
    PASSWORD_HASH_COST: "12",
    ...opts.env,
  };
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["src/index.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 120_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start within ${startTimeoutMs / 1000} s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      const started = Date.now();
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: Date.now() - started };
    },
  };
}

async function http(url: string, method: string, pathname: string, token?: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A user over HTTP; `org` creates a new organization (`orgId`) or joins one (`inviteCode`). */
async function register(
  url: string,
  name: string,
  org: { orgId?: string; inviteCode?: string } = {},
): Promise<{ id: string; token: string }> {
  const username = `${name}_${crypto.randomBytes(3).toString("hex")}`;
  const { token, user } = await http(url, "POST", "/api/auth/register", undefined, {
    username,
    password: "rally-test-password-42",
    ...org,
  });
  return { id: user.id, token };
}

const clientFor = (url: string, token: string) => {
  const c = new Client(url);
  c.auth.token = token;
  return c;
};

/** Register a catch-all so the SDK does not warn for every event nobody listens to. */
function quiet<R extends Room>(room: R): R {
  room.onMessage("*", () => undefined);
  return room;
}

/** Events of one kind a room received. */
function collect(room: Room, type: string): any[] {
  const got: any[] = [];
  room.onMessage("*", (t: string | number, payload: any) => {
    if (t === type) got.push(payload);
  });
  return got;
}

// ---- SIGTERM during dice games and a trivia session -------------------------------------

export interface SigtermFigures {
  diceGames: number;
  rollsAcknowledged: number;
  rollsStored: number;
  gamesStoredAsShutdown: number;
  gameEndedEventsReceived: number;
  triviaParticipants: number;
  triviaAnswersAcknowledged: number;
  triviaAnswersInClosedQuestions: number;
  triviaAnswersStored: number;
  triviaStatusAfterRestart: string;
  /** Scores announced for the question that was open at shutdown (never stored: should be 0). */
  unsavedScoresAnnounced: number;
  scoresMatch: boolean;
  exitCode: number | null;
  shutdownMs: number;
  restartedMs: number;
  lost: number;
  /** The stopped server's output, for failure messages. */
  log: string;
}

export async function sigtermScenario(opts: {
  port: number;
  games: number;
  rollsPerGame: number;
  triviaPlayers: number;
  databaseUrl?: string;
}): Promise<SigtermFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-sigterm-"));
  let server = await spawnServer({ port: opts.port, dataDir, databaseUrl: opts.databaseUrl });
  const rooms: Room[] = [];
  try {
    const { url } = server;
    // Dice: each game in progress with some rolls made.
    const players: Array<{ id: string; token: string }> = [];
    const gameEnded: any[][] = [];
    let rollsAcknowledged = 0;
    await Promise.all(
      Array.from({ length: opts.games }, async (_, g) => {
        const [a, b] = [await register(url, `p${g}a`), await register(url, `p${g}b`)];
        players.push(a, b);
        const roomName = `sigterm-${g}-${crypto.randomBytes(2).toString("hex")}`;
        const ra = quiet(await clientFor(url, a.token).create("bigger_dice", { roomName, targetScore: 100 }));
        const rb = quiet(await clientFor(url, b.token).join("bigger_dice", { roomName }));
        rooms.push(ra, rb);
        gameEnded.push(collect(ra, "game_ended"), collect(rb, "game_ended"));
        await ra.request("ready");
        await rb.request("ready");
        await until(() => ra.state.status === "in_progress", 5000, "game started");
        const byId = new Map([
          [a.id, ra],
          [b.id, rb],
        ]);
        for (let i = 0; i < opts.rollsPerGame; i++) {
          await until(() => ra.state.currentTurn && ra.state.turnNumber === i + 1, 5000, "turn synced");
          await byId.get(ra.state.currentTurn)!.request("roll");
          rollsAcknowledged++;
        }
      }),
    );

    // Trivia: the first question closed (scored), the second one open.
    const orgId = `acme_${crypto.randomBytes(3).toString("hex")}`;
    const host = await register(url, "host", { orgId });
    const { code: inviteCode } = await http(url, "POST", `/api/orgs/${orgId}/invite-codes`, host.token, {});
    const questions = [0, 1, 2].map((i) => ({
      text: `Q${i}`,
      choices: ["right", "wrong"],
      answerIndex: 0,
      timeLimitSec: 120,
    }));
    const session = await http(url, "POST", "/api/trivia/sessions", host.token, { title: "Shutdown quiz", questions });
    const hostRoom = quiet(await clientFor(url, host.token).joinOrCreate("trivia", { sessionId: session.sessionId }));
    rooms.push(hostRoom);
    const scoreUpdates = collect(hostRoom, "score_update");
    const triviaPlayers = await Promise.all(
      Array.from({ length: opts.triviaPlayers }, (_, i) => register(url, `t${i}`, { inviteCode })),
    );
    const seats = await Promise.all(
      triviaPlayers.map(async (p) => {
        const room = quiet(await clientFor(url, p.token).joinOrCreate("trivia", { sessionId: session.sessionId }));
        rooms.push(room);
        return { ...p, room, started: collect(room, "question_started") };
      }),
    );
    await until(() => hostRoom.state.participants?.size === seats.length, 5000, "participants seated");
    await hostRoom.request("start");
    await until(() => seats.every((s) => s.started.length === 1), 5000, "question 1 seen");
    let triviaAnswersAcknowledged = 0;
    const expected = new Map<string, number>();
    // Even-numbered players answer right, odd wrong: scores differ.
    await Promise.all(
      seats.map(async (s, i) => {
        await s.room.request("answer", { questionId: s.started[0].data.question_id, choiceIndex: i % 2 });
        triviaAnswersAcknowledged++;
        expected.set(s.id, i % 2 === 0 ? 1 : 0);
      }),
    );
    await until(() => hostRoom.state.status === "question_closed", 5000, "question 1 closed");
    const scores = new Map<string, number>();
    hostRoom.state.participants.forEach((p: any) => scores.set(p.userId, p.score));
    await hostRoom.request("next_question");
    await until(() => seats.every((s) => s.started.length === 2), 5000, "question 2 seen");
    // Half answer question 2, which is still open at shutdown: those answers are not scored.
    for (const s of seats.slice(0, Math.ceil(seats.length / 2))) {
      await s.room.request("answer", { questionId: s.started[1].data.question_id, choiceIndex: 0 });
      triviaAnswersAcknowledged++;
    }

    const stopped = await server.stop("SIGTERM");
    const stoppedLog = server.output();
    const t0 = Date.now();
    server = await spawnServer({ port: opts.port, dataDir, databaseUrl: opts.databaseUrl });
    const restartedMs = Date.now() - t0;

    let rollsStored = 0;
    let gamesStoredAsShutdown = 0;
    const seen = new Set<string>();
    for (const p of players) {
      const { items } = await http(server.url, "GET", `/api/games/history?userId=${p.id}`, p.token);
      for (const item of items) {
        if (seen.has(item.id)) continue;
        seen.add(item.id);
        rollsStored += item.rolls.length;
        if (item.reason === "server_shutdown") gamesStoredAsShutdown++;
      }
    }
    const results = await http(server.url, "GET", `/api/trivia/sessions/${session.sessionId}/results`, host.token);
    const items = results.items as Array<{ userId: string; score: number }>;
    const scoresMatch =
      items.length === seats.length &&
      items.every((r) => scores.get(r.userId) === r.score && r.score > 0 === (expected.get(r.userId) === 1));
    // Read the stored answers straight from the database the servers wrote (stopped first: PGlite is single-process).
    await server.stop("SIGTERM");
    const db = await openDb({ databaseUrl: opts.databaseUrl, pgliteDir: path.join(dataDir, "pglite") });
    const { rows } = await db
      .query<{ n: number }>("SELECT count(*)::int AS n FROM trivia_answers WHERE session_id = $1", [session.sessionId])
      .finally(() => db.close());
    const triviaAnswersStored = rows[0]!.n;
    const figures: SigtermFigures = {
      diceGames: opts.games,
      rollsAcknowledged,
      rollsStored,
      gamesStoredAsShutdown,
      gameEndedEventsReceived: gameEnded.flat().filter((e) => e.reason === "server_shutdown").length,
      triviaParticipants: seats.length,
      triviaAnswersAcknowledged,
      triviaAnswersInClosedQuestions: seats.length,
      triviaAnswersStored,
      triviaStatusAfterRestart: results.status,
      unsavedScoresAnnounced: scoreUpdates.filter((e) => e.data.question_id === seats[0]!.started[1].data.question_id)
        .length,
      scoresMatch,
      exitCode: stopped.code,
      shutdownMs: stopped.ms,
      restartedMs,
      lost: Math.max(0, rollsAcknowledged - rollsStored) + Math.max(0, seats.length - triviaAnswersStored),
      log: stoppedLog.slice(-2000),
    };
    return figures;
  } finally {
    for (const r of rooms) {
      r.reconnection.enabled = false;
      r.connection?.close();
    }
    if (server.child.exitCode === null) await server.stop("SIGTERM");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- PostgreSQL restarted while clients chat ---------------------------------------------

export interface PgRestartFigures {
  senders: number;
  sent: number;
  acknowledged: number;
  refused: number;
  refusedCodes: Record<string, number>;
  refusedButStored: number;
  acknowledgedStored: number;
  lost: number;
  succeededAfterRecovery: number;
  retriedAfterRecovery: number;
  storedExactlyOnce: boolean;
  notBroadcastLive: number;
  outageMs: number;
}

/** The cluster behind DATABASE_URL (by port), for `pg_ctlcluster`; null when there is none to restart. */
export function clusterOf(databaseUrl: string | undefined): { version: string; name: string } | null {
  if (!databaseUrl) return null;
  if (process.getuid?.() !== 0) return null; // pg_ctlcluster restarts a cluster as root
  const port = new URL(databaseUrl).port || "5432";
  try {
    const lines = execFileSync("pg_lsclusters", ["-h"], { encoding: "utf8" }).trim().split("\n");
    for (const line of lines) {
      const [version, name, clusterPort, status] = line.trim().split(/\s+/);
      if (clusterPort === port && status?.startsWith("online")) return { version: version!, name: name! };
    }
  } catch {
    /* no Debian cluster tools */
  }
  return null;
}

export async function postgresRestartScenario(opts: {
  senders: number;
  intervalMs: number;
  afterRecoveryMs: number;
}): Promise<PgRestartFigures> {
  const cluster = clusterOf(process.env.DATABASE_URL);
  if (!cluster) throw new Error("needs DATABASE_URL pointing at a local cluster managed by pg_ctlcluster");
  // Flush what the suites before this one dirtied (every per-test TRUNCATE leaves new relation
  // files): otherwise the restart's shutdown checkpoint fsyncs tens of thousands of them and
  // can outlast pg_ctl's 60 s wait, which is not the outage under test.
  await ctx().db.query("CHECKPOINT");
  // The clients send fast: RATE_LIMITED must not hide what the outage does.
  const restoreLimits = setConfig(NO_RATE_LIMITS);
  const [alice, bob] = [await quickUser(), await quickUser()];
  const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
  const options = { conversationId: conversation.id };
  const observer: Seat = await join(bob, "conversation", options);
  restoreLimits(); // the room has read them
  const liveIds = new Set<number>();
  observer.room.onMessage("*", (type: string | number, p: any) => {
    if (type === "message") liveIds.add(p.message.id);
  });
  const senders = await Promise.all(
    Array.from({ length: opts.senders }, (_, i) => join(i % 2 ? alice : bob, "conversation", options)),
  );

  interface Send {
    key: string;
    sender: Seat;
    outcome: "pending" | "acked" | "refused";
    id?: number;
    code?: string;
    at: number;
  }
  const sends: Send[] = [];
  let stop = false;
  let recoveredAt = 0;
  const loops = senders.map(async (sender, s) => {
    for (let i = 0; !stop; i++) {
      const send: Send = { key: `pg-${s}-${i}`, sender, outcome: "pending", at: Date.now() };
      sends.push(send);
      try {
        const reply = await sender.room.request(
          "message",
          { content: `message ${s}/${i}`, clientMessageId: send.key },
          { timeout: 15_000 },
        );
        send.outcome = "acked";
        send.id = reply.id;
      } catch (e: any) {
        send.outcome = "refused";
        send.code = e?.reason?.code ?? `fault:${e?.message}`;
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  });

  await new Promise((r) => setTimeout(r, 500));
  const outageStart = Date.now();
  // Asynchronously: the server and the clients live in this process and keep running meanwhile.
  await promisify(execFile)("pg_ctlcluster", [cluster.version, cluster.name, "restart", "-m", "fast"]);
  const restartedAt = Date.now();
  // Recovered once a send made after the restart succeeds.
  await until(
    () => sends.some((s) => s.at >= restartedAt && s.outcome === "acked"),
    30_000,
    "a send to succeed after the restart",
  );
  recoveredAt = Date.now();
  await new Promise((r) => setTimeout(r, opts.afterRecoveryMs));
  stop = true;
  await Promise.all(loops);

  const stored = async () => {
    const { rows } = await ctx().db.query<{ id: string; client_message_id: string }>(
      "SELECT id, client_message_id FROM messages WHERE conversation_id = $1",
      [conversation.id],
    );
    const byKey = new Map<string, number[]>();
    for (const r of rows) byKey.set(r.client_message_id, [...(byKey.get(r.client_message_id) ?? []), Number(r.id)]);
    return { rows, byKey };
  };
  const acked = sends.filter((s) => s.outcome === "acked");
  const refused = sends.filter((s) => s.outcome === "refused");
  const refusedCodes: Record<string, number> = {};
  for (const s of refused) refusedCodes[s.code!] = (refusedCodes[s.code!] ?? 0) + 1;
  const beforeRetry = await stored();
  // A refused send may still have been stored (the commit succeeded, the reply did not):
  // the client cannot know, so it retries with the same clientMessageId, which stores nothing twice.
  const refusedButStored = refused.filter((s) => beforeRetry.byKey.has(s.key)).length;
  let retriedOk = 0;
  for (const s of refused) {
    try {
      await s.sender.room.request("message", { content: `message (retried) ${s.key}`, clientMessageId: s.key });
      retriedOk++;
    } catch {
      /* shows in the figures */
    }
  }
  await new Promise((r) => setTimeout(r, 200)); // let the last broadcasts arrive
  const after = await stored();
  for (const seat of [observer, ...senders]) {
    seat.room.reconnection.enabled = false;
    await seat.room.leave().catch(() => undefined);
  }
  return {
    senders: opts.senders,
    sent: sends.length,
    acknowledged: acked.length,
    refused: refused.length,
    refusedCodes,
    refusedButStored,
    acknowledgedStored: acked.filter((s) => after.byKey.get(s.key)?.[0] === s.id).length,
    lost: acked.filter((s) => after.byKey.get(s.key)?.[0] !== s.id).length,
    succeededAfterRecovery: sends.filter((s) => s.at > recoveredAt && s.outcome === "acked").length,
    retriedAfterRecovery: retriedOk,
    storedExactlyOnce: sends.every((s) => after.byKey.get(s.key)?.length === 1),
    notBroadcastLive: after.rows.filter((r) => !liveIds.has(Number(r.id))).length,
    outageMs: recoveredAt - outageStart,
  };
}

// ---- clients dropped mid-chat, mid-trivia, mid-game (figures for npm run faults) ----------

export interface DropFigures {
  scenario: string;
  /** Actions sent while the client was away, and how many were acknowledged. */
  sent: number;
  acknowledged: number;
  /** Acknowledged actions found in the database afterwards. */
  stored: number;
  /** Events the dropped client got on its return, and `events_lost.count` if any. */
  replayed: number;
  eventsLost: number;
  /** Messages the client got back with `sync` (after an overflow). */
  recoveredBySync: number;
  seqContinuous: boolean;
  lost: number;
}

const seqOk = (box: Seat["box"]) =>
  box.all.every((m, i) => i === 0 || m.payload?.seq === box.all[i - 1]!.payload?.seq + 1);

/** A conversation participant drops; the other sends `whileAway` messages; the first comes back. */
export async function chatDropScenario(whileAway: number): Promise<DropFigures> {
  const [alice, bob] = [await quickUser(), await quickUser()];
  const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
  const options = { conversationId: conversation.id };
  const a = await join(alice, "conversation", options);
  const b = await join(bob, "conversation", options);
  await a.box.next("user_status", 4000, (e) => e.user_id === bob.id);
  const from = b.box.all.length;
  const drop = await dropHeld(b);
  const acked: number[] = [];
  for (let i = 0; i < whileAway; i++) {
    try {
      acked.push((await a.room.request("message", { content: `away ${i}` })).id);
    } catch {
      /* counted as not acknowledged */
    }
  }
  await drop.release();
  await b.box.next("message", 10_000, (e) => e.message.id === acked.at(-1));
  const got = b.box.all.slice(from);
  const lostEvent = got.find((m) => m.type === "events_lost");
  const live = new Set(got.filter((m) => m.type === "message").map((m) => m.payload.message.id as number));
  const seen = new Set(live);
  // After events_lost the client catches up with sync, page after page.
  let recoveredBySync = 0;
  for (let after = 0, more = Boolean(lostEvent); more;) {
    const page = await b.room.request("sync", { afterMessageId: after });
    for (const m of page.messages) {
      if (!seen.has(m.id)) recoveredBySync++;
      seen.add(m.id);
    }
    more = page.hasMore;
    after = page.messages.at(-1)?.id ?? after;
  }
  const { rows } = await ctx().db.query<{ id: string }>("SELECT id FROM messages WHERE conversation_id = $1", [
    conversation.id,
  ]);
  const stored = new Set(rows.map((r) => Number(r.id)));
  await Promise.all([a, b].map((s) => s.room.leave().catch(() => undefined)));
  return {
    scenario: `conversation: ${whileAway} messages while a participant is away`,
    sent: whileAway,
    acknowledged: acked.length,
    stored: acked.filter((id) => stored.has(id)).length,
    replayed: got.filter((m) => m.type === "message").length,
    eventsLost: lostEvent?.payload.count ?? 0,
    recoveredBySync,
    seqContinuous: seqOk(b.box),
    lost: acked.filter((id) => !stored.has(id) || !seen.has(id)).length,
  };
}

/** A trivia participant drops mid-question; others answer and chat; it comes back. */
export async function triviaDropScenario(players: number, chats: number): Promise<DropFigures> {
  const orgId = "acme";
  const host = await quickUser({ orgId });
  const questions = [0, 1].map((i) => ({
    text: `Q${i}`,
    choices: ["right", "wrong"],
    answerIndex: 0,
    timeLimitSec: 120,
  }));
  const session = await ctx().services.trivia.create(host, { title: "Drop quiz", questions });
  const h = await join(host, "trivia", { sessionId: session.id });
  const seats = await Promise.all(
    Array.from({ length: players }, async () => join(await quickUser({ orgId }), "trivia", { sessionId: session.id })),
  );
  await until(() => h.room.state.participants?.size === players, 5000, "seated");
  await h.room.request("start");
  const q = await seats[0]!.box.next("question_started");
  const [away, ...present] = seats;
  const from = away!.box.all.length;
  const drop = await dropHeld(away!);
  let sent = 0;
  let acknowledged = 0;
  for (const s of present) {
    sent++;
    await s.room.request("answer", { questionId: q.data.question_id, choiceIndex: 0 }).then(
      () => acknowledged++,
      () => undefined,
    );
  }
  for (let i = 0; i < chats; i++) {
    sent++;
    await present[i % present.length]!.room.request("chat", { text: `chat ${i}` }).then(
      () => acknowledged++,
      () => undefined,
    );
  }
  await drop.release();
  await away!.box.next("chat", 10_000, (p) => p.data.text === `chat ${chats - 1}`);
  const got = away!.box.all.slice(from);
  await h.room.request("next_question");
  await until(() => h.room.state.status === "question_active", 5000, "question 2");
  // The session is still running: its answers are written when it ends. End it to count them.
  for (const s of seats) await s.room.leave().catch(() => undefined);
  await h.room.leave().catch(() => undefined);
  let storedAnswers = 0;
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    const { rows } = await ctx().db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM trivia_answers WHERE session_id = $1",
      [session.id],
    );
    storedAnswers = rows[0]!.n;
    if (storedAnswers >= present.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const lostEvent = got.find((m) => m.type === "events_lost");
  return {
    scenario: `trivia: ${players - 1} answers and ${chats} chats while a participant is away`,
    sent,
    acknowledged,
    stored: storedAnswers + chats, // chats are not stored: delivered live (replayed) only
    replayed: got.length,
    eventsLost: lostEvent?.payload.count ?? 0,
    recoveredBySync: 0,
    seqContinuous: seqOk(away!.box),
    lost:
      Math.max(0, present.length - storedAnswers) +
      (lostEvent ? 0 : chats - got.filter((m) => m.type === "chat").length),
  };
}

/** A dice player drops mid-game; the game goes on around it; it comes back and the game ends. */
export async function diceDropScenario(rollsBefore: number, spectatorsWhileAway: number): Promise<DropFigures> {
  const [ua, ub] = [await quickUser(), await quickUser()];
  const roomName = `drop-${crypto.randomBytes(3).toString("hex")}`;
  const a = await join(ua, "bigger_dice", { roomName });
  const b = await join(ub, "bigger_dice", { roomName });
  await a.room.request("ready");
  await b.room.request("ready");
  await until(() => a.room.state.status === "in_progress", 5000, "started");
  const seatOf = (id: string) => (id === ua.id ? a : b);
  let acknowledged = 0;
  const roll = async () => {
    await until(() => a.room.state.currentTurn, 5000, "turn");
    const turn = serverRoom<any>(a.room.roomId).state.currentTurn as string;
    await seatOf(turn).room.request("roll");
    acknowledged++;
  };
  for (let i = 0; i < rollsBefore; i++) await roll();
  const turnNow = serverRoom<any>(a.room.roomId).state.currentTurn as string;
  const away = seatOf(turnNow) === a ? b : a; // the player who is waiting drops
  const from = away.box.all.length;
  const drop = await dropHeld(away);
  await roll(); // the other player's roll, acknowledged while away
  const watchers = await Promise.all(
    Array.from({ length: spectatorsWhileAway }, async () =>
      join(await quickUser(), "bigger_dice", { roomName, spectate: true }),
    ),
  );
  await drop.release();
  await away.box.next("player_rejoined", 5000);
  const got = away.box.all.slice(from);
  await Promise.all(watchers.map((w) => w.room.leave().catch(() => undefined)));
  await (away === a ? b : a).room.leave(); // the other forfeits: the game ends and is stored
  await away.box.next("game_ended", 5000);
  const [history] = (await ctx().services.games.history(ua.id, { limit: 50 })).items;
  const lostEvent = got.find((m) => m.type === "events_lost");
  await away.room.leave().catch(() => undefined);
  return {
    scenario: `bigger_dice: a roll and ${spectatorsWhileAway} spectators joining while a player is away`,
    sent: rollsBefore + 1,
    acknowledged,
    stored: history?.rolls.length ?? 0,
    replayed: got.length,
    eventsLost: lostEvent?.payload.count ?? 0,
    recoveredBySync: 0,
    seqContinuous: seqOk(away.box),
    lost: Math.max(0, acknowledged - (history?.rolls.length ?? 0)),
  };
}
