import assert from "node:assert/strict";
import { AppError } from "../../src/errors";
import * as engine from "../../src/systems/trivia/engine";
import * as rules from "../../src/systems/trivia/rules";

const HOST = "host";
const Q1: rules.TriviaQuestion = { id: "q1", text: "2 + 2?", choices: ["3", "4"], answerIndex: 1, timeLimitSec: 3 };
const Q2: rules.TriviaQuestion = { id: "q2", text: "Red?", choices: ["yes", "no"], answerIndex: 0, timeLimitSec: 10 };
const T0 = 1_000_000;
const amy = { id: "amy", username: "amy" };
const bob = { id: "bob", username: "bob" };

function throwsCode(fn: () => unknown, code: string, status?: number): void {
  assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === code && (status ?? e.status) === e.status);
}

/** Host, amy (team red) and bob seated, first question open at T0. */
function opened(): rules.TriviaGame {
  let game = rules.newGame(HOST, [Q1, Q2]);
  game = engine.join(game, { id: HOST, username: "host" }).game;
  game = engine.join(game, amy, "red").game;
  game = engine.join(game, bob).game;
  return engine.start(game, HOST, T0).game;
}

describe("trivia engine", () => {
  describe("players", () => {
    it("seats everyone but the host, in join order; a returning player keeps score and first team", () => {
      let game = opened();
      assert.deepEqual(
        game.players.map((p) => [p.userId, p.team, p.connected]),
        [
          ["amy", "red", true],
          ["bob", "", true],
        ],
      );
      game = engine.answer(game, "amy", { questionId: "q1", choiceIndex: 1 }, T0).game;
      game = engine.answer(game, "bob", { questionId: "q1", choiceIndex: 0 }, T0).game;
      game = engine.setConnected(game, "amy", false).game;
      assert.equal(rules.playerOf(game, "amy")?.connected, false);
      game = engine.join(game, amy, "blue").game;
      assert.deepEqual(rules.playerOf(game, "amy"), { userId: "amy", username: "amy", team: "red", connected: true });
      assert.equal(rules.scoreOf(game, "amy"), 1000, "the score stays");
    });

    it("refuses a join once finished (409) or after a kick (403); only the host kicks, only a player", () => {
      let game = opened();
      throwsCode(() => engine.kick(game, "amy", "bob"), "NOT_HOST");
      throwsCode(() => engine.kick(game, HOST, HOST), "NOT_PARTICIPANT");
      throwsCode(() => engine.kick(game, HOST, "stranger"), "NOT_PARTICIPANT");
      game = engine.kick(game, HOST, "bob").game;
      assert.deepEqual(game.kicked, ["bob"]);
      assert.ok(rules.playerOf(game, "bob"), "a removed player stays on the scoreboard");
      throwsCode(() => engine.join(game, bob), "FORBIDDEN", 403);
      assert.equal(engine.kick(game, HOST, "bob").game, game, "kicking again changes nothing");

      const finished = { ...game, status: "finished" as const };
      throwsCode(() => engine.join(finished, { id: "cal", username: "cal" }), "SESSION_NOT_ACTIVE", 409);
    });
  });

  describe("steps", () => {
    it("announces the opening, the countdown, the close at the deadline and the finish", () => {
      let game = rules.newGame(HOST, [Q1]);
      const start = engine.start(game, HOST, T0);
      assert.deepEqual(start.effects, [{ type: "opened", question: Q1 }]);
      game = start.game;
      assert.deepEqual(engine.tick(game, T0 + 1000).effects, [{ type: "ticked" }]);
      const closed = engine.tick(game, T0 + 3000);
      assert.equal(closed.effects[0]?.type, "closed");
      assert.equal(closed.game.status, "question_closed");
      assert.deepEqual(engine.tick(closed.game, T0 + 4000), { game: closed.game, effects: [] }, "nothing to time");
      const finished = engine.next(closed.game, HOST, T0 + 5000);
      assert.deepEqual(finished.effects, [{ type: "finished" }]);
      assert.equal(finished.game.status, "finished");
    });

    it("closes when every connected player has answered, including when the last one waited for leaves", () => {
      let game = opened();
      let step = engine.answer(game, "amy", { questionId: "q1", choiceIndex: 1 }, T0 + 500);
      assert.deepEqual(step.effects, [], "bob has not answered");
      game = step.game;
      assert.equal(rules.hasAnswered(game, "amy"), true);
      assert.equal(rules.hasAnswered(game, "bob"), false);
      step = engine.setConnected(game, "bob", false);
      assert.equal(step.effects[0]?.type, "closed", "nobody connected is left to wait for");
      game = step.game;
      assert.deepEqual(game.scores, { amy: 917 });
      assert.equal(rules.hasAnswered(game, "amy"), true, "still shown as answered once closed");

      game = engine.next(game, HOST, T0 + 20_000).game;
      assert.equal(rules.hasAnswered(game, "amy"), false, "a new question starts afresh");
    });

    it("opens the next question on next_question, and refuses moves at the wrong time", () => {
      let game = opened();
      throwsCode(() => engine.next(game, HOST, T0), "SESSION_NOT_ACTIVE");
      game = engine.tick(game, T0 + 3000).game;
      const step = engine.next(game, HOST, T0 + 4000);
      assert.deepEqual(step.effects, [{ type: "opened", question: Q2 }]);
      assert.equal(step.game.deadline, T0 + 14_000);
      throwsCode(() => engine.start(step.game, HOST, T0), "SESSION_NOT_ACTIVE");
    });
  });

  describe("time", () => {
    it("wakes each whole second of the countdown and at the deadline, and counts whole seconds left", () => {
      const game = opened(); // Q1: 3 s from T0
      assert.equal(engine.nextWake(game, T0), T0 + 1000);
      assert.equal(engine.nextWake(game, T0 + 999), T0 + 1000);
      assert.equal(engine.nextWake(game, T0 + 1000), T0 + 2000);
      assert.equal(engine.nextWake(game, T0 + 2500), T0 + 3000);
      assert.deepEqual(
        [0, 1, 999, 1000, 2000, 2999, 3000, 9000].map((ms) => engine.secondsLeft(game, T0 + ms)),
        [3, 3, 3, 2, 1, 1, 0, 0],
      );
      assert.equal(engine.nextWake(rules.newGame(HOST, [Q1]), T0), undefined, "no timer in the lobby");
      const closed = engine.tick(game, T0 + 3000).game;
      assert.equal(engine.nextWake(closed, T0 + 3000), undefined);
      assert.equal(engine.secondsLeft(closed, T0), 0);
    });

    it("a question with a fractional last second closes at its deadline, not on a whole second", () => {
      const game = { ...opened(), deadline: T0 + 2500 };
      assert.equal(engine.nextWake(game, T0 + 2000), T0 + 2500);
    });
  });
});
