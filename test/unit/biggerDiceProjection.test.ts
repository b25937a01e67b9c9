import assert from "node:assert/strict";
import { BiggerDiceState } from "../../src/systems/biggerDice/BiggerDiceState";
import { eventsOf, metadataOf, project, syncState } from "../../src/systems/biggerDice/projection";
import { openTable, ready, rollTurn, seatPlayer, settle, watch, type Env } from "../../src/systems/biggerDice/rules";
import { spectatorSeats, watchesElsewhere } from "../../src/systems/biggerDice/seating";

/** What clients see of a bigger_dice table: the schema state and the events, in the seed product's shapes. */

const A = "alice";
const B = "bob";

const env = (...rolls: number[]): Env => ({
  now: 1000,
  dice: () => rolls.shift()!,
  newGameId: () => "g",
  wallNow: 1000,
});

function seated(targetScore = 1) {
  let table = openTable({ roomName: "Table", targetScore, turnSeconds: 5 });
  table = seatPlayer(table, A, { username: "Alice", avatarUrl: "" }).table;
  return seatPlayer(table, B, { username: "Bob", avatarUrl: "https://img/b.png" }).table;
}

describe("bigger_dice projection", () => {
  it("formats room_joined with the player (no avatar: null) and player_left for everyone but the leaver", () => {
    const table = seated();
    assert.deepEqual(eventsOf(table, [{ type: "joined", userId: A }], "R"), [
      {
        name: "room_joined",
        payload: {
          room_id: "R",
          room_name: "Table",
          player: { user_id: A, username: "Alice", avatar_id: null, score: 0, is_ready: false },
        },
      },
    ]);
    assert.deepEqual(eventsOf(table, [{ type: "joined", userId: B }], "R")[0].payload, {
      room_id: "R",
      room_name: "Table",
      player: { user_id: B, username: "Bob", avatar_id: "https://img/b.png", score: 0, is_ready: false },
    });
    assert.deepEqual(eventsOf(table, [{ type: "left", userId: A, username: "Alice" }], "R"), [
      { name: "player_left", payload: { room_id: "R", user_id: A, username: "Alice" }, exceptActor: true },
    ]);
  });

  it("formats a game from start to end: game_started, rolled (+ round_result), turn_changed, game_ended", () => {
    let table = ready(seated(), A, env()).table;
    const start = ready(table, B, env(1));
    assert.deepEqual(
      eventsOf(start.table, start.effects, "R").map((e) => e.name),
      ["player_ready", "game_started"],
    );
    assert.deepEqual(eventsOf(start.table, start.effects, "R")[1].payload, {
      room_id: "R",
      players: [
        { user_id: A, username: "Alice", avatar_id: null, score: 0, is_ready: true },
        { user_id: B, username: "Bob", avatar_id: "https://img/b.png", score: 0, is_ready: true },
      ],
      first_turn: A,
    });
    table = start.table;
    const first = rollTurn(table, A, env(6));
    assert.deepEqual(eventsOf(first.table, first.effects, "R"), [
      {
        name: "bigger_dice.rolled",
        payload: { room_id: "R", player_id: A, player_username: "Alice", roll: 6, new_score: 0 },
      },
      {
        name: "turn_changed",
        payload: { room_id: "R", current_turn: B, turn_number: 2, turn_ends_at: 6000 },
      },
    ]);
    const win = rollTurn(first.table, B, env(2));
    const settled = settle(win.table, win.end!);
    const events = eventsOf(settled.table, settled.effects, "R");
    assert.deepEqual(
      events.map((e) => e.name),
      ["bigger_dice.rolled", "bigger_dice.round_result", "game_ended"],
    );
    assert.deepEqual(events[1].payload, {
      room_id: "R",
      player1_id: A,
      player1_roll: 6,
      player2_id: B,
      player2_roll: 2,
      winner_id: A,
      is_tie: false,
    });
    assert.deepEqual(events[2].payload, {
      room_id: "R",
      winner_id: A,
      winner_username: "Alice",
      final_scores: [
        [A, "Alice", 1],
        [B, "Bob", 0],
      ],
      reason: "win",
    });
  });

  it("marks only the server's rolls with auto", () => {
    const table = seated();
    const rolled = { type: "rolled" as const, userId: A, roll: 4, newScore: 2, round: null };
    assert.equal((eventsOf(table, [{ ...rolled, auto: true }], "R")[0].payload as any).auto, true);
    assert.equal("auto" in eventsOf(table, [{ ...rolled, auto: false }], "R")[0].payload, false);
  });

  it("mirrors the table into the schema: players, spectators, host, turn, deadline, round", () => {
    const state = new BiggerDiceState({ roomName: "Table", targetScore: 1 });
    let table = seated();
    table = watch(table, "w", "Watcher", 0).table;
    project(state, table, [], "R");
    assert.deepEqual([...state.players.keys()], [A, B]);
    assert.deepEqual(
      [state.players.get(B)!.avatarId, state.players.get(B)!.connected, state.hostId, state.turnEndsAt],
      ["https://img/b.png", true, A, 0],
    );
    assert.equal(state.spectators.get("w")!.username, "Watcher");

    table = ready(ready(table, A, env()).table, B, env(1)).table;
    table = rollTurn(table, A, env(5)).table;
    syncState(state, table);
    assert.deepEqual(
      [state.status, state.currentTurn, state.turnNumber, state.turnEndsAt, state.players.get(A)!.isReady],
      ["in_progress", B, 2, 6000, true],
    );
    assert.deepEqual([state.round.number, state.round.player1Roll, state.round.complete], [1, 5, false]);

    const { [A]: _gone, ...players } = table.players;
    syncState(state, { ...table, players, spectators: {} });
    assert.deepEqual([[...state.players.keys()], state.spectators.size], [[B], 0]);
  });

  it("lists the table's metadata, quick rooms marked", () => {
    assert.deepEqual(metadataOf(seated()), { roomName: "Table", status: "waiting", players: 2, spectators: 0 });
    const quick = openTable({ roomName: "Q", targetScore: 1, turnSeconds: 5, quick: true });
    assert.equal(metadataOf(quick).quick, true);
  });

  it("counts spectator seats per seat, and finds a spectator's other seats", () => {
    const seats = [
      { sessionId: "s1", userId: "w", data: { role: "spectator" as const } },
      { sessionId: "s2", userId: "w", data: { role: "spectator" as const } },
      { sessionId: "s3", userId: A, data: { role: "player" as const } },
      { sessionId: "s4", userId: B, data: undefined },
    ];
    assert.equal(spectatorSeats(seats), 2);
    assert.equal(watchesElsewhere(seats, "w", "s1"), true);
    assert.equal(watchesElsewhere(seats.slice(0, 1), "w", "s1"), false);
  });
});
