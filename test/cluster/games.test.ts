import assert from "node:assert/strict";
import { api, eventually, matchmake, register, registerOrg, useTwoProcesses, type User } from "./harness";

/**
 * Games across two real rally processes sharing Redis and PostgreSQL (issue 18):
 * - dice quick match pairs 50 players arriving at once through both processes into 25 games;
 * - a trivia session left in_progress by a process killed with -9 is marked interrupted by
 *   the surviving process's sweep.
 */

describe("games across two processes", function () {
  this.timeout(90_000);
  const cluster = useTwoProcesses({
    basePort: 2891,
    env: { REGISTRATIONS_PER_IP_PER_HOUR: "0", REST_WRITES_PER_MINUTE: "0", STALE_PROCESS_SWEEP_MS: "1000" },
    logName: "games-launcher.log",
  });
  const VIA = cluster.via;

  it("quick match: 50 players arriving at once through both processes make 25 games of two", async () => {
    const users: User[] = [];
    for (let i = 0; i < 50; i++) users.push(await register(VIA[((i % 2) + 1) as 1 | 2], "g"));
    const joined = await Promise.all(
      users.map((u, i) =>
        matchmake(VIA[((i % 2) + 1) as 1 | 2], u.token, "joinOrCreate", "bigger_dice", { quick: true }),
      ),
    );
    joined.forEach((j) => cluster.track(j.room));
    const rooms = new Map<string, Array<{ userId: string; processId: string }>>();
    joined.forEach((j, i) =>
      rooms.set(j.seat.roomId, [
        ...(rooms.get(j.seat.roomId) ?? []),
        { userId: users[i]!.id, processId: j.seat.processId },
      ]),
    );
    const sizes = [...rooms.values()].map((seats) => seats.length);
    assert.equal(rooms.size, 25, `room sizes: ${sizes.join(",")}`);
    assert.ok(
      sizes.every((n) => n === 2),
      `room sizes: ${sizes.join(",")}`,
    );
    const processes = new Set(joined.map((j) => j.seat.processId));
    assert.equal(processes.size, 2, "rooms were made on both processes");
    const listed = await api(VIA[1], "GET", "/api/rooms/bigger_dice?limit=100", { token: users[0]!.token });
    assert.equal(listed.body.items.length, 25);
  });

  it("kill -9 of the process running a trivia session: the survivor marks the session interrupted", async () => {
    const { host } = await registerOrg(VIA[2], []);
    const created = await api(VIA[2], "POST", "/api/trivia/sessions", {
      token: host.token,
      body: { title: "Doomed", questions: [{ text: "Q", choices: ["a", "b"], answerIndex: 0, timeLimitSec: 60 }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sessionId = created.body.id;
    const hostSeat = await matchmake(VIA[2], host.token, "joinOrCreate", "trivia", { sessionId });
    hostSeat.room.reconnection.enabled = false;
    const processTwo = hostSeat.seat.processId;
    hostSeat.room.send("start");
    const status = async () =>
      (await api(VIA[1], "GET", `/api/trivia/sessions/${sessionId}/results`, { token: host.token })).body.status;
    await eventually(async () => (await status()) === "in_progress", 10_000, "session started");

    const pid = await cluster.launcher().pidOf(2);
    process.kill(pid, "SIGKILL");
    await cluster.launcher().waitForLine(/^\[rally-2 :\d+\] exited \(SIGKILL\)$/, 5000);
    const killedAt = Date.now();
    await eventually(async () => (await status()) === "interrupted", 30_000, "session interrupted by the survivor");
    console.log(
      `      ↳ session of the killed process (${processTwo}) marked interrupted ${Date.now() - killedAt} ms after kill -9`,
    );
    const listed = await api(VIA[1], "GET", "/api/trivia/sessions?status=interrupted", { token: host.token });
    assert.deepEqual(
      listed.body.items.map((s: any) => s.id),
      [sessionId],
    );
  });
});
