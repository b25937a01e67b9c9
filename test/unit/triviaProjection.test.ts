import assert from "node:assert/strict";
import * as engine from "../../src/systems/trivia/engine";
import * as view from "../../src/systems/trivia/projection";
import { outcomeOf, SessionEnding } from "../../src/systems/trivia/results";
import * as rules from "../../src/systems/trivia/rules";
import type { TriviaOutcome } from "../../src/systems/trivia/trivia";

const HOST = "host";
const Q1: rules.TriviaQuestion = { id: "q1", text: "Pick", choices: ["w", "x", "y"], answerIndex: 2, timeLimitSec: 5 };
const Q2: rules.TriviaQuestion = { id: "q2", text: "Again", choices: ["a", "b"], answerIndex: 0, timeLimitSec: 5 };
const T0 = 1_000_000;
const SESSION = { id: "s1", title: "Quiz", hostId: HOST };

/** Host, amy and cal (team red) and bob (no team), first question open at T0. */
function opened() {
  let game = rules.newGame(HOST, [Q1, Q2]);
  for (const [id, team] of [
    ["amy", "red"],
    ["bob", ""],
    ["cal", "red"],
  ] as const)
    game = engine.join(game, { id, username: id }, team).game;
  return engine.start(game, HOST, T0);
}

const json = (state: unknown) => JSON.parse(JSON.stringify((state as { toJSON(): unknown }).toJSON()));

describe("trivia projection", () => {
  it("shows the lobby, then the open question without its answer and with nothing scored", () => {
    const lobby = rules.newGame(HOST, [Q1, Q2]);
    const state = view.newState(SESSION, lobby);
    view.syncState(state, lobby, T0);
    assert.deepEqual(json(state), {
      sessionId: "s1",
      title: "Quiz",
      hostId: HOST,
      status: "lobby",
      questionNumber: 0,
      questionCount: 2,
      timeRemaining: 0,
      revealedAnswerIndex: -1,
      participants: {},
      teams: {},
    });

    const { game } = opened();
    const answered = engine.answer(game, "amy", { questionId: "q1", choiceIndex: 2 }, T0 + 1000).game;
    view.syncState(state, answered, T0 + 1000);
    const shown = json(state);
    assert.equal(shown.status, "question_active");
    assert.equal(shown.timeRemaining, 4);
    assert.equal(shown.revealedAnswerIndex, -1);
    assert.deepEqual(shown.currentQuestion, {
      id: "q1",
      number: 1,
      text: "Pick",
      choices: ["w", "x", "y"],
      deadline: T0 + 5000,
    });
    assert.deepEqual(shown.participants.amy, {
      userId: "amy",
      username: "amy",
      team: "red",
      score: 0,
      connected: true,
      answered: true,
    });
    assert.equal(shown.participants.bob.answered, false);
    assert.deepEqual(shown.teams, { red: 0 });
    assert.doesNotMatch(JSON.stringify(shown), /answerIndex|correct|"2"/, "no trace of the answer");
  });

  it("reveals the answer and the scores only at the close, as events in the wire's order", () => {
    let { game } = opened();
    game = engine.answer(game, "amy", { questionId: "q1", choiceIndex: 2 }, T0).game;
    game = engine.answer(game, "bob", { questionId: "q1", choiceIndex: 0 }, T0).game;
    const step = engine.answer(game, "cal", { questionId: "q1", choiceIndex: 2 }, T0 + 2500);
    const state = view.newState(SESSION, step.game);
    view.syncState(state, step.game, T0 + 2500);
    const shown = json(state);
    assert.equal(shown.revealedAnswerIndex, 2);
    assert.equal(shown.timeRemaining, 0);
    assert.deepEqual(
      Object.values<any>(shown.participants).map((p) => [p.userId, p.score, p.answered]),
      [
        ["amy", 1000, true],
        ["bob", 0, true],
        ["cal", 750, true],
      ],
    );
    assert.deepEqual(shown.teams, { red: 1750 });

    assert.deepEqual(view.eventsOf(step.game, step.effects, T0 + 2500), [
      ["question_closed", { data: { question_id: "q1", correct_index: 2 } }],
      ["score_update", { data: { user_id: "amy", team: "red", score: 1000, question_id: "q1" } }],
      ["score_update", { data: { user_id: "bob", team: null, score: 0, question_id: "q1" } }],
      ["score_update", { data: { user_id: "cal", team: "red", score: 750, question_id: "q1" } }],
      ["score_update", { data: { user_id: null, team: "red", score: 1750, question_id: "q1" } }],
      ["session_update", { data: { state: "question_closed", question_number: 1, time_remaining: 0 } }],
    ]);
  });

  it("announces an opening with the question (never its answer), each countdown second, and the finish", () => {
    const start = opened();
    assert.deepEqual(view.eventsOf(start.game, start.effects, T0), [
      [
        "question_started",
        { data: { question_id: "q1", question_number: 1, text: "Pick", choices: ["w", "x", "y"], time_limit_sec: 5 } },
      ],
      ["session_update", { data: { state: "question_active", question_number: 1, time_remaining: 5 } }],
    ]);
    const tick = engine.tick(start.game, T0 + 1000);
    assert.deepEqual(view.eventsOf(tick.game, tick.effects, T0 + 1000), [
      ["session_update", { data: { state: "question_active", question_number: 1, time_remaining: 4 } }],
    ]);
    let game = engine.tick(start.game, T0 + 5000).game;
    game = engine.next(game, HOST, T0 + 6000).game;
    game = engine.tick(game, T0 + 11_000).game;
    const finish = engine.next(game, HOST, T0 + 12_000);
    assert.deepEqual(view.eventsOf(finish.game, finish.effects, T0 + 12_000), [
      ["session_update", { data: { state: "finished", question_number: 2, time_remaining: 0 } }],
    ]);
    assert.deepEqual(view.eventsOf(game, [], T0), [], "a quiet step announces nothing");
  });

  it("words the seat events", () => {
    assert.deepEqual(view.connection("s1", "amy"), {
      message: "Connected to session",
      session_id: "s1",
      user_id: "amy",
    });
    assert.deepEqual(view.presence("s1", "amy", 3), { user_id: "amy", session_id: "s1", participant_count: 3 });
    assert.deepEqual(view.chat("amy", "hi"), { type: "chat", user_id: "amy", data: { text: "hi" } });
    assert.deepEqual(view.kick("s1", "bob"), { session_id: "s1", user_id: "bob" });
  });
});

describe("trivia results", () => {
  function closedGame(): rules.TriviaGame {
    let { game } = opened();
    game = engine.answer(game, "bob", { questionId: "q1", choiceIndex: 2 }, T0).game;
    return engine.tick(game, T0 + 5000).game;
  }

  it("ranks every player by the closed questions' score, with every scored answer", () => {
    const outcome = outcomeOf(closedGame(), "interrupted");
    assert.equal(outcome.status, "interrupted");
    assert.deepEqual(
      outcome.scoreboard.map((e) => [e.userId, e.team, e.score, e.rank]),
      [
        ["bob", null, 1000, 1],
        ["amy", "red", 0, 2],
        ["cal", "red", 0, 2],
      ],
    );
    assert.deepEqual(
      outcome.answers.map((a) => [a.userId, a.correct, a.points]),
      [["bob", true, 1000]],
    );
  });

  /** A store that records writes, and fails while `down`. */
  function store() {
    const writes: TriviaOutcome["status"][] = [];
    const s = {
      down: false,
      writes,
      saveOutcome(_id: string, outcome: TriviaOutcome): Promise<void> {
        if (s.down) return Promise.reject(new Error("database is down"));
        writes.push(outcome.status);
        return Promise.resolve();
      },
    };
    return s;
  }

  it("stores finished before resolving; a failed write can be retried; then an interrupt stores nothing more", async () => {
    const db = store();
    const ending = new SessionEnding(db, "s1");
    const game = closedGame();
    db.down = true;
    await assert.rejects(ending.finish(game), /database is down/);
    assert.equal(ending.underway, false, "the failure leaves the session as it was");
    db.down = false;
    await ending.finish(game);
    assert.equal(ending.underway, true);
    await ending.interrupt(() => game);
    assert.deepEqual(db.writes, ["finished"]);
    assert.equal(ending.interrupted, false);
  });

  it("stores a started session as interrupted once, and a session still in the lobby not at all", async () => {
    const db = store();
    const lobby = new SessionEnding(db, "s1");
    await lobby.interrupt(() => rules.newGame(HOST, [Q1]));
    assert.deepEqual(db.writes, []);

    const ending = new SessionEnding(db, "s2");
    await Promise.all([ending.interrupt(() => closedGame()), ending.interrupt(() => closedGame())]);
    assert.deepEqual(db.writes, ["interrupted"]);
    assert.equal(ending.interrupted, true);
  });
});
