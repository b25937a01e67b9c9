import assert from "node:assert/strict";
import { api, matchmake, register, registerOrg, useTwoProcesses, type User } from "./harness";

/**
 * One live room per key across processes (issue 14): two real rally processes sharing Redis
 * and PostgreSQL; 20 `create`s for one key, alternating between the processes, leave exactly
 * one room in the shared listing, and the losers are refused with 409 ROOM_EXISTS.
 * Matchmaking goes to each process's own port (no nginx needed: the claim lives in Redis).
 */

const RACERS = 20;

describe("one live room per key across two processes", function () {
  this.timeout(60_000);
  const cluster = useTwoProcesses({
    basePort: 2821,
    env: { REGISTRATIONS_PER_IP_PER_HOUR: "0", REST_WRITES_PER_MINUTE: "0" },
    logName: "roomKeys-launcher.log",
  });
  const VIA = cluster.via;

  /** 20 creates of `target` with `options`, alternating processes, by `users` in turn. */
  async function raceCreates(users: User[], target: string, options: Record<string, unknown>) {
    const settled = await Promise.allSettled(
      Array.from({ length: RACERS }, (_, i) =>
        matchmake(VIA[((i % 2) + 1) as 1 | 2], users[i % users.length]!.token, "create", target, options),
      ),
    );
    const won = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    for (const w of won) cluster.track(w.room);
    const refused = settled.flatMap((s) =>
      s.status === "rejected" ? [s.reason as { code: unknown; message: string }] : [],
    );
    assert.equal(
      won.length,
      1,
      `one create won; refusals: ${JSON.stringify(refused.slice(0, 3).map((r) => [r.code, r.message]))}`,
    );
    for (const r of refused) {
      assert.equal(r.code, 409, r.message);
      assert.match(r.message, /ROOM_EXISTS/);
    }
    return won[0]!;
  }

  /** `user` joinOrCreates through the process that did not create `winner`'s room, and lands in it. */
  async function joinsTheSameRoom(
    user: User,
    winner: Awaited<ReturnType<typeof raceCreates>>,
    target: string,
    options: Record<string, unknown>,
  ) {
    const otherVia = winner.seat.processId === (await processIdOf(VIA[1], user)) ? VIA[2] : VIA[1];
    const joined = await matchmake(otherVia, user.token, "joinOrCreate", target, options);
    cluster.track(joined.room);
    assert.equal(joined.seat.roomId, winner.seat.roomId, "the one room, found from the other process");
  }

  /** The process id behind `via`, read from a throwaway lobby seat. */
  async function processIdOf(via: string, user: User): Promise<string> {
    const probe = await matchmake(via, user.token, "joinOrCreate", "user_lobby");
    const id = probe.seat.processId;
    await probe.room.leave(true);
    return id;
  }

  it("space: the creates race across processes into one room", async () => {
    const admin = await register(VIA[1], "k");
    const space = await api(VIA[1], "POST", "/api/spaces", {
      token: admin.token,
      body: { name: "Cluster plaza", capacity: 2 },
    });
    assert.equal(space.status, 201, JSON.stringify(space.body));
    await raceCreates([admin], "space", { spaceId: space.body.id });
  });

  it("user_lobby: the owner's creates race across processes into one lobby; joinOrCreate on either process joins it", async () => {
    const bob = await register(VIA[1], "k");
    const winner = await raceCreates([bob], "user_lobby", {});
    for (const via of [VIA[1], VIA[2]]) {
      const device = await matchmake(via, bob.token, "joinOrCreate", "user_lobby");
      cluster.track(device.room);
      assert.equal(device.seat.roomId, winner.seat.roomId);
    }
  });

  it("trivia: one room per session across processes", async () => {
    const {
      host,
      members: [player],
    } = await registerOrg(VIA[1], [VIA[2]]);
    const session = await api(VIA[1], "POST", "/api/trivia/sessions", {
      token: host.token,
      body: {
        title: "Cluster quiz",
        questions: [{ text: "1+1?", choices: ["1", "2"], answerIndex: 1, timeLimitSec: 30 }],
      },
    });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const winner = await raceCreates([player], "trivia", { sessionId: session.body.id });
    await joinsTheSameRoom(host, winner, "trivia", { sessionId: session.body.id });
  });

  it("bigger_dice: one open room per name across processes, listed once", async () => {
    const users = await Promise.all(Array.from({ length: 4 }, (_, i) => register(VIA[((i % 2) + 1) as 1 | 2], "k")));
    const winner = await raceCreates(users, "bigger_dice", { roomName: "cluster-table" });
    const res = await api(VIA[2], "GET", "/api/rooms/bigger_dice", { token: users[0]!.token });
    assert.equal(res.status, 200);
    const named = (res.body.items as any[]).filter((r) => r.metadata?.roomName === "cluster-table");
    assert.deepEqual(
      named.map((r) => r.roomId),
      [winner.seat.roomId],
    );
  });
});
