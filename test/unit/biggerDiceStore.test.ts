import assert from "node:assert/strict";
import { GamesService, gameResultOf, type GameResult } from "../../src/systems/biggerDice/games";
import { openTable, seatPlayer, shutdown, ready } from "../../src/systems/biggerDice/rules";
import type { ServiceDeps } from "../../src/services/deps";

/** GamesService.recordUntilStored: the room's "store before announcing", retried with backoff. */

/** A service whose `record` fails `failures` times, then stores. */
function flaky(failures: number) {
  const service = new GamesService({} as ServiceDeps);
  const calls: GameResult[] = [];
  service.record = (result) => {
    calls.push(result);
    return calls.length <= failures ? Promise.reject(new Error("database hiccup")) : Promise.resolve();
  };
  return { service, calls };
}

function endedGame() {
  let table = openTable({ roomName: "Table", targetScore: 3, turnSeconds: 5, invitationId: "inv" });
  table = seatPlayer(table, "a", { username: "Alice", avatarUrl: "" }).table;
  table = seatPlayer(table, "b", { username: "Bob", avatarUrl: "" }).table;
  const env = { now: 0, dice: () => 1, newGameId: () => "11111111-1111-4111-8111-111111111111", wallNow: 5000 };
  table = ready(ready(table, "a", env).table, "b", env).table;
  return { table, ended: shutdown(table).end!.match };
}

describe("bigger_dice game results", () => {
  it("builds the history entry of the table's game", () => {
    const { table, ended } = endedGame();
    const result = gameResultOf(table, ended, "room-1", new Date(9000));
    assert.deepEqual(
      { ...result, startedAt: result.startedAt.getTime(), endedAt: result.endedAt.getTime() },
      {
        id: "11111111-1111-4111-8111-111111111111",
        roomId: "room-1",
        roomName: "Table",
        invitationId: "inv",
        targetScore: 3,
        status: "abandoned",
        reason: "server_shutdown",
        winnerId: null,
        players: [
          { userId: "a", username: "Alice", score: 0 },
          { userId: "b", username: "Bob", score: 0 },
        ],
        rolls: [],
        pendingTurn: { userId: "a", turnNumber: 1, turnEndsAt: 5000 },
        startedAt: 5000,
        endedAt: 9000,
      },
    );
  });

  it("retries a failed write until it is stored", async () => {
    const { service, calls } = flaky(2);
    const { table, ended } = endedGame();
    const result = gameResultOf(table, ended, "room-1", new Date());
    assert.equal(await service.recordUntilStored(result), true);
    assert.equal(calls.length, 3);
    assert.ok(
      calls.every((c) => c === result),
      "the same result (its id makes a retried write a no-op)",
    );
  });

  it("gives up after maxAttempts, or once its signal is aborted", async () => {
    const { table, ended } = endedGame();
    const result = gameResultOf(table, ended, "room-1", new Date());
    const limited = flaky(Infinity);
    assert.equal(await limited.service.recordUntilStored(result, { maxAttempts: 2 }), false);
    assert.equal(limited.calls.length, 2);

    const aborted = flaky(Infinity);
    const gone = new AbortController();
    gone.abort();
    assert.equal(await aborted.service.recordUntilStored(result, { signal: gone.signal }), false);
    assert.equal(aborted.calls.length, 1);
  });
});
