import assert from "node:assert/strict";
import crypto from "node:crypto";
import { matchMaker, type Room as ServerRoom } from "@colyseus/core";
import type { Config } from "../../../src/config";
import { ctx, sdk, BASE_URL, type Room } from "../../helpers/server";
import { joinOrg, type TestUser } from "../../helpers/users";
import { hashPassword } from "../../../src/auth/passwords";
import { inbox, until, type Inbox } from "../../helpers/room";

/**
 * Shared set-up for the reliability suites and `npm run fuzz` / `npm run faults`: quick ways
 * to put each room kind in a realistic state, and the probes the suites assert with (server
 * state, database fingerprint, health).
 */

export type RoomKind = "user_lobby" | "bigger_dice" | "space" | "trivia" | "conversation";
export const ROOM_KINDS: RoomKind[] = ["user_lobby", "bigger_dice", "space", "trivia", "conversation"];

export interface Seat {
  user: TestUser;
  room: Room;
  box: Inbox;
}

/** Override configuration values for a while (rooms read them when they are created). */
export function setConfig(overrides: Partial<Config>): () => void {
  const config = ctx().config as unknown as Record<string, unknown>;
  const saved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    saved[key] = config[key];
    config[key] = value;
  }
  return () => Object.assign(config, saved);
}

/** Rate limits high enough that fuzzing measures validation, not RATE_LIMITED. */
export const NO_RATE_LIMITS: Partial<Config> = {
  RATE_LIMIT_PER_SECOND: 1_000_000,
  RATE_LIMIT_BURST: 1_000_000,
  MOVE_RATE_LIMIT_PER_SECOND: 1_000_000,
  MOVE_RATE_LIMIT_BURST: 1_000_000,
};

/**
 * Many users at once, inserted directly (no password hashing: these never log in), each with
 * a token. For join races and large fault scenarios.
 */
export async function bulkUsers(n: number, opts: { orgId?: string } = {}): Promise<TestUser[]> {
  const prefix = `bulk_${crypto.randomBytes(4).toString("hex")}_`;
  const { rows } = await ctx().db.query<{ id: string; username: string; org_id: string | null }>(
    `INSERT INTO users (username, password_hash, org_id)
     SELECT $1 || g, 'not-a-password-hash', $3 FROM generate_series(1, $2::int) g
     RETURNING id, username, org_id`,
    [prefix, n, opts.orgId ?? null],
  );
  if (opts.orgId)
    await joinOrg(
      opts.orgId,
      rows.map((r) => r.id),
    );
  return rows.map((r) => {
    const auth = { id: r.id, username: r.username, orgId: r.org_id };
    return { ...auth, avatarUrl: null, token: ctx().tokens.sign(auth) };
  });
}

let passwordHash: Promise<string> | undefined;
let quickCount = 0;
/**
 * A user like `createUser` makes (password "rally-test-password-42"), without hashing a password each
 * time: the suites here create many users, and scrypt is deliberately slow.
 */
export async function quickUser(opts: { orgId?: string; avatarUrl?: string } = {}): Promise<TestUser> {
  passwordHash ??= hashPassword("rally-test-password-42");
  const username = `q${++quickCount}_${crypto.randomBytes(3).toString("hex")}`;
  const { rows } = await ctx().db.query<{
    id: string;
    username: string;
    org_id: string | null;
    avatar_url: string | null;
  }>(
    "INSERT INTO users (username, password_hash, org_id, avatar_url) VALUES ($1, $2, $3, $4) RETURNING id, username, org_id, avatar_url",
    [username, await passwordHash, opts.orgId ?? null, opts.avatarUrl ?? null],
  );
  const r = rows[0]!;
  if (opts.orgId) await joinOrg(opts.orgId, [r.id]);
  const auth = { id: r.id, username: r.username, orgId: r.org_id };
  return { ...auth, avatarUrl: r.avatar_url, token: ctx().tokens.sign(auth) };
}

/** The live server-side room (the server is in this process in tests and `npm run fuzz`). */
export function serverRoom<T extends ServerRoom = ServerRoom>(roomId: string): T {
  const room = matchMaker.getLocalRoomById(roomId) as T | undefined;
  if (!room) throw new Error(`no local room ${roomId}`);
  return room;
}

/** The server room's whole state as a string, for before/after comparisons. */
export function stateOf(roomId: string): string {
  const room: ServerRoom & { state: { toJSON(): unknown } } = serverRoom(roomId);
  return JSON.stringify(room.state.toJSON());
}

let tableList: string[] | undefined;
/**
 * A digest of every application table's content: equal before and after means nothing was
 * written. Cheap on the small tables of a test.
 */
export async function dbFingerprint(): Promise<string> {
  if (!tableList) {
    const { rows } = await ctx().db.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename",
    );
    tableList = rows.map((r) => r.tablename);
  }
  const sql = tableList
    .map(
      (t) =>
        `SELECT '${t}' AS t, count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM "${t}" x`,
    )
    .join(" UNION ALL ");
  const { rows } = await ctx().db.query<{ t: string; n: number; h: string }>(sql);
  return rows.map((r) => `${r.t}:${r.n}:${r.h}`).join(",");
}

export async function healthy(): Promise<boolean> {
  try {
    const res = await fetch(`${BASE_URL}/healthz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function join(user: TestUser, roomName: string, options: Record<string, unknown> = {}): Promise<Seat> {
  const room = await sdk(user.token).joinOrCreate(roomName, options);
  return { user, room, box: inbox(room) };
}

// ---- one realistic room of each kind --------------------------------------------------

/** A room of one kind in a realistic state, and the seat that sends from it. */
export interface Fixture {
  kind: RoomKind;
  /** The client whose messages are under test. */
  seat: Seat;
  /** Everyone else present. */
  others: Seat[];
  /** Space bounds (for MOVE). */
  bounds?: { width: number; height: number };
  close(): Promise<void>;
}

async function closeAll(seats: Seat[]): Promise<void> {
  await Promise.all(
    seats.map(async ({ room }) => {
      room.reconnection.enabled = false;
      if (room.connection?.isOpen) await room.leave().catch(() => undefined);
    }),
  );
}

/** The owner in their lobby, with a friend and an unread notification. */
export async function lobbyFixture(): Promise<Fixture> {
  const owner = await quickUser();
  const friend = await quickUser();
  const req = await ctx().services.friends.request(owner.id, friend.username);
  await ctx().services.friends.accept(friend.id, req.id);
  const seat = await join(owner, "user_lobby");
  await until(() => seat.room.state?.friends?.size === 1, 4000, "the lobby state");
  return { kind: "user_lobby", seat, others: [], close: () => closeAll([seat]) };
}

/** A dice game in progress; the seat is the player whose turn it is (a valid roll would change state). */
export async function diceFixture(roomName = `table-${crypto.randomBytes(3).toString("hex")}`): Promise<Fixture> {
  const [a, b] = [await quickUser(), await quickUser()];
  const roomA = await sdk(a.token).create("bigger_dice", { roomName });
  const seatA = { user: a, room: roomA, box: inbox(roomA) };
  const seatB = await join(b, "bigger_dice", { roomName });
  await seatA.room.request("ready");
  await seatB.room.request("ready");
  await until(() => seatA.room.state.status === "in_progress", 4000, "the game to start");
  const turn = serverRoom(seatA.room.roomId).state as unknown as { currentTurn: string };
  const [seat, other] = turn.currentTurn === a.id ? [seatA, seatB] : [seatB, seatA];
  return { kind: "bigger_dice", seat, others: [other], close: () => closeAll([seatA, seatB]) };
}

/** A space with its admin (the seat) and a member present. */
export async function spaceFixture(): Promise<Fixture> {
  const [admin, member] = [await quickUser(), await quickUser()];
  const space = await ctx().services.spaces.create(admin.id, {
    name: "Fuzz plaza",
    capacity: 10,
    width: 800,
    height: 600,
  });
  await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
    space.id,
    member.id,
  ]);
  const seat = await join(admin, "space", { spaceId: space.id, initialPosition: { x: 10, y: 10, direction: "up" } });
  const other = await join(member, "space", { spaceId: space.id });
  await until(() => seat.room.state?.users?.size === 2, 4000, "both avatars");
  return {
    kind: "space",
    seat,
    others: [other],
    bounds: { width: 800, height: 600 },
    close: () => closeAll([seat, other]),
  };
}

export const TRIVIA_QUESTIONS = [
  { text: "2 + 2?", choices: ["3", "4", "5"], answerIndex: 1, timeLimitSec: 60 },
  { text: "Capital of France?", choices: ["Paris", "Rome"], answerIndex: 0, timeLimitSec: 60 },
  { text: "Blue + yellow?", choices: ["green", "red", "purple", "black"], answerIndex: 0, timeLimitSec: 60 },
];

/** A trivia session in its lobby: the host, and a participant (the seat) who is not the host. */
export async function triviaFixture(orgId = "acme"): Promise<Fixture> {
  const [host, player] = [await quickUser({ orgId }), await quickUser({ orgId })];
  const session = await ctx().services.trivia.create(host, { title: "Fuzz quiz", questions: TRIVIA_QUESTIONS });
  const hostSeat = await join(host, "trivia", { sessionId: session.id });
  const seat = await join(player, "trivia", { sessionId: session.id, team: "red" });
  await seat.box.next("connection");
  await until(() => serverRoom(seat.room.roomId).clients.length === 2, 4000, "both seated");
  return { kind: "trivia", seat, others: [hostSeat], close: () => closeAll([seat, hostSeat]) };
}

/** A conversation with a few stored messages, both participants present. */
export async function conversationFixture(): Promise<Fixture> {
  const [alice, bob] = [await quickUser(), await quickUser()];
  const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
  for (const content of ["hi", "hello", "how are you?"]) {
    await ctx().services.conversations.send(conversation.id, alice.id, content);
  }
  const seat = await join(alice, "conversation", { conversationId: conversation.id });
  const other = await join(bob, "conversation", { conversationId: conversation.id });
  await seat.box.next("user_status", 4000, (e) => e.user_id === bob.id);
  return { kind: "conversation", seat, others: [other], close: () => closeAll([seat, other]) };
}

export const FIXTURES: Record<RoomKind, () => Promise<Fixture>> = {
  user_lobby: lobbyFixture,
  bigger_dice: () => diceFixture(),
  space: spaceFixture,
  trivia: () => triviaFixture(),
  conversation: conversationFixture,
};

// ---- drops -----------------------------------------------------------------------------

/**
 * Drop a client without consent and hold the SDK's own automatic reconnection until
 * `release()` is called: the socket closes as on a network failure (the server runs onDrop
 * and keeps the seat), the same SDK Room object reconnects by itself afterwards, and its
 * message handlers (the inbox) stay attached, exactly as in an app.
 */
export async function dropHeld(seat: Seat): Promise<{ release(): Promise<void> }> {
  const { room } = seat;
  const reconnection = room.reconnection;
  reconnection.enabled = true;
  reconnection.minUptime = 0;
  reconnection.minDelay = 10;
  reconnection.maxDelay = 50;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const connection = room.connection as unknown as { reconnect: (...args: unknown[]) => void };
  const original = connection.reconnect.bind(connection);
  connection.reconnect = (...args: unknown[]) => void gate.then(() => original(...args));
  const reconnected = new Promise<void>((resolve) => room.onReconnect.once(() => resolve()));
  const server = serverRoom(room.roomId);
  const sessionId = room.sessionId;
  room.connection.close(); // no close code: the SDK treats it as a drop (1005) and will reconnect
  await until(() => !server.clients.some((c) => c.sessionId === sessionId), 4000, "the server to see the drop");
  return {
    async release() {
      release();
      await Promise.race([
        reconnected,
        new Promise((_, reject) => setTimeout(() => reject(new Error("the SDK did not reconnect")), 5000)),
      ]);
    },
  };
}

/** The `seq` of every event the inbox holds, checked to count up by one from the first. */
export function assertSeqContinuous(box: Inbox, label: string): number[] {
  const seqs = box.all.map((m) => m.payload?.seq as number);
  assert.ok(seqs.length > 0, `${label}: received events`);
  seqs.forEach((s, i) =>
    assert.equal(s, seqs[0]! + i, `${label}: seq continuous at #${i} (${box.all[i]!.type}); seqs ${seqs.join(",")}`),
  );
  return seqs;
}
