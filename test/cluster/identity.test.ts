import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Room } from "@colyseus/sdk";
import { api, matchmake, register, registerOrg, useTwoProcesses, type User } from "./harness";

/**
 * Issue 16 across processes: revocations reach a user's seats wherever their rooms live.
 * Two rally processes (scripts/cluster.ts) share PostgreSQL and Redis; each is reached on
 * its own port, and a room is created on the process that served its matchmaking, so the
 * tests place one seat on each. Ports: CLUSTER_IDENTITY_PORT (2841) and the next one.
 */
const BASE_PORT = Number(process.env.CLUSTER_IDENTITY_PORT ?? 2841);
const P1 = `http://127.0.0.1:${BASE_PORT}`;
const P2 = `http://127.0.0.1:${BASE_PORT + 1}`;

const closeCode = (room: Room) => new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));

describe("identity across two processes", function () {
  this.timeout(60_000);
  useTwoProcesses({ basePort: BASE_PORT, logName: "identity-launcher.log" });

  async function seat(base: string, user: User, method: string, target: string, options: Record<string, unknown> = {}) {
    const { room, seat } = await matchmake(base, user.token, method, target, options);
    room.reconnection.enabled = false;
    return { room, processId: seat.processId };
  }

  it("logout-all through one process closes the user's seats on both processes with 4403 within seconds", async () => {
    const [alice, bob] = [await register(P1, "id"), await register(P2, "id")];
    const lobby = await seat(P1, alice, "joinOrCreate", "user_lobby");
    const dice = await seat(P2, alice, "create", "bigger_dice", {
      roomName: `x-${crypto.randomBytes(3).toString("hex")}`,
    });
    const bystander = await seat(P2, bob, "joinOrCreate", "user_lobby");
    assert.notEqual(lobby.processId, dice.processId, "one seat on each process");
    await new Promise((r) => setTimeout(r, 300));
    const codes = Promise.all([closeCode(lobby.room), closeCode(dice.room)]);
    const started = Date.now();
    assert.equal((await api(P2, "POST", "/api/auth/logout-all", { token: alice.token })).status, 204);
    assert.deepEqual(await codes, [4403, 4403]);
    assert.ok(Date.now() - started < 3000, `closed after ${Date.now() - started} ms`);
    assert.ok((await bystander.room.request("ping")).t > 0, "other users keep their seats");
  });

  it("removing a member through one process closes their trivia seat in that org on the other with 4403", async () => {
    const {
      orgId,
      host,
      members: [player],
    } = await registerOrg(P1, [P2]);
    const session = await api(P1, "POST", "/api/trivia/sessions", {
      token: host.token,
      body: {
        title: "Cluster quiz",
        questions: [{ text: "1+1?", choices: ["2", "3"], answerIndex: 0, timeLimitSec: 30 }],
      },
    });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const hostSeat = await seat(P2, host, "joinOrCreate", "trivia", { sessionId: session.body.sessionId });
    const playerSeat = await seat(P2, player, "joinOrCreate", "trivia", { sessionId: session.body.sessionId });
    await new Promise((r) => setTimeout(r, 300));
    const code = closeCode(playerSeat.room);
    const started = Date.now();
    assert.equal(
      (await api(P1, "DELETE", `/api/orgs/${orgId}/members/${player.id}`, { token: host.token })).status,
      204,
    );
    assert.equal(await code, 4403);
    assert.ok(Date.now() - started < 3000);
    assert.ok((await hostSeat.room.request("ping")).t > 0);
  });
});
