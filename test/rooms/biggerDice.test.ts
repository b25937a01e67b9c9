import assert from "node:assert/strict";
import crypto from "node:crypto";
import { ErrorCode, matchMaker } from "@colyseus/core";
import { ctx, sdk, type Room } from "../helpers/server";
import { createUser, createUsers, type TestUser } from "../helpers/users";
import { inbox, refusal, sleep, until, type Inbox } from "../helpers/room";
import { api } from "../helpers/http";
import { BiggerDiceRoom } from "../../src/systems/biggerDice/BiggerDiceRoom";
import { cryptoDice, scriptedDice } from "../../src/systems/biggerDice/rules";
import { useManualClock, type ManualClock } from "../helpers/clock";

interface Seat {
  user: TestUser;
  room: Room;
  box: Inbox;
}

/** `a` creates room "table" (the first seat), `b` joins it by name. */
async function table(options: Record<string, unknown> = {}): Promise<{ a: Seat; b: Seat }> {
  const [ua, ub] = await createUsers(2);
  const roomA = await sdk(ua!.token).create("bigger_dice", { roomName: "table", ...options });
  const a = { user: ua!, room: roomA, box: inbox(roomA) };
  const roomB = await sdk(ub!.token).join("bigger_dice", { roomName: "table" });
  const b = { user: ub!, room: roomB, box: inbox(roomB) };
  await a.box.next("room_joined", 4000, (e) => e.player.user_id === ub!.id);
  return { a, b };
}

/**
 * Script the die: the first value draws the first turn (odd: the first seat, `a`), then the
 * rolls in the order they are made.
 */
const script = (draw: number, ...rolls: number[]) => {
  ctx().dice = scriptedDice([draw, ...rolls]);
};

/** Both ready; `a` has the first turn. */
async function started(options: Record<string, unknown> = {}, ...rolls: number[]) {
  const seats = await table(options);
  script(1, ...rolls);
  await seats.a.room.request("ready");
  await seats.b.room.request("ready");
  await seats.a.box.next("game_started");
  await seats.b.box.next("game_started");
  for (const { room } of [seats.a, seats.b]) {
    await until(
      () => room.state.status === "in_progress" && room.state.players.size === 2,
      4000,
      "game started in state",
    );
  }
  return seats;
}

const serverRoom = (roomId: string) => matchMaker.getLocalRoomById(roomId) as BiggerDiceRoom;
const stateOf = (room: Room) => JSON.parse(JSON.stringify(room.state));
const historyRows = async () => (await ctx().db.query("SELECT * FROM game_history ORDER BY ended_at")).rows;

/** Drop the connection without leaving (no consent), with the SDK's own reconnection off. */
function drop(room: Room): void {
  room.reconnection.enabled = false;
  room.connection.close();
}

describe("bigger_dice room", () => {
  afterEach(() => {
    ctx().dice = cryptoDice;
  });

  describe("a full game", () => {
    it("plays to game_ended with final_scores, stored before it is announced and readable over REST", async () => {
      const { a, b } = await table({ targetScore: 2 });
      const watcher = await createUser();
      const spectator = await sdk(watcher.token).join("bigger_dice", { roomName: "table", spectate: true });
      const sbox = inbox(spectator);

      // draw 1 → a first; round 1: 6 vs 1 (a); round 2: 3 vs 3 (tie); round 3: 5 vs 2 (a wins 2-0)
      script(1, 6, 1, 3, 3, 5, 2);
      await a.room.request("ready");
      const ready = await b.box.next("player_ready");
      assert.deepEqual(ready, {
        room_id: a.room.roomId,
        user_id: a.user.id,
        username: a.user.username,
        seq: ready.seq,
      });
      await b.room.request("ready");
      const startedEvent = await sbox.next("game_started");
      assert.equal(startedEvent.room_id, a.room.roomId);
      assert.equal(startedEvent.first_turn, a.user.id);
      assert.deepEqual(
        startedEvent.players.map((p: any) => [p.user_id, p.username, p.score, p.is_ready]),
        [
          [a.user.id, a.user.username, 0, true],
          [b.user.id, b.user.username, 0, true],
        ],
      );
      await until(() => a.room.state.status === "in_progress", 4000, "state in_progress");

      await a.room.request("roll");
      const rolled = await b.box.next("bigger_dice.rolled");
      assert.deepEqual(rolled, {
        room_id: a.room.roomId,
        player_id: a.user.id,
        player_username: a.user.username,
        roll: 6,
        new_score: 0,
        seq: rolled.seq,
      });
      const turn = await b.box.next("turn_changed");
      assert.deepEqual([turn.current_turn, turn.turn_number], [b.user.id, 2]);

      await b.room.request("bigger_dice.roll"); // the seed product's name for it
      const round1 = await sbox.next("bigger_dice.round_result");
      assert.deepEqual(round1, {
        room_id: a.room.roomId,
        player1_id: a.user.id,
        player1_roll: 6,
        player2_id: b.user.id,
        player2_roll: 1,
        winner_id: a.user.id,
        is_tie: false,
        seq: round1.seq,
      });
      await a.room.request("roll");
      await b.room.request("roll");
      const tie = await sbox.next("bigger_dice.round_result", 4000, (r) => r.is_tie);
      assert.equal(tie.winner_id, null);
      await a.room.request("roll");
      await until(() => a.room.state.round.player1Roll === 5, 4000, "round 3 open in state");
      assert.equal(a.room.state.round.complete, false);

      await b.room.request("roll");
      const ended = await sbox.next("game_ended");
      // Persist before announce: by the time anyone hears of it, the row is there.
      const rows = await historyRows();
      assert.equal(rows.length, 1);
      assert.deepEqual(ended, {
        room_id: a.room.roomId,
        winner_id: a.user.id,
        winner_username: a.user.username,
        final_scores: [
          [a.user.id, a.user.username, 2],
          [b.user.id, b.user.username, 0],
        ],
        reason: "win",
        seq: ended.seq,
      });
      // The winning roll and its round are announced too, before game_ended.
      const types = sbox.all.map((m) => m.type);
      assert.ok(types.lastIndexOf("bigger_dice.rolled") < types.indexOf("game_ended"));
      assert.equal(sbox.of("bigger_dice.round_result").length, 3);
      assert.equal(sbox.of("turn_changed").length, 5, "no turn change after the winning roll");

      await until(() => a.room.state.status === "finished", 4000, "state finished");
      const state = stateOf(a.room);
      assert.equal(state.winnerId, a.user.id);
      assert.equal(state.currentTurn, "");
      assert.equal(state.players[a.user.id].score, 2);
      assert.equal(state.round.winnerId, a.user.id);
      assert.deepEqual(Object.keys(state.spectators), [watcher.id]);

      const history = await api("GET", "/api/games/history", { token: b.user.token });
      assert.equal(history.status, 200);
      assert.equal(history.body.items.length, 1);
      const item = history.body.items[0];
      assert.equal(item.roomName, "table");
      assert.equal(item.winnerId, a.user.id);
      assert.equal(item.reason, "win");
      assert.deepEqual(item.players, [
        { userId: a.user.id, username: a.user.username, score: 2 },
        { userId: b.user.id, username: b.user.username, score: 0 },
      ]);
      assert.deepEqual(
        item.rolls.map((r: any) => [r.turn, r.round, r.userId, r.roll]),
        [
          [1, 1, a.user.id, 6],
          [2, 1, b.user.id, 1],
          [3, 2, a.user.id, 3],
          [4, 2, b.user.id, 3],
          [5, 3, a.user.id, 5],
          [6, 3, b.user.id, 2],
        ],
      );
      assert.ok(Date.parse(item.startedAt) <= Date.parse(item.endedAt));

      // After the end, nothing more can be played.
      const late = await refusal(a.room.request("roll"));
      assert.equal(late.code, "GAME_NOT_IN_PROGRESS");
      assert.equal((await historyRows()).length, 1, "written once");
    });

    it("defaults targetScore to 10", async () => {
      const { a } = await table();
      await until(() => a.room.state.targetScore === 10, 4000, "targetScore in state");
      assert.equal(a.room.state.gameType, "bigger_dice");
      assert.equal(a.room.state.roomName, "table");
      assert.equal(a.room.state.hostId, a.user.id);
    });

    it("answers ping with pong", async () => {
      const { a } = await table();
      a.room.send("ping");
      assert.equal(typeof (await a.box.next("pong")).t, "number");
    });
  });

  describe("turns and errors", () => {
    it("refuses a roll out of turn with NOT_YOUR_TURN, as a rejection and as an error event, changing nothing", async () => {
      const { a, b } = await started();
      const before = stateOf(b.room);
      const err = await refusal(b.room.request("roll"));
      assert.deepEqual(err, { code: "NOT_YOUR_TURN", message: "It's not your turn to roll" });
      b.room.send("roll");
      const event = await b.box.next("error");
      assert.deepEqual([event.code, event.type], ["NOT_YOUR_TURN", "roll"]);
      await sleep(100);
      assert.deepEqual(stateOf(b.room), before);
      assert.equal(a.box.of("bigger_dice.rolled").length, 0);
      assert.ok(b.room.connection.isOpen);
    });

    it("refuses rolling before the start with GAME_NOT_IN_PROGRESS and readying twice with ALREADY_READY", async () => {
      const { a, b } = await table();
      assert.equal((await refusal(a.room.request("roll"))).code, "GAME_NOT_IN_PROGRESS");
      await a.room.request("ready");
      assert.equal((await refusal(a.room.request("ready"))).code, "ALREADY_READY");
      a.room.send("bigger_dice.roll");
      assert.deepEqual(
        [(await a.box.next("error")).code, a.box.of("error")[0].type],
        ["GAME_NOT_IN_PROGRESS", "bigger_dice.roll"],
      );
      await sleep(100);
      assert.equal(a.room.state.status, "waiting");
      assert.equal(b.box.of("player_ready").length, 1);
      assert.ok(a.room.connection.isOpen);
    });

    it("refuses garbage payloads with INVALID_MESSAGE and accepts the seed product's {user_id, room_id}", async () => {
      const { a, b } = await started();
      const before = stateOf(a.room);
      for (const payload of [
        { x: 1 },
        "garbage",
        [1, 2, 3],
        42,
        { user_id: { nested: true } },
        { room_id: "r".repeat(10_000) },
      ]) {
        const err = await refusal(a.room.request("roll", payload));
        assert.equal(err.code, "INVALID_MESSAGE", JSON.stringify(payload).slice(0, 40));
      }
      a.room.send("ready", { evil: "<script>" });
      const event = await a.box.next("error");
      assert.deepEqual([event.code, event.type], ["INVALID_MESSAGE", "ready"]);
      assert.match(event.message, /evil/);
      a.room.send("no_such_thing", { x: 1 });
      assert.equal((await a.box.next("error")).code, "UNKNOWN_MESSAGE");
      await sleep(100);
      assert.deepEqual(stateOf(a.room), before);
      assert.ok(a.room.connection.isOpen);

      ctx().dice = scriptedDice([4]);
      await a.room.request("roll", { user_id: 123, room_id: a.room.roomId });
      assert.equal((await b.box.next("bigger_dice.rolled")).roll, 4);
    });
  });

  describe("seats", () => {
    it("refuses a third player with 409, by name and by id, and a second seat for the same user", async () => {
      const { a } = await table();
      const third = await createUser();
      const byName = await refusal(sdk(third.token).join("bigger_dice", { roomName: "table" }));
      assert.equal(byName.code, 409);
      assert.match(byName.message, /two players/);
      assert.equal((await refusal(sdk(third.token).joinById(a.room.roomId))).code, 409);
      const again = await refusal(sdk(a.user.token).joinById(a.room.roomId));
      assert.equal(again.code, 409);
      assert.match(again.message, /already have a player seat/);
      await sleep(100);
      assert.deepEqual(Object.keys(stateOf(a.room).players).length, 2);
    });

    it("refuses a new player once the game has begun, but takes spectators in any status", async () => {
      const { a, b } = await started({ targetScore: 1 }, 6, 1);
      const late = await createUser();
      assert.equal((await refusal(sdk(late.token).join("bigger_dice", { roomName: "table" }))).code, 409);
      const watching = await sdk(late.token).join("bigger_dice", { roomName: "table", spectate: true });
      await a.room.request("roll");
      await b.room.request("roll");
      await a.box.next("game_ended");
      const other = await createUser();
      const afterEnd = await sdk(other.token).joinById(a.room.roomId, { spectate: true });
      await until(() => afterEnd.state.status === "finished", 4000, "finished state for a late spectator");
      assert.equal(afterEnd.state.players.get(a.user.id).score, 1);
      assert.ok(watching.connection.isOpen);
    });

    it("frees a seat when a player leaves before the game, and moves the host", async () => {
      const { a, b } = await table();
      await a.room.request("ready");
      await a.room.leave();
      const left = await b.box.next("player_left");
      assert.deepEqual([left.user_id, left.username], [a.user.id, a.user.username]);
      await until(() => b.room.state.hostId === b.user.id, 4000, "host moved");
      assert.deepEqual([...b.room.state.players.keys()], [b.user.id]);
      const c = await createUser();
      const roomC = await sdk(c.token).join("bigger_dice", { roomName: "table" });
      script(2);
      await roomC.request("ready");
      await b.room.request("ready");
      const go = await b.box.next("game_started");
      assert.equal(go.first_turn, c.id, "even draw: the second seat starts");
      assert.equal(b.box.of("game_ended").length, 0, "nothing to forfeit before a game");
    });
  });

  describe("spectators", () => {
    it("joins a spectator with spectator_joined, refuses its actions with SPECTATOR_CANNOT_ACT, and sees it leave", async () => {
      const { a } = await started();
      const watcher = await createUser();
      const room = await sdk(watcher.token).joinById(a.room.roomId, { spectate: true });
      const box = inbox(room);
      const joined = await a.box.next("spectator_joined");
      assert.deepEqual(
        [joined.room_id, joined.user_id, joined.username],
        [a.room.roomId, watcher.id, watcher.username],
      );
      await until(() => room.state.spectators?.get(watcher.id), 4000, "spectator in state");
      assert.equal(room.state.players.has(watcher.id), false);
      await until(() => a.room.state.spectators.size === 1, 4000, "players see the spectator");

      const before = stateOf(a.room);
      for (const type of ["roll", "bigger_dice.roll", "ready"]) {
        const err = await refusal(room.request(type));
        assert.deepEqual(err, { code: "SPECTATOR_CANNOT_ACT", message: "Spectators cannot act" }, type);
      }
      room.send("roll");
      assert.equal((await box.next("error")).code, "SPECTATOR_CANNOT_ACT");
      await sleep(100);
      assert.deepEqual(stateOf(a.room), before);
      assert.ok(room.connection.isOpen);

      await room.leave();
      const left = await a.box.next("spectator_left");
      assert.equal(left.user_id, watcher.id);
      await until(() => a.room.state.spectators.size === 0, 4000, "spectator gone");
    });
  });

  describe("join options", () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["a non-string roomName", { roomName: 42 }, /roomName: must be a string/],
      ["an empty roomName", { roomName: "" }, /roomName: must not be empty/],
      ["a blank roomName", { roomName: "   " }, /roomName: must not be empty/],
      ["a 10,000-character roomName", { roomName: "x".repeat(10_000) }, /roomName: must be at most 64 characters/],
      ["targetScore 0", { roomName: "t", targetScore: 0 }, /^targetScore must be between 1 and 100$/],
      ["targetScore 101", { roomName: "t", targetScore: 101 }, /^targetScore must be between 1 and 100$/],
      ["a fractional targetScore", { roomName: "t", targetScore: 2.5 }, /^targetScore must be between 1 and 100$/],
      ["a string targetScore", { roomName: "t", targetScore: "5" }, /^targetScore must be between 1 and 100$/],
      ["allowedPlayerIds from a client", { roomName: "t", allowedPlayerIds: ["a", "b"] }, /allowedPlayerIds/],
      ["invitationId from a client", { roomName: "t", invitationId: "x" }, /invitationId/],
      ["a non-boolean spectate", { roomName: "t", spectate: "yes" }, /spectate/],
      ["no roomName at all", {}, /roomName: is required/],
    ];
    for (const [name, options, message] of cases) {
      it(`refuses a create with ${name} (400), creating nothing`, async () => {
        const user = await createUser();
        const err = await refusal(sdk(user.token).create("bigger_dice", options));
        assert.equal(err.code, 400);
        assert.match(err.message, message);
        assert.equal((await matchMaker.query({ name: "bigger_dice" })).length, 0);
      });
    }

    it("refuses a bad roomName on join too", async () => {
      const user = await createUser();
      for (const roomName of [42, "", "x".repeat(10_000)]) {
        assert.equal((await refusal(sdk(user.token).join("bigger_dice", { roomName }))).code, 400);
      }
    });

    it("refuses a second live room with the same name (409) so that join by name is unambiguous", async () => {
      await table();
      const other = await createUser();
      const err = await refusal(sdk(other.token).create("bigger_dice", { roomName: "table" }));
      assert.equal(err.code, 409);
      assert.equal((await matchMaker.query({ name: "bigger_dice" })).length, 1);
    });

    it("trims the room name, so joining ' table ' finds 'table'", async () => {
      const { a } = await table();
      const c = await createUser();
      const spectator = await sdk(c.token).join("bigger_dice", { roomName: "  table ", spectate: true });
      assert.equal(spectator.roomId, a.room.roomId);
    });
  });

  describe("reconnection", () => {
    it("keeps a dropped player's seat: player_disconnected, then player_rejoined and the game continues with the same scores", async () => {
      const { a, b } = await started({ targetScore: 2 }, 6, 1, 2, 5, 4);
      await a.room.request("roll");
      await b.room.request("roll"); // a 1-0
      await a.room.request("roll");
      await until(() => b.room.state.currentTurn === b.user.id, 4000, "b's turn");

      const token = a.room.reconnectionToken;
      drop(a.room);
      const gone = await b.box.next("player_disconnected");
      assert.deepEqual([gone.room_id, gone.user_id], [b.room.roomId, a.user.id]);
      await until(() => b.room.state.players.get(a.user.id).connected === false, 4000, "a shown disconnected");
      await b.room.request("roll"); // b wins round 2 while a is away: 1-1
      await b.box.next("bigger_dice.round_result", 4000, (r) => r.winner_id === b.user.id);

      const back = await sdk(a.user.token).reconnect(token);
      const box = inbox(back);
      const rejoined = await b.box.next("player_rejoined");
      assert.deepEqual([rejoined.user_id, rejoined.username], [a.user.id, a.user.username]);
      // What a missed while away is replayed, and the full state is there.
      await box.next("bigger_dice.round_result", 4000, (r) => r.winner_id === b.user.id);
      await until(() => back.state.players?.get(b.user.id)?.score === 1, 4000, "state resynced");
      assert.equal(back.state.players.get(a.user.id).score, 1);
      assert.equal(back.state.players.get(a.user.id).connected, true);
      assert.equal(back.state.currentTurn, a.user.id);

      await back.request("roll"); // 4 vs b's next roll
      ctx().dice = scriptedDice([1]);
      await b.room.request("roll");
      const ended = await b.box.next("game_ended");
      assert.equal(ended.winner_id, a.user.id);
      assert.deepEqual(ended.final_scores, [
        [a.user.id, a.user.username, 2],
        [b.user.id, b.user.username, 1],
      ]);
      assert.equal((await box.next("game_ended")).reason, "win");
    });

    it("makes a player who does not come back in time forfeit (reason forfeit), keeping the scores", async function () {
      this.timeout(10_000);
      const { a, b } = await started({}, 6, 1);
      await a.room.request("roll");
      await b.room.request("roll"); // a 1-0
      drop(a.room);
      await b.box.next("player_disconnected");
      const left = await b.box.next("player_left", 6000);
      assert.equal(left.user_id, a.user.id);
      const ended = await b.box.next("game_ended");
      assert.deepEqual([ended.winner_id, ended.winner_username, ended.reason], [b.user.id, b.user.username, "forfeit"]);
      assert.deepEqual(ended.final_scores, [
        [a.user.id, a.user.username, 1],
        [b.user.id, b.user.username, 0],
      ]);
      const [row] = await historyRows();
      assert.deepEqual([row.reason, row.status, row.winner_id], ["forfeit", "finished", b.user.id]);
      await until(() => b.room.state.status === "finished", 4000, "finished");
    });

    it("makes a player who leaves for good during play forfeit at once", async () => {
      const { a, b } = await started();
      await a.room.leave();
      const ended = await b.box.next("game_ended");
      assert.deepEqual([ended.winner_id, ended.reason], [b.user.id, "forfeit"]);
      assert.equal(b.box.of("player_left")[0].user_id, a.user.id);
      const history = await api("GET", `/api/games/history?userId=${a.user.id}`, { token: b.user.token });
      assert.equal(history.body.items[0].reason, "forfeit");
      assert.equal(history.body.items[0].winnerId, b.user.id);
    });

    it("abandons the game when both players are gone (stored with no winner)", async function () {
      this.timeout(10_000);
      const { a, b } = await started({}, 3, 3);
      const watcher = await createUser();
      const spectator = await sdk(watcher.token).joinById(a.room.roomId, { spectate: true });
      const sbox = inbox(spectator);
      await a.room.request("roll");
      await b.room.request("roll");
      drop(a.room);
      drop(b.room);
      const ended = await sbox.next("game_ended", 7000);
      assert.deepEqual([ended.winner_id, ended.winner_username, ended.reason], [null, null, "abandoned"]);
      assert.equal(sbox.of("player_left").length, 2);
      await until(() => spectator.state.status === "abandoned", 4000, "abandoned state");
      const [row] = await historyRows();
      assert.deepEqual([row.status, row.reason, row.winner_id], ["abandoned", "abandoned", null]);
      assert.equal(row.rolls.length ?? JSON.parse(row.rolls).length, 2);
    });

    it("gives the win to a player who comes back after the opponent left for good while they were away", async () => {
      const { a, b } = await started();
      const token = a.room.reconnectionToken;
      drop(a.room);
      await b.box.next("player_disconnected");
      await b.room.leave();
      await sleep(200);
      assert.equal((await historyRows()).length, 0, "no result while nobody is there to win");
      const back = await sdk(a.user.token).reconnect(token);
      const box = inbox(back);
      const ended = await box.next("game_ended");
      assert.deepEqual([ended.winner_id, ended.reason], [a.user.id, "forfeit"]);
      assert.equal((await historyRows())[0].winner_id, a.user.id);
    });
  });

  describe("history writes", () => {
    it("retries a failed write and announces game_ended only once it is stored", async () => {
      const { a, b } = await started({ targetScore: 1 }, 6, 1);
      const games = ctx().services.games;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to restore it after the test, never called
      const original = games.record;
      let calls = 0;
      games.record = async (result) => {
        calls++;
        if (calls <= 2) throw new Error("database hiccup");
        return original.call(games, result);
      };
      try {
        await a.room.request("roll");
        const finalRoll = b.room.request("roll");
        await until(() => calls >= 1, 4000, "first attempt");
        assert.equal(b.box.of("game_ended").length, 0, "not announced while unstored");
        // Meanwhile the game accepts no more moves.
        const meanwhile = await refusal(a.room.request("roll"));
        assert.deepEqual(meanwhile, {
          code: "GAME_NOT_IN_PROGRESS",
          message: "The game is over; its result is being saved",
        });
        assert.ok(calls < 3, "refused while the write was still failing");
        await finalRoll;
        const ended = await a.box.next("game_ended");
        assert.equal(ended.reason, "win");
        assert.equal(calls, 3);
        assert.equal((await historyRows()).length, 1);
      } finally {
        games.record = original;
      }
    });

    it("stores a game in progress as abandoned (server_shutdown) before the room closes on shutdown", async () => {
      const { a, b } = await started({}, 6, 1);
      await a.room.request("roll");
      await b.room.request("roll");
      const left = new Promise<number>((resolve) => b.room.onLeave((code) => resolve(code)));
      serverRoom(a.room.roomId).onBeforeShutdown();
      const ended = await b.box.next("game_ended");
      assert.deepEqual([ended.winner_id, ended.reason], [null, "server_shutdown"]);
      assert.equal(await left, 4001, "closed with SERVER_SHUTDOWN");
      const [row] = await historyRows();
      assert.deepEqual([row.status, row.reason], ["abandoned", "server_shutdown"]);
    });
  });

  describe("private invitation rooms", () => {
    it("admits only the two invited players, is unlisted, and plays to the end", async () => {
      const [a, b, c] = await createUsers(3);
      const invitationId = crypto.randomUUID();
      const { roomId } = await ctx().services.games.createPrivateRoom({
        invitationId,
        map: "classic",
        playerIds: [a!.id, b!.id],
      });

      const listing = await api("GET", "/api/rooms/bigger_dice", { token: c!.token });
      assert.deepEqual(listing.body.items, [], "private rooms are not listed");
      const byName = await refusal(sdk(a!.token).join("bigger_dice", { roomName: `invitation-${invitationId}` }));
      assert.equal(byName.code, ErrorCode.MATCHMAKE_INVALID_CRITERIA, "not found by name, even by an invited player");
      const stranger = await refusal(sdk(c!.token).joinById(roomId));
      assert.deepEqual(stranger, { code: 403, message: "This game is reserved for its two invited players" });
      // A refused join does not close the room that is waiting for its players.
      assert.equal((await refusal(sdk(c!.token).joinById(roomId, { spectate: true }))).code, 403);
      const forged = await refusal(
        sdk(c!.token).create("bigger_dice", { roomName: "mine", allowedPlayerIds: [c!.id, a!.id] }),
      );
      assert.equal(forged.code, 400, "a client cannot make its own private room");

      const roomA = await sdk(a!.token).joinById(roomId);
      const roomB = await sdk(b!.token).joinById(roomId);
      const boxA = inbox(roomA);
      script(
        1,
        ...Array(20)
          .fill(0)
          .flatMap(() => [6, 1]),
      );
      await roomA.request("ready");
      await roomB.request("ready");
      for (let i = 0; i < 10; i++) {
        await roomA.request("roll");
        await roomB.request("roll");
      }
      const ended = await boxA.next("game_ended");
      assert.deepEqual([ended.winner_id, ended.final_scores[0][2]], [a!.id, 10]);
      const [row] = await historyRows();
      assert.equal(row.invitation_id, invitationId);
      assert.equal(row.room_name, `invitation-${invitationId}`);
    });
  });

  describe("private invitation rooms waiting", () => {
    afterEach(() => {
      BiggerDiceRoom.privateRoomWaitSeconds = 300;
    });

    it("closes a private room nobody came to once its wait is over", async function () {
      this.timeout(10_000);
      BiggerDiceRoom.privateRoomWaitSeconds = 1;
      const [a, b] = await createUsers(2);
      const { roomId } = await ctx().services.games.createPrivateRoom({
        invitationId: crypto.randomUUID(),
        map: "m",
        playerIds: [a!.id, b!.id],
      });
      await until(() => !matchMaker.getLocalRoomById(roomId), 5000, "the unvisited room to close");
    });
  });

  describe("listing", () => {
    it("lists open rooms with current metadata", async () => {
      const [ua, ub, uc] = await createUsers(3);
      const roomA = await sdk(ua!.token).create("bigger_dice", { roomName: "lobby-table" });
      const list = async () => (await api("GET", "/api/rooms/bigger_dice", { token: uc!.token })).body.items;
      assert.deepEqual((await list())[0].metadata, {
        roomName: "lobby-table",
        status: "waiting",
        players: 1,
        spectators: 0,
      });
      assert.equal((await list())[0].roomId, roomA.roomId);
      const roomB = await sdk(ub!.token).join("bigger_dice", { roomName: "lobby-table" });
      await sdk(uc!.token).join("bigger_dice", { roomName: "lobby-table", spectate: true });
      await roomA.request("ready");
      await roomB.request("ready");
      const expected = { roomName: "lobby-table", status: "in_progress", players: 2, spectators: 1 };
      const end = Date.now() + 4000;
      let metadata: unknown;
      while (Date.now() < end) {
        metadata = (await list())[0]?.metadata;
        if (JSON.stringify(metadata) === JSON.stringify(expected)) break;
        await sleep(50);
      }
      assert.deepEqual(metadata, expected);
    });
  });

  describe("the turn clock (manual clock in the app context)", () => {
    let clock: ManualClock;
    let restore: () => void;
    beforeEach(() => ({ clock, restore } = useManualClock()));
    afterEach(() => restore());

    it("syncs turnEndsAt, rolls for a player whose time ran out (rolled.auto) and hands the turn over", async () => {
      const { a, b } = await started({ turnSeconds: 5 }, 4);
      await until(() => a.room.state.turnEndsAt === clock.now() + 5000, 4000, "deadline in state");
      assert.equal(a.room.state.turnSeconds, 5);
      clock.advance(4999);
      await sleep(50);
      assert.equal(b.box.of("bigger_dice.rolled").length, 0, "not before the deadline");
      clock.advance(1);
      const rolled = await b.box.next("bigger_dice.rolled");
      assert.deepEqual([rolled.player_id, rolled.roll, rolled.auto], [a.user.id, 4, true]);
      const turn = await b.box.next("turn_changed");
      assert.deepEqual([turn.current_turn, turn.turn_ends_at], [b.user.id, clock.now() + 5000]);
      await until(
        () => b.room.state.currentTurn === b.user.id && b.room.state.turnEndsAt === clock.now() + 5000,
        4000,
        "b's clock",
      );
    });

    it("makes a player forfeit with reason inactive after DICE_MISSED_TURNS_FORFEIT (3) missed turns in a row", async () => {
      const { a, b } = await started({ turnSeconds: 5 }, 3, 3, 2, 2, 5, 5);
      for (let miss = 1; miss <= 3; miss++) {
        await until(() => a.room.state.currentTurn === a.user.id, 4000, "a's turn");
        clock.advance(5000);
        await b.box.next("bigger_dice.rolled", 4000, (r) => r.player_id === a.user.id && r.auto === true);
        if (miss < 3) {
          await until(() => b.room.state.currentTurn === b.user.id, 4000, "b's turn");
          await b.room.request("roll");
        }
      }
      const ended = await b.box.next("game_ended");
      assert.deepEqual([ended.winner_id, ended.reason], [b.user.id, "inactive"]);
      const [row] = await historyRows();
      assert.deepEqual([row.reason, row.winner_id], ["inactive", b.user.id]);
      assert.equal(clock.pending, 0, "no clock after the end");
    });

    it("does not roll for a disconnected player: their turn waits for the reconnection window", async () => {
      const { a, b } = await started({ turnSeconds: 5 });
      drop(a.room);
      await b.box.next("player_disconnected");
      await until(() => b.room.state.turnEndsAt === 0, 4000, "clock paused");
      clock.advance(60_000);
      await sleep(100);
      assert.equal(b.box.of("bigger_dice.rolled").length, 0);
      assert.equal(clock.pending, 0);
    });

    it("fires no timer once the room is disposed", async () => {
      const { a } = await started({ turnSeconds: 5 });
      await until(() => a.room.state.turnEndsAt > 0, 4000, "clock running");
      assert.equal(clock.pending, 1);
      const room = serverRoom(a.room.roomId);
      await room.disconnect();
      assert.equal(clock.pending, 0, "the turn timer was cleared");
      clock.advance(60_000);
      await sleep(50);
      assert.equal((await historyRows()).length, 0, "nothing happened after dispose");
    });

    it("stores the pending turn with a game ended by shutdown", async () => {
      const { a, b } = await started({ turnSeconds: 5 }, 6);
      await a.room.request("roll");
      await until(() => b.room.state.currentTurn === b.user.id, 4000, "b's turn");
      const endsAt = clock.now() + 5000;
      serverRoom(a.room.roomId).onBeforeShutdown();
      await b.box.next("game_ended");
      const [row] = await historyRows();
      assert.deepEqual(row.pending_turn, { userId: b.user.id, turnNumber: 2, turnEndsAt: endsAt });
      assert.equal(clock.pending, 0);
    });

    it("refuses a turnSeconds outside 5–300 at create with 400", async () => {
      const user = await createUser();
      for (const turnSeconds of [4, 301, 7.5, "30"]) {
        const err = await refusal(sdk(user.token).create("bigger_dice", { roomName: "t", turnSeconds }));
        assert.equal(err.code, 400, `turnSeconds ${turnSeconds}`);
      }
      assert.equal((await matchMaker.query({ name: "bigger_dice" })).length, 0);
    });
  });

  describe("rematch", () => {
    async function finished() {
      const seats = await started({ targetScore: 1 }, 6, 1);
      await seats.a.room.request("roll");
      await seats.b.room.request("roll");
      await seats.a.box.next("game_ended");
      return seats;
    }

    it("refuses rematch before the game ended with REMATCH_NOT_AVAILABLE, changing nothing", async () => {
      const { a, b } = await started();
      const err = await refusal(a.room.request("rematch"));
      assert.equal(err.code, "REMATCH_NOT_AVAILABLE");
      await sleep(50);
      assert.equal(b.box.of("rematch_requested").length, 0);
      assert.equal(a.room.state.status, "in_progress");
    });

    it("starts a new game in the same room once both ask, with fresh scores, each game its own history entry", async () => {
      const { a, b } = await finished();
      await a.room.request("rematch");
      const asked = await b.box.next("rematch_requested");
      assert.deepEqual([asked.user_id, asked.username], [a.user.id, a.user.username]);
      ctx().dice = scriptedDice([1, 2, 5]); // draw: a first; a 2, b 5 → b wins 1-0
      await b.room.request("rematch");
      const again = await a.box.next("game_started");
      assert.equal(again.first_turn, a.user.id);
      await until(
        () => a.room.state.status === "in_progress" && a.room.state.players.get(a.user.id).score === 0,
        4000,
        "fresh",
      );
      assert.equal(a.room.state.round.number, 0);
      await a.room.request("roll");
      await b.room.request("roll");
      const ended = await a.box.next("game_ended");
      assert.equal(ended.winner_id, b.user.id);
      const rows = await historyRows();
      assert.equal(rows.length, 2);
      assert.notEqual(rows[0].id, rows[1].id);
      assert.deepEqual(
        rows.map((r: any) => r.winner_id),
        [a.user.id, b.user.id],
      );
    });

    it("lapses when a player leaves: rematch_lapsed, then REMATCH_NOT_AVAILABLE", async () => {
      const { a, b } = await finished();
      await a.room.request("rematch");
      await b.room.leave();
      const lapsed = await a.box.next("rematch_lapsed");
      assert.equal(lapsed.user_id, b.user.id);
      assert.equal((await refusal(a.room.request("rematch"))).code, "REMATCH_NOT_AVAILABLE");
    });
  });
});
