import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx } from "../helpers/server";
import { createUsers, type TestUser } from "../helpers/users";
import type { GameResult } from "../../src/systems/biggerDice/games";

/** Store a game directly through the service (the room's own path is covered in test/rooms). */
async function storeGame(
  players: TestUser[],
  endedAt: string,
  overrides: Partial<GameResult> = {},
): Promise<GameResult> {
  const [first, second] = players;
  const result: GameResult = {
    id: crypto.randomUUID(),
    roomId: "room1",
    roomName: `table-${endedAt}`,
    invitationId: null,
    targetScore: 1,
    status: "finished",
    reason: "win",
    winnerId: first!.id,
    players: [
      { userId: first!.id, username: first!.username, score: 1 },
      { userId: second!.id, username: second!.username, score: 0 },
    ],
    rolls: [
      { turn: 1, round: 1, userId: first!.id, roll: 6 },
      { turn: 2, round: 1, userId: second!.id, roll: 2 },
    ],
    startedAt: new Date(Date.parse(endedAt) - 60_000),
    endedAt: new Date(endedAt),
    ...overrides,
  };
  await ctx().services.games.record(result);
  return result;
}

describe("GET /api/games/history", () => {
  it("returns the caller's games, newest first, with players, rolls, winner and reason", async () => {
    const [a, b, c] = await createUsers(3);
    const older = await storeGame([a!, b!], "2026-01-01T10:00:00.000Z");
    const newer = await storeGame([c!, a!], "2026-01-02T10:00:00.000Z", { reason: "forfeit", winnerId: c!.id });
    await storeGame([b!, c!], "2026-01-03T10:00:00.000Z"); // not a's

    const res = await api("GET", "/api/games/history", { token: a!.token });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.items.map((i: any) => i.id),
      [newer.id, older.id],
    );
    assert.deepEqual(res.body.items[1], {
      id: older.id,
      roomName: older.roomName,
      players: [
        { userId: a!.id, username: a!.username, score: 1 },
        { userId: b!.id, username: b!.username, score: 0 },
      ],
      winnerId: a!.id,
      reason: "win",
      rolls: older.rolls,
      pendingTurn: null,
      startedAt: "2026-01-01T09:59:00.000Z",
      endedAt: "2026-01-01T10:00:00.000Z",
    });
    assert.equal(res.body.items[0].reason, "forfeit");
  });

  it("reads another user's games with ?userId=, and pages them with limit and cursor", async () => {
    const [a, b, c] = await createUsers(3);
    await storeGame([a!, b!], "2026-01-01T10:00:00.000Z");
    const latest = await storeGame([b!, a!], "2026-01-02T10:00:00.000Z");
    const res = await api("GET", `/api/games/history?userId=${b!.id}&limit=1`, { token: c!.token });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.items.map((i: any) => i.id),
      [latest.id],
    );
    const older = await api("GET", `/api/games/history?userId=${b!.id}&limit=1&cursor=${res.body.nextCursor}`, {
      token: c!.token,
    });
    assert.equal(older.body.items.length, 1);
    assert.notEqual(older.body.items[0].id, latest.id);
    assert.equal(older.body.nextCursor, null);
    const none = await api("GET", "/api/games/history", { token: c!.token });
    assert.deepEqual(none.body, { items: [], nextCursor: null });
    assert.equal((await api("GET", "/api/games/history?cursor=bad", { token: c!.token })).status, 400);
  });

  it("stores a game once, however often the write is retried", async () => {
    const [a, b] = await createUsers(2);
    const game = await storeGame([a!, b!], "2026-01-01T10:00:00.000Z");
    await ctx().services.games.record(game);
    const { rows } = await ctx().db.query("SELECT count(*)::int AS n FROM game_history_players");
    assert.equal(rows[0].n, 2);
    assert.equal((await api("GET", "/api/games/history", { token: a!.token })).body.items.length, 1);
  });

  it("keeps an abandoned game with no winner", async () => {
    const [a, b] = await createUsers(2);
    await storeGame([a!, b!], "2026-01-01T10:00:00.000Z", { status: "abandoned", reason: "abandoned", winnerId: null });
    const [item] = (await api("GET", "/api/games/history", { token: b!.token })).body.items;
    assert.deepEqual([item.reason, item.winnerId], ["abandoned", null]);
  });

  describe("bad input", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["a non-uuid userId", "?userId=42", /userId/],
      ["a huge userId", `?userId=${"a".repeat(10_000)}`, /userId/],
      ["a repeated userId", `?userId=${crypto.randomUUID()}&userId=${crypto.randomUUID()}`, /userId/],
      ["limit 0", "?limit=0", /limit/],
      ["limit 101", "?limit=101", /limit/],
      ["a non-numeric limit", "?limit=abc", /limit/],
      ["an unknown parameter", "?admin=true", /admin|Unrecognized/i],
    ];
    for (const [name, qs, field] of cases) {
      it(`400 for ${name}, naming the field`, async () => {
        const [a] = await createUsers(1);
        const res = await api("GET", `/api/games/history${qs}`, { token: a!.token });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
      });
    }

    it("401 without a token", async () => {
      const res = await api("GET", "/api/games/history");
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "UNAUTHORIZED");
    });
  });
});
