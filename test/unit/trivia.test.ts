import assert from "node:assert/strict";
import { AppError } from "../../src/errors";
import * as rules from "../../src/systems/trivia/rules";
import { CreateSessionBody } from "../../src/systems/trivia/protocol";

const HOST = "host";
const Q1: rules.TriviaQuestion = {
  id: "q1",
  text: "2 + 2?",
  choices: ["3", "4", "5"],
  answerIndex: 1,
  timeLimitSec: 10,
};
const Q2: rules.TriviaQuestion = {
  id: "q2",
  text: "Capital of France?",
  choices: ["Paris", "Rome"],
  answerIndex: 0,
  timeLimitSec: 20,
};
const T0 = 1_000_000;

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === code, `expected ${code}`);
}

const started = () => rules.start(rules.newGame(HOST, [Q1, Q2]), HOST, T0);

describe("trivia rules", () => {
  describe("scoring", () => {
    it("gives a correct answer 500 plus up to 500 for speed, in proportion to the time left", () => {
      assert.equal(rules.scoreAnswer(true, 0, 10_000), 1000);
      assert.equal(rules.scoreAnswer(true, 5_000, 10_000), 750);
      assert.equal(rules.scoreAnswer(true, 2_500, 10_000), 875);
      assert.equal(rules.scoreAnswer(true, 10_000, 10_000), 500);
      assert.equal(rules.scoreAnswer(true, 99_000, 10_000), 500, "never below the base");
      assert.equal(rules.scoreAnswer(true, -5, 10_000), 1000, "never above the maximum");
    });

    it("gives a wrong answer nothing, however fast", () => {
      assert.equal(rules.scoreAnswer(false, 0, 10_000), 0);
      assert.equal(rules.scoreAnswer(false, 9_000, 10_000), 0);
    });

    it("ranks highest first, equal scores sharing a rank (1, 2, 2, 4), ties by username", () => {
      const ranked = rules.rankScoreboard([
        { userId: "a", username: "amy", team: null, score: 500 },
        { userId: "b", username: "bob", team: "red", score: 900 },
        { userId: "c", username: "cal", team: "red", score: 500 },
        { userId: "d", username: "abe", team: null, score: 500 },
        { userId: "e", username: "eve", team: "blue", score: 0 },
      ]);
      assert.deepEqual(
        ranked.map((r) => [r.username, r.rank]),
        [
          ["bob", 1],
          ["abe", 2],
          ["amy", 2],
          ["cal", 2],
          ["eve", 5],
        ],
      );
    });

    it("sums team totals over named teams only", () => {
      assert.deepEqual(
        rules.teamTotals([
          { team: "red", score: 100 },
          { team: "red", score: 250 },
          { team: "blue", score: 0 },
          { team: null, score: 999 },
          { team: "", score: 999 },
        ]),
        new Map([
          ["red", 350],
          ["blue", 0],
        ]),
      );
    });

    it("treats constructor, __proto__ and toString as team names like any other", () => {
      const totals = rules.teamTotals([
        { team: "constructor", score: 10 },
        { team: "__proto__", score: 20 },
        { team: "toString", score: 30 },
        { team: "toString", score: 5 },
      ]);
      assert.deepEqual(
        [...totals],
        [
          ["constructor", 10],
          ["__proto__", 20],
          ["toString", 35],
        ],
      );
    });
  });

  describe("state machine", () => {
    it("plays lobby → question_active → question_closed → question_active → question_closed → finished", () => {
      let game = rules.newGame(HOST, [Q1, Q2]);
      assert.equal(game.status, "lobby");
      assert.equal(rules.currentQuestion(game), undefined);

      game = rules.start(game, HOST, T0);
      assert.equal(game.status, "question_active");
      assert.equal(rules.currentQuestion(game)?.id, "q1");
      assert.equal(game.deadline, T0 + 10_000);

      game = rules.answer(game, "p1", { questionId: "q1", choiceIndex: 1 }, T0 + 2_000); // right, 8 s left
      game = rules.answer(game, "p2", { questionId: "q1", choiceIndex: 0 }, T0 + 1_000); // wrong
      assert.deepEqual(game.scores, {}, "nothing scored while the question is open");
      const closed = rules.closeQuestion(game);
      game = closed.game;
      assert.equal(game.status, "question_closed");
      assert.equal(closed.question.answerIndex, 1);
      assert.deepEqual(game.scores, { p1: 900, p2: 0 });
      assert.deepEqual(
        closed.scored.map((a) => [a.userId, a.correct, a.points, a.elapsedMs]),
        [
          ["p1", true, 900, 2_000],
          ["p2", false, 0, 1_000],
        ],
      );

      game = rules.nextQuestion(game, HOST, T0 + 20_000);
      assert.equal(game.status, "question_active");
      assert.equal(rules.currentQuestion(game)?.id, "q2");
      assert.deepEqual(game.pending, {}, "answers start afresh");
      game = rules.answer(game, "p2", { questionId: "q2", choiceIndex: 0 }, T0 + 20_000); // right, instantly
      game = rules.closeQuestion(game).game;
      assert.deepEqual(game.scores, { p1: 900, p2: 1000 });
      assert.equal(game.answers.length, 3, "every scored answer is kept for the results");

      game = rules.nextQuestion(game, HOST, T0 + 40_000);
      assert.equal(game.status, "finished");
      throwsCode(() => rules.nextQuestion(game, HOST, T0 + 50_000), "SESSION_NOT_ACTIVE");
      throwsCode(() => rules.start(game, HOST, T0 + 50_000), "SESSION_NOT_ACTIVE");
    });

    it("lets only the host start and move on (NOT_HOST), and only at the right time", () => {
      const lobby = rules.newGame(HOST, [Q1, Q2]);
      throwsCode(() => rules.start(lobby, "p1", T0), "NOT_HOST");
      throwsCode(() => rules.nextQuestion(lobby, HOST, T0), "SESSION_NOT_ACTIVE");
      const active = started();
      throwsCode(() => rules.start(active, HOST, T0), "SESSION_NOT_ACTIVE");
      throwsCode(() => rules.nextQuestion(active, HOST, T0), "SESSION_NOT_ACTIVE");
      const closed = rules.closeQuestion(active).game;
      throwsCode(() => rules.nextQuestion(closed, "p1", T0), "NOT_HOST");
      throwsCode(() => rules.start(closed, HOST, T0), "SESSION_NOT_ACTIVE");
    });

    it("accepts one answer per participant per question (ALREADY_ANSWERED)", () => {
      const game = rules.answer(started(), "p1", { questionId: "q1", choiceIndex: 0 }, T0 + 1);
      throwsCode(() => rules.answer(game, "p1", { questionId: "q1", choiceIndex: 1 }, T0 + 2), "ALREADY_ANSWERED");
      assert.equal(game.pending.p1?.choiceIndex, 0, "the first answer stands");
    });

    it("refuses answers from the host, outside an open question, for another question, late or out of range", () => {
      const game = started();
      throwsCode(() => rules.answer(game, HOST, { questionId: "q1", choiceIndex: 1 }, T0), "HOST_CANNOT_ANSWER");
      throwsCode(
        () => rules.answer(rules.newGame(HOST, [Q1]), "p1", { questionId: "q1", choiceIndex: 1 }, T0),
        "SESSION_NOT_ACTIVE",
      );
      throwsCode(() => rules.answer(game, "p1", { questionId: "q2", choiceIndex: 0 }, T0), "SESSION_NOT_ACTIVE");
      throwsCode(
        () => rules.answer(game, "p1", { questionId: "q1", choiceIndex: 1 }, T0 + 10_000),
        "SESSION_NOT_ACTIVE",
      );
      throwsCode(() => rules.answer(game, "p1", { questionId: "q1", choiceIndex: 3 }, T0), "INVALID_MESSAGE");
      throwsCode(() => rules.answer(game, "p1", { questionId: "q1", choiceIndex: -1 }, T0), "INVALID_MESSAGE");
      throwsCode(() => rules.answer(game, "p1", { questionId: "q1", choiceIndex: 1.5 }, T0), "INVALID_MESSAGE");
      const closed = rules.closeQuestion(game).game;
      throwsCode(() => rules.answer(closed, "p1", { questionId: "q1", choiceIndex: 1 }, T0 + 1), "SESSION_NOT_ACTIVE");
      assert.deepEqual(game.pending, {}, "nothing recorded by a refusal");
    });

    it("closes early only when every participant but the host has answered", () => {
      let game = started();
      assert.equal(rules.everyoneAnswered(game, [HOST]), false, "nobody to wait for: the timer decides");
      assert.equal(rules.everyoneAnswered(game, [HOST, "p1", "p2"]), false);
      game = rules.answer(game, "p1", { questionId: "q1", choiceIndex: 0 }, T0 + 1);
      assert.equal(rules.everyoneAnswered(game, [HOST, "p1", "p2"]), false);
      assert.equal(rules.everyoneAnswered(game, [HOST, "p1"]), true);
      game = rules.answer(game, "p2", { questionId: "q1", choiceIndex: 0 }, T0 + 1);
      assert.equal(rules.everyoneAnswered(game, [HOST, "p1", "p2"]), true);
      assert.equal(rules.everyoneAnswered(rules.closeQuestion(game).game, ["p1", "p2"]), false, "not when closed");
    });

    it("never changes the game it was given", () => {
      const game = started();
      const snapshot = JSON.stringify(game);
      rules.answer(game, "p1", { questionId: "q1", choiceIndex: 1 }, T0 + 1);
      rules.closeQuestion(game);
      assert.equal(JSON.stringify(game), snapshot);
    });
  });

  describe("session input", () => {
    const valid = { title: "Quiz", questions: [{ text: "Q?", choices: ["a", "b"], answerIndex: 1, timeLimitSec: 1 }] };
    const withQuestion = (q: object) => ({ title: "Quiz", questions: [{ ...valid.questions[0], ...q }] });

    it("accepts a valid session", () => {
      assert.ok(CreateSessionBody.safeParse(valid).success);
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ["answerIndex past the choices", withQuestion({ answerIndex: 2 }), /answerIndex/],
      ["negative answerIndex", withQuestion({ answerIndex: -1 }), /answerIndex/],
      ["one choice", withQuestion({ choices: ["a"], answerIndex: 0 }), /choices/],
      ["seven choices", withQuestion({ choices: ["a", "b", "c", "d", "e", "f", "g"] }), /choices/],
      ["empty choice", withQuestion({ choices: ["a", "  "] }), /choices/],
      ["zero time limit", withQuestion({ timeLimitSec: 0 }), /timeLimitSec/],
      ["huge time limit", withQuestion({ timeLimitSec: 301 }), /timeLimitSec/],
      ["fractional time limit", withQuestion({ timeLimitSec: 1.5 }), /timeLimitSec/],
      ["huge question text", withQuestion({ text: "x".repeat(2001) }), /text/],
      ["no questions", { title: "Quiz", questions: [] }, /questions/],
      ["101 questions", { title: "Quiz", questions: Array(101).fill(valid.questions[0]) }, /questions/],
      ["unknown field", { ...valid, orgId: "other" }, /orgId|Unrecognized/i],
      ["missing title", { questions: valid.questions }, /title/],
    ];
    for (const [name, input, field] of bad) {
      it(`refuses ${name}`, () => {
        const parsed = CreateSessionBody.safeParse(input);
        assert.equal(parsed.success, false);
        assert.match(JSON.stringify(parsed.error?.issues.map((i) => i.path.join(".") + " " + i.message)), field);
      });
    }
  });
});
