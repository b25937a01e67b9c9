import assert from "node:assert/strict";
import {
  checkAdmitted,
  drop,
  expire,
  leave,
  MAX_SPECTATORS,
  openTable,
  ready,
  reconnect,
  rematch,
  returned,
  rollTurn,
  seatPlayer,
  settle,
  shutdown,
  unsettle,
  unwatch,
  watch,
  type DiceTable,
  type Env,
  type Step,
} from "../../src/systems/biggerDice/rules";

/** The engine of a bigger_dice room (rules.ts's DiceTable), played without a server. */

const A = "alice";
const B = "bob";
const T0 = 1_000_000;

/** A die that returns `values` in order. */
function die(...values: number[]) {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error("the test's die ran out");
    return values[next++];
  };
}

const env = (now: number, ...rolls: number[]): Env => ({
  now,
  dice: die(...rolls),
  newGameId: () => `game-${now}`,
  wallNow: now + 7,
});

const types = (step: Step) => step.effects.map((e) => e.type);

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e: any) {
    return [e.code, e.message];
  }
  throw new Error("expected it to throw");
};

function seated(options: Partial<Parameters<typeof openTable>[0]> = {}): DiceTable {
  let table = openTable({ roomName: "t", targetScore: 2, turnSeconds: 5, ...options });
  table = seatPlayer(table, A, { username: "Alice", avatarUrl: "" }).table;
  return seatPlayer(table, B, { username: "Bob", avatarUrl: "https://a/b.png" }).table;
}

/** Both ready; the draw `first` (odd: A) picks the first turn. */
function started(first = 1, options: Partial<Parameters<typeof openTable>[0]> = {}): DiceTable {
  const table = ready(seated(options), A, env(T0)).table;
  return ready(table, B, env(T0, first)).table;
}

describe("bigger_dice table (the room's engine)", () => {
  it("opens from the create options: private, quick, the match's target and turn length", () => {
    const table = openTable({
      roomName: "r",
      targetScore: 3,
      turnSeconds: 9,
      invitationId: "inv",
      allowedPlayerIds: [A, B],
      quick: true,
    });
    assert.deepEqual(
      [table.invitationId, table.allowedUserIds, table.quick, table.match.targetScore, table.match.turnSeconds],
      ["inv", [A, B], true, 3, 9],
    );
    assert.deepEqual([table.hostId, table.settling, table.players, table.spectators], ["", false, {}, {}]);
  });

  it("seats players (the first is host), refuses a third or a second seat, and a private table refuses strangers", () => {
    const one = seatPlayer(openTable({ roomName: "t", targetScore: 2, turnSeconds: 5 }), A, {
      username: "Alice",
      avatarUrl: "",
    });
    assert.deepEqual(one.effects, [{ type: "joined", userId: A }]);
    assert.deepEqual(one.table.players[A], { username: "Alice", avatarUrl: "", connected: true });
    assert.equal(one.table.hostId, A);
    const two = seatPlayer(one.table, B, { username: "Bob", avatarUrl: "" });
    assert.equal(two.table.hostId, A);
    assert.equal(code(() => seatPlayer(two.table, "carol", { username: "C", avatarUrl: "" }))[0], "CONFLICT");
    assert.equal(code(() => seatPlayer(one.table, A, { username: "A", avatarUrl: "" }))[0], "CONFLICT");

    const closed = seated({ allowedPlayerIds: [A, B] });
    assert.doesNotThrow(() => checkAdmitted(closed, B));
    assert.deepEqual(
      code(() => checkAdmitted(closed, "eve")),
      ["FORBIDDEN", "This game is reserved for its two invited players"],
    );
  });

  it("admits spectators up to MAX_SPECTATORS seats; a second device adds nobody; the last seat leaving removes them", () => {
    const table = seated();
    const watching = watch(table, "w", "Watcher", 0);
    assert.deepEqual(watching.effects, [{ type: "spectator_joined", userId: "w", username: "Watcher" }]);
    assert.deepEqual(watch(watching.table, "w", "Watcher", 1).effects, [], "another device of the same spectator");
    assert.deepEqual(
      code(() => watch(table, "x", "X", MAX_SPECTATORS)),
      ["CONFLICT", "This game has as many spectators as it admits"],
    );
    assert.deepEqual(unwatch(watching.table, "w", true).effects, [], "still watching from another seat");
    const gone = unwatch(watching.table, "w", false);
    assert.deepEqual(gone.effects, [{ type: "spectator_left", userId: "w", username: "Watcher" }]);
    assert.deepEqual(gone.table.spectators, {});
  });

  it("starts once both are ready: a history id, its start, and the first turn's deadline", () => {
    const first = ready(seated(), A, env(T0));
    assert.deepEqual(types(first), ["ready"]);
    const both = ready(first.table, B, env(T0, 2)); // even: the second seat starts
    assert.deepEqual(types(both), ["ready", "started"]);
    const { table } = both;
    assert.deepEqual(
      [table.match.status, table.match.currentTurn, table.match.turnEndsAt, table.gameId, table.startedAt],
      ["in_progress", B, T0 + 5000, `game-${T0}`, T0 + 7],
    );
  });

  it("passes the turn after a roll, re-arming the clock; a completed round is carried with the roll", () => {
    const first = rollTurn(started(), A, env(T0 + 1000, 5));
    assert.deepEqual(first.effects, [
      { type: "rolled", userId: A, roll: 5, newScore: 0, auto: false, round: null },
      { type: "turn_changed" },
    ]);
    assert.deepEqual([first.table.match.currentTurn, first.table.match.turnEndsAt], [B, T0 + 6000]);
    const second = rollTurn(first.table, B, env(T0 + 2000, 3));
    const rolled = second.effects[0] as Extract<Step["effects"][number], { type: "rolled" }>;
    assert.deepEqual([rolled.round?.winnerId, rolled.newScore], [A, 0]);
    assert.equal(second.table.match.scores[A], 1);
  });

  it("stores before it announces: a winning roll returns the end apart, refuses moves while settling, then settles", () => {
    let table = started(1, { targetScore: 1 });
    table = rollTurn(table, A, env(T0, 6)).table;
    const win = rollTurn(table, B, env(T0, 1));
    assert.deepEqual(win.effects, [], "nothing announced before it is stored");
    assert.equal(win.table.settling, true);
    assert.equal(win.table.match.status, "in_progress", "the table's match is not over until settled");
    assert.equal(win.end?.match.winnerId, A);
    assert.deepEqual(
      code(() => rollTurn(win.table, A, env(T0, 1))),
      ["GAME_NOT_IN_PROGRESS", "The game is over; its result is being saved"],
    );
    assert.deepEqual(
      code(() => rematch(win.table, A, env(T0))),
      ["REMATCH_NOT_AVAILABLE", "The game's result is still being saved"],
    );

    const settled = settle(win.table, win.end);
    assert.deepEqual(types(settled), ["rolled", "ended"]);
    assert.deepEqual([settled.table.settling, settled.table.match.status], [false, "finished"]);
    const failed = unsettle(win.table);
    assert.deepEqual([failed.effects, failed.table.settling, failed.table.match.status], [[], false, "in_progress"]);
  });

  it("rolls for a player whose clock ran out (auto), and only once it is due", () => {
    const table = started();
    assert.deepEqual(expire(table, env(T0 + 4999, 3), 3).effects, [], "not due yet");
    const auto = expire(table, env(T0 + 5000, 3), 3);
    assert.deepEqual(auto.effects[0], { type: "rolled", userId: A, roll: 3, newScore: 0, auto: true, round: null });
    assert.equal(auto.table.match.missedTurns[A], 1);
    const forfeit = expire(table, env(T0 + 5000, 3), 1);
    assert.deepEqual([forfeit.end?.match.endReason, forfeit.end?.match.winnerId], ["inactive", B]);
  });

  it("stops the clock of a player who dropped, and restarts it in full when they are back", () => {
    const dropped = drop(started(), A, T0 + 2000);
    assert.deepEqual(dropped.effects, [{ type: "disconnected", userId: A }]);
    assert.deepEqual([dropped.table.players[A].connected, dropped.table.match.turnEndsAt], [false, null]);
    const back = reconnect(dropped.table, A, T0 + 9000);
    assert.deepEqual(back.effects, [{ type: "rejoined", userId: A }]);
    assert.deepEqual([back.table.players[A].connected, back.table.match.turnEndsAt], [true, T0 + 14000]);
    // The opponent's drop leaves the running clock alone.
    assert.equal(drop(started(), B, T0 + 2000).table.match.turnEndsAt, T0 + 5000);
  });

  it("frees a seat left before the game (the host passes on)", () => {
    const left = leave(seated(), A);
    assert.deepEqual(left.effects, [{ type: "left", userId: A, username: "Alice" }]);
    assert.deepEqual([Object.keys(left.table.players), left.table.match.seats, left.table.hostId], [[B], [B], B]);
  });

  it("makes a player who leaves during play forfeit, keeping them on the scoreboard, disconnected", () => {
    const left = leave(started(), A);
    assert.deepEqual(types(left), ["left"]);
    assert.deepEqual([left.end?.match.winnerId, left.end?.match.endReason], [B, "forfeit"]);
    assert.equal(left.table.players[A].connected, false);
  });

  it("lets a forfeit wait while the opponent is away too: it goes to them when they return", () => {
    const away = drop(started(), B, T0).table;
    const left = leave(away, A);
    assert.equal(left.end, undefined);
    assert.deepEqual(left.table.match.gone, [A]);
    const back = returned(reconnect(left.table, B, T0 + 1000).table, B);
    assert.deepEqual([back.end?.match.winnerId, back.end?.match.endReason], [B, "forfeit"]);
  });

  it("lapses an asked rematch when a player leaves after the end", () => {
    let table = started(1, { targetScore: 1 });
    table = rollTurn(table, A, env(T0, 6)).table;
    const win = rollTurn(table, B, env(T0, 1));
    table = settle(win.table, win.end!).table;
    table = rematch(table, A, env(T0)).table;
    assert.deepEqual(types(leave(table, B)), ["left", "rematch_lapsed"]);
  });

  it("ends a game in progress as abandoned on shutdown, with the turn that was open", () => {
    const end = shutdown(started()).end!;
    assert.deepEqual(
      [end.match.status, end.match.endReason, end.match.pendingTurn?.userId],
      ["abandoned", "server_shutdown", A],
    );
    assert.equal(shutdown(seated()).end, undefined, "nothing to store before the game");
  });
});
