import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import { TEST_PORT } from "../helpers/server";
import { sleep, until } from "../helpers/room";
import { spawnServer, type ServerProcess } from "./support/faults";

/**
 * Graceful shutdown (issue 14), on a real server process stopped with SIGTERM:
 * - every room kind closes its clients with the same code, CLOSE_SERVER_SHUTDOWN (4001);
 * - a graceful restart does not expire pending game invitations of a user who reconnects;
 *   they expire only when the user is really gone (not back within RECONNECT_SECONDS).
 */

const PORT = Number(process.env.SHUTDOWN_TEST_PORT ?? TEST_PORT + 235);
const RECONNECT_SECONDS = 10; // long enough for a loaded machine to restart and rejoin within it

async function http(url: string, method: string, route: string, token?: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface User {
  id: string;
  token: string;
  username: string;
}

/** A user over HTTP; `org` creates a new organization (`orgId`) or joins one (`inviteCode`). */
async function register(url: string, name: string, org: { orgId?: string; inviteCode?: string } = {}): Promise<User> {
  const username = `${name}_${crypto.randomBytes(3).toString("hex")}`;
  const { token, user } = await http(url, "POST", "/api/auth/register", undefined, {
    username,
    password: "rally-test-password-42",
    ...org,
  });
  return { id: user.id, token, username };
}

/** Organizations are joined by invite code (issue 16): one code from the org's owner. */
async function inviteCode(url: string, owner: User, orgId: string): Promise<string> {
  return (await http(url, "POST", `/api/orgs/${orgId}/invite-codes`, owner.token, {})).code;
}

async function befriend(url: string, a: User, b: User): Promise<void> {
  const req = await http(url, "POST", "/api/friends/requests", a.token, { username: b.username });
  await http(url, "POST", `/api/friends/requests/${req.id}/accept`, b.token);
}

function client(url: string, token: string): Client {
  const c = new Client(url);
  c.auth.token = token;
  return c;
}

/** A joined room whose close code is recorded (the SDK does not try to reconnect). */
function watch(room: Room, codes: Map<string, number>, label: string): Room {
  room.reconnection.enabled = false;
  room.onMessage("*", () => undefined);
  room.onLeave((code) => codes.set(label, code));
  return room;
}

const statusOf = async (url: string, user: User, invitationId: string): Promise<string> => {
  const { items } = await http(url, "GET", "/api/game-invitations", user.token);
  return items.find((i: any) => i.id === invitationId)?.status;
};

describe("graceful shutdown", () => {
  let server: ServerProcess | undefined;
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-shutdown-"));
  });
  afterEach(async () => {
    await server?.stop("SIGTERM").catch(() => undefined);
    server = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () =>
    (server = await spawnServer({
      port: PORT,
      dataDir,
      databaseUrl: process.env.DATABASE_URL,
      startTimeoutMs: 120_000, // a loaded machine may take a while to boot PGlite
      env: { RECONNECT_SECONDS: String(RECONNECT_SECONDS), REGISTRATIONS_PER_IP_PER_HOUR: "0" },
    }));

  it("closes every room kind with 4001 on SIGTERM, and a restart keeps the invitations of users who come back", async function () {
    this.timeout(360_000);
    let { url } = await start();
    const orgId = `acme_${crypto.randomBytes(3).toString("hex")}`;
    const alice = await register(url, "alice", { orgId });
    const code = await inviteCode(url, alice, orgId);
    const [bob, carol] = [
      await register(url, "bob", { inviteCode: code }),
      await register(url, "carol", { inviteCode: code }),
    ];
    await befriend(url, alice, bob);
    await befriend(url, alice, carol);
    const codes = new Map<string, number>();

    // One room of every kind, with alice (and friends) in them.
    const lobby = watch(await client(url, alice.token).joinOrCreate("user_lobby"), codes, "user_lobby");
    watch(await client(url, bob.token).joinOrCreate("user_lobby"), codes, "bob's user_lobby");
    watch(await client(url, carol.token).joinOrCreate("user_lobby"), codes, "carol's user_lobby");
    watch(await client(url, alice.token).create("bigger_dice", { roomName: "shutdown table" }), codes, "bigger_dice");
    const space = await http(url, "POST", "/api/spaces", alice.token, { name: "Shutdown plaza", capacity: 5 });
    watch(await client(url, alice.token).joinOrCreate("space", { spaceId: space.id }), codes, "space");
    const session = await http(url, "POST", "/api/trivia/sessions", alice.token, {
      title: "Shutdown quiz",
      questions: [{ text: "1 + 1?", choices: ["1", "2"], answerIndex: 1, timeLimitSec: 30 }],
    });
    watch(await client(url, bob.token).joinOrCreate("trivia", { sessionId: session.id }), codes, "trivia");
    await http(url, "POST", "/api/v1/matching/likes", alice.token, { userId: bob.id });
    const { conversationId } = await http(url, "POST", "/api/v1/matching/likes", bob.token, { userId: alice.id });
    watch(await client(url, alice.token).joinOrCreate("conversation", { conversationId }), codes, "conversation");

    // Pending invitations to bob (who will come back) and carol (who will not).
    const toBob = (await lobby.request("game_invitation:send", { toUserId: bob.id, map: "classic" })).invitationId;
    await sleep(2100); // the invitation policy spaces a sender's sends
    const toCarol = (await lobby.request("game_invitation:send", { toUserId: carol.id, map: "classic" })).invitationId;

    const stopped = await server!.stop("SIGTERM");
    assert.equal(stopped.code, 0, server!.output());
    await until(() => codes.size === 7, 4000, "every client closed").catch(() => {
      throw new Error(`closed: ${JSON.stringify(Object.fromEntries(codes))}\n${server!.output().slice(-3000)}`);
    });
    assert.deepEqual(
      Object.fromEntries(codes),
      Object.fromEntries([...codes.keys()].map((k) => [k, 4001])),
      "every room closes with CLOSE_SERVER_SHUTDOWN",
    );

    // The restart: bob's device comes back within the window; his invitation is still pending.
    ({ url } = await start());
    assert.equal(await statusOf(url, alice, toBob), "pending", "the shutdown itself expired nothing");
    const bobsLobby = watch(await client(url, bob.token).joinOrCreate("user_lobby"), codes, "bob again");
    // The sender comes back too (an invitation whose sender is gone expires as well).
    watch(await client(url, alice.token).joinOrCreate("user_lobby"), codes, "alice again");
    await until(
      () => bobsLobby.state?.invitations?.get?.(toBob)?.status === "pending",
      8000,
      "bob's pending invitation",
    );

    // Carol never comes back: hers expires once the window is over; bob's stays.
    await until(
      async () => (await statusOf(url, alice, toCarol)) === "expired",
      (RECONNECT_SECONDS + 4) * 1000,
      "carol's invitation to expire",
    );
    assert.equal(await statusOf(url, alice, toBob), "pending");
  });
});
