import assert from "node:assert/strict";
import {
  abandon,
  armTurn,
  requestRematch,
  turnExpired,
  cryptoDice,
  finalScores,
  markReady,
  newGame,
  playerGone,
  playerReturned,
  roll,
  scriptedDice,
  seat,
  seededDice,
  type DiceGame,
} from "../../src/systems/biggerDice/rules";

const A = "alice";
const B = "bob";

/** Two seated players, both ready; `firstTurnDraw` odd gives A the first turn. */
function started(targetScore = 10, firstTurnDraw = 1): DiceGame {
  let game = seat(seat(newGame(targetScore), A), B);
  game = markReady(game, A, scriptedDice([])).game;
  const result = markReady(game, B, scriptedDice([firstTurnDraw]));
  assert.equal(result.started, true);
  return result.game;
}

/** Play rolls in turn order from a script. */
function play(game: DiceGame, rolls: number[]): DiceGame {
  const dice = scriptedDice(rolls);
  for (let i = 0; i < rolls.length; i++) game = roll(game, game.currentTurn!, dice).game;
  return game;
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e: any) {
    return e.code;
  }
  throw new Error("expected it to throw");
};

describe("bigger_dice rules", () => {
  describe("seats and ready", () => {
    it("seats two players and refuses a third, a second seat for the same user, and a seat after the start", () => {
      const one = seat(newGame(), A);
      assert.equal(
        code(() => seat(one, A)),
        "CONFLICT",
      );
      const two = seat(one, B);
      assert.equal(
        code(() => seat(two, "carol")),
        "CONFLICT",
      );
      assert.deepEqual(two.seats, [A, B]);
      assert.deepEqual(two.scores, { [A]: 0, [B]: 0 });
      assert.equal(
        code(() => seat(playerGone(started(), A, true).game, "carol")),
        "CONFLICT",
      );
    });

    it("starts only when both players are ready, and refuses readying twice or by a non-player", () => {
      let game = seat(newGame(), A);
      const alone = markReady(game, A, scriptedDice([]));
      assert.equal(alone.started, false, "one player alone does not start");
      assert.equal(
        code(() => markReady(alone.game, A, scriptedDice([]))),
        "ALREADY_READY",
      );
      assert.equal(
        code(() => markReady(alone.game, "watcher", scriptedDice([]))),
        "SPECTATOR_CANNOT_ACT",
      );
      game = seat(alone.game, B);
      const both = markReady(game, B, scriptedDice([4]));
      assert.equal(both.started, true);
      assert.equal(both.game.status, "in_progress");
      assert.equal(both.game.turnNumber, 1);
      assert.equal(
        code(() => markReady(both.game, A, scriptedDice([]))),
        "ALREADY_READY",
      );
    });

    it("draws the first turn with the die: odd gives the first seat, even the second", () => {
      assert.equal(started(10, 3).currentTurn, A);
      assert.equal(started(10, 6).currentTurn, B);
    });

    it("refuses a targetScore outside 1..100", () => {
      for (const bad of [0, 101, 2.5, -1])
        assert.equal(
          code(() => newGame(bad)),
          "INVALID_MESSAGE",
        );
      assert.equal(newGame(1).targetScore, 1);
      assert.equal(newGame(100).targetScore, 100);
      assert.equal(newGame().targetScore, 10);
    });
  });

  describe("rolling", () => {
    it("alternates turns strictly and settles a round after two rolls: bigger roll scores one", () => {
      let game = started();
      const first = roll(game, A, scriptedDice([5]));
      assert.equal(first.roll, 5);
      assert.equal(first.completedRound, null);
      assert.equal(first.game.currentTurn, B);
      assert.equal(first.game.turnNumber, 2);
      const second = roll(first.game, B, scriptedDice([3]));
      assert.deepEqual(second.completedRound, {
        number: 1,
        player1Id: A,
        player1Roll: 5,
        player2Id: B,
        player2Roll: 3,
        winnerId: A,
        isTie: false,
        complete: true,
      });
      assert.deepEqual(second.game.scores, { [A]: 1, [B]: 0 });
      assert.equal(second.game.currentTurn, A, "the turn passes after every roll");
      game = roll(second.game, A, scriptedDice([2])).game;
      const fourth = roll(game, B, scriptedDice([6]));
      assert.equal(fourth.completedRound?.winnerId, B);
      assert.equal(fourth.completedRound?.number, 2);
      assert.deepEqual(fourth.game.scores, { [A]: 1, [B]: 1 });
      assert.deepEqual(
        fourth.game.rolls.map((r) => [r.turn, r.round, r.userId, r.roll]),
        [
          [1, 1, A, 5],
          [2, 1, B, 3],
          [3, 2, A, 2],
          [4, 2, B, 6],
        ],
      );
    });

    it("scores nothing on a tie", () => {
      const game = play(started(), [4, 4]);
      assert.deepEqual(game.scores, { [A]: 0, [B]: 0 });
      assert.equal(game.round?.isTie, true);
      assert.equal(game.round?.winnerId, null);
      assert.equal(game.status, "in_progress");
    });

    it("ends exactly at targetScore, not before, and then refuses further rolls", () => {
      let game = play(started(3), [6, 1, 6, 1]);
      assert.deepEqual(game.scores, { [A]: 2, [B]: 0 });
      assert.equal(game.status, "in_progress", "2 of 3 is not a win");
      game = play(game, [3, 3]);
      assert.equal(game.status, "in_progress", "a tie at 2 does not end it");
      game = roll(game, A, scriptedDice([2])).game;
      const last = roll(game, B, scriptedDice([1]));
      assert.equal(last.ended, true);
      assert.equal(last.game.status, "finished");
      assert.equal(last.game.winnerId, A);
      assert.equal(last.game.endReason, "win");
      assert.equal(last.game.currentTurn, null);
      assert.deepEqual(finalScores(last.game), [
        [A, 3],
        [B, 0],
      ]);
      assert.equal(
        code(() => roll(last.game, B, scriptedDice([1]))),
        "GAME_NOT_IN_PROGRESS",
      );
    });

    it("ends a targetScore-1 game on the first decisive round", () => {
      const game = play(started(1), [2, 5]);
      assert.equal(game.status, "finished");
      assert.equal(game.winnerId, B);
    });

    it("refuses rolling out of turn, before the start, and by a non-player, changing nothing", () => {
      const waiting = seat(seat(newGame(), A), B);
      assert.equal(
        code(() => roll(waiting, A, scriptedDice([1]))),
        "GAME_NOT_IN_PROGRESS",
      );
      const game = started();
      const before = JSON.stringify(game);
      assert.equal(
        code(() => roll(game, B, scriptedDice([1]))),
        "NOT_YOUR_TURN",
      );
      assert.equal(
        code(() => roll(game, "watcher", scriptedDice([1]))),
        "SPECTATOR_CANNOT_ACT",
      );
      assert.equal(JSON.stringify(game), before);
    });

    it("refuses a die that returns something other than 1..6", () => {
      assert.throws(() => roll(started(), A, () => 7), /a die returned 7/);
      assert.throws(() => roll(started(), A, () => 2.5), /a die returned/);
    });

    it("plays seeded games to exactly the target score", () => {
      for (let seed = 1; seed <= 25; seed++) {
        const dice = seededDice(seed);
        let game = started(5, 1);
        let rolls = 0;
        while (game.status === "in_progress" && rolls++ < 1000) game = roll(game, game.currentTurn!, dice).game;
        assert.equal(game.status, "finished");
        const scores = Object.values(game.scores).sort();
        assert.equal(scores[1], 5, `seed ${seed}: the winner has exactly 5`);
        assert.ok(scores[0]! < 5);
        assert.equal(game.rolls.length % 2, 0, "a game always ends on a round's second roll");
      }
    });

    it("uses crypto dice in 1..6", () => {
      const seen = new Set<number>();
      for (let i = 0; i < 600; i++) seen.add(cryptoDice());
      assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6]);
    });
  });

  describe("leaving", () => {
    it("frees the seat of a player leaving before the game", () => {
      let game = markReady(seat(seat(newGame(), A), B), A, scriptedDice([])).game;
      const { game: after, ended } = playerGone(game, A, true);
      assert.equal(ended, false);
      assert.deepEqual(after.seats, [B]);
      assert.deepEqual(after.ready, []);
      assert.deepEqual(after.scores, { [B]: 0 });
      game = seat(after, "carol");
      assert.deepEqual(game.seats, [B, "carol"]);
    });

    it("makes a player leaving during play forfeit to a present opponent", () => {
      const game = play(started(), [6, 1]);
      const { game: after, ended } = playerGone(game, A, true);
      assert.equal(ended, true);
      assert.equal(after.status, "finished");
      assert.equal(after.winnerId, B);
      assert.equal(after.endReason, "forfeit");
      assert.deepEqual(after.scores, { [A]: 1, [B]: 0 }, "scores are kept");
    });

    it("holds the forfeit while the opponent is away: the opponent wins on return", () => {
      const game = started();
      const pending = playerGone(game, A, false);
      assert.equal(pending.ended, false);
      assert.equal(pending.game.status, "in_progress");
      assert.deepEqual(pending.game.gone, [A]);
      assert.equal(playerReturned(game, B).ended, false, "nothing to claim without a departure");
      const back = playerReturned(pending.game, B);
      assert.equal(back.ended, true);
      assert.equal(back.game.winnerId, B);
      assert.equal(back.game.endReason, "forfeit");
    });

    it("abandons the game when both players are gone", () => {
      const pending = playerGone(started(), A, false).game;
      const { game, ended } = playerGone(pending, B, false);
      assert.equal(ended, true);
      assert.equal(game.status, "abandoned");
      assert.equal(game.winnerId, null);
      assert.equal(game.endReason, "abandoned");
    });

    it("keeps the result when a player leaves a finished game, and closes the rematch", () => {
      const done = play(started(1), [6, 1]);
      assert.deepEqual(playerGone(done, A, true), { game: { ...done, rematchClosed: true }, ended: false });
    });

    it("abandons a game in progress on shutdown, and leaves other games alone", () => {
      const game = abandon(started(), "server_shutdown");
      assert.equal(game.status, "abandoned");
      assert.equal(game.endReason, "server_shutdown");
      const waiting = seat(newGame(), A);
      assert.equal(abandon(waiting, "server_shutdown"), waiting);
    });
  });

  describe("the turn clock (an injected clock: plain numbers)", () => {
    const T0 = 1_000_000;
    /** Started with `turnSeconds`, A's turn armed at T0. */
    const clocked = (turnSeconds = 10, targetScore = 10) => {
      let game = seat(seat(newGame(targetScore, turnSeconds), A), B);
      game = markReady(game, A, scriptedDice([])).game;
      return armTurn(markReady(game, B, scriptedDice([1])).game, T0, true);
    };

    it("puts the deadline turnSeconds ahead, and pauses it while the player is away", () => {
      const game = clocked(10);
      assert.equal(game.turnEndsAt, T0 + 10_000);
      assert.equal(armTurn(game, T0 + 5, false).turnEndsAt, null);
      assert.equal(armTurn(seat(newGame(), A), T0, true).turnEndsAt, null, "no clock before the game");
    });

    it("refuses turnSeconds outside 5–300", () => {
      for (const bad of [4, 301, 2.5])
        assert.equal(
          code(() => newGame(10, bad)),
          "INVALID_MESSAGE",
        );
      assert.equal(newGame(10, 5).turnSeconds, 5);
      assert.equal(newGame(10, 300).turnSeconds, 300);
    });

    it("does nothing before the deadline, and rolls for the player once it has passed", () => {
      const game = clocked(10);
      assert.equal(turnExpired(game, T0 + 9_999, scriptedDice([]), 3), null);
      const expiry = turnExpired(game, T0 + 10_000, scriptedDice([4]), 3)!;
      assert.equal(expiry.userId, A);
      assert.equal(expiry.forfeited, false);
      assert.equal(expiry.outcome.roll, 4);
      assert.equal(expiry.outcome.game.currentTurn, B);
      assert.equal(expiry.outcome.game.missedTurns[A], 1);
      assert.equal(
        turnExpired(armTurn(game, T0, false), T0 + 60_000, scriptedDice([]), 3),
        null,
        "paused: no auto-roll",
      );
    });

    it("forfeits a player with reason inactive after N consecutive missed turns, and a roll of one's own resets the count", () => {
      let game = clocked(10);
      let now = T0;
      const dice = scriptedDice([3, 3, 2, 2, 5, 5, 4, 4, 1, 1, 6]);
      const expire = () => {
        now = game.turnEndsAt!;
        const e = turnExpired(game, now, dice, 3)!;
        game = armTurn(e.outcome.game, now, true);
        return e;
      };
      expire(); // A misses (1)
      game = armTurn(roll(game, B, dice).game, now, true); // B rolls itself (ties 3-3)
      expire(); // A misses (2)
      game = armTurn(roll(game, B, dice).game, now, true);
      // A rolls once: the run is broken
      game = armTurn(roll(game, A, dice).game, now, true);
      assert.equal(game.missedTurns[A], 0);
      game = armTurn(roll(game, B, dice).game, now, true);
      expire(); // A (1)
      game = armTurn(roll(game, B, dice).game, now, true);
      expire(); // A (2)
      game = armTurn(roll(game, B, dice).game, now, true);
      const last = expire(); // A (3): forfeit
      assert.equal(last.forfeited, true);
      assert.equal(game.status, "finished");
      assert.equal(game.endReason, "inactive");
      assert.equal(game.winnerId, B);
      assert.equal(game.turnEndsAt, null);
    });

    it("never forfeits when DICE_MISSED_TURNS_FORFEIT is 0", () => {
      let game = clocked(10);
      const dice = seededDice(7);
      for (let i = 0; i < 20 && game.status === "in_progress"; i++) {
        const e = turnExpired(game, game.turnEndsAt!, dice, 0)!;
        assert.equal(e.forfeited, false);
        game = armTurn(e.outcome.game, game.turnEndsAt!, true);
      }
      assert.notEqual(game.endReason, "inactive");
    });

    it("records the open turn when the server stops mid-game", () => {
      const game = abandon(clocked(10), "server_shutdown");
      assert.deepEqual(game.pendingTurn, { userId: A, turnNumber: 1, turnEndsAt: T0 + 10_000 });
      assert.equal(abandon(clocked(10), "abandoned").pendingTurn, null);
    });
  });

  describe("rematch", () => {
    it("is refused before the game has ended, and changes nothing", () => {
      const game = started();
      assert.equal(
        code(() => requestRematch(game, A, scriptedDice([]))),
        "REMATCH_NOT_AVAILABLE",
      );
      assert.equal(
        code(() => requestRematch(game, "carol", scriptedDice([]))),
        "SPECTATOR_CANNOT_ACT",
      );
    });

    it("starts a fresh game with the same seats once both have asked", () => {
      const done = play(started(1), [6, 1]);
      const first = requestRematch(done, B, scriptedDice([]));
      assert.equal(first.started, false);
      assert.deepEqual(first.game.rematchRequests, [B]);
      assert.equal(requestRematch(first.game, B, scriptedDice([])).started, false, "asking twice counts once");
      const { game, started: began } = requestRematch(first.game, A, scriptedDice([2])); // even: the second seat starts
      assert.equal(began, true);
      assert.equal(game.status, "in_progress");
      assert.deepEqual(game.seats, [A, B]);
      assert.deepEqual(game.scores, { [A]: 0, [B]: 0 });
      assert.equal(game.currentTurn, B);
      assert.equal(game.turnNumber, 1);
      assert.deepEqual(game.rolls, []);
      assert.equal(game.round, null);
      assert.equal(game.winnerId, null);
      assert.deepEqual(game.rematchRequests, []);
    });

    it("lapses when either player leaves", () => {
      const done = play(started(1), [6, 1]);
      const asked = requestRematch(done, A, scriptedDice([])).game;
      const left = playerGone(asked, B, true).game;
      assert.deepEqual(left.rematchRequests, []);
      assert.equal(
        code(() => requestRematch(left, A, scriptedDice([1]))),
        "REMATCH_NOT_AVAILABLE",
      );
    });
  });
});
