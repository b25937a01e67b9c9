import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx } from "../helpers/server";
import { createUser } from "../helpers/users";

const QUESTIONS = [
  { text: "2 + 2?", choices: ["3", "4", "5"], answerIndex: 1, timeLimitSec: 10 },
  { text: "Capital of France?", choices: ["Paris", "Rome"], answerIndex: 0, timeLimitSec: 300 },
];

async function count(table: string): Promise<number> {
  const { rows } = await ctx().db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

describe("REST /api/trivia", () => {
  describe("POST /api/trivia/sessions", () => {
    it("stores the session and its questions in the caller's org, the caller as host", async () => {
      const host = await createUser({ orgId: "acme" });
      const res = await api("POST", "/api/trivia/sessions", {
        token: host.token,
        body: { title: "Friday quiz", questions: QUESTIONS },
      });
      assert.equal(res.status, 201);
      assert.match(res.body.sessionId, /^[0-9a-f-]{36}$/);
      assert.equal(res.body.id, res.body.sessionId);
      assert.equal(res.body.title, "Friday quiz");
      assert.equal(res.body.status, "lobby");
      assert.equal(res.body.hostId, host.id);
      assert.equal(res.body.questionCount, 2);
      assert.ok(!JSON.stringify(res.body).includes("answerIndex"), "answers are not echoed");

      const { rows: sessions } = await ctx().db.query(
        "SELECT org_id, host_id, status FROM trivia_sessions WHERE id = $1",
        [res.body.sessionId],
      );
      assert.deepEqual(sessions, [{ org_id: "acme", host_id: host.id, status: "lobby" }]);
      const { rows: questions } = await ctx().db.query(
        "SELECT position, text, choices, answer_index, time_limit_sec FROM trivia_questions WHERE session_id = $1 ORDER BY position",
        [res.body.sessionId],
      );
      assert.deepEqual(questions, [
        { position: 1, text: "2 + 2?", choices: ["3", "4", "5"], answer_index: 1, time_limit_sec: 10 },
        { position: 2, text: "Capital of France?", choices: ["Paris", "Rome"], answer_index: 0, time_limit_sec: 300 },
      ]);
    });

    it("refuses a caller whose token has no org_id with 403", async () => {
      const loner = await createUser();
      const res = await api("POST", "/api/trivia/sessions", {
        token: loner.token,
        body: { title: "Quiz", questions: QUESTIONS },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "FORBIDDEN");
      assert.match(res.body.error, /org_id/);
      assert.equal(await count("trivia_sessions"), 0);
    });

    it("requires a token", async () => {
      const res = await api("POST", "/api/trivia/sessions", { body: { title: "Quiz", questions: QUESTIONS } });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "UNAUTHORIZED");
    });

    describe("bad input: 400 naming the field, nothing stored", () => {
      const q = QUESTIONS[0]!;
      const cases: Array<[string, unknown, RegExp]> = [
        ["answerIndex out of range", { title: "Q", questions: [{ ...q, answerIndex: 3 }] }, /answerIndex/],
        ["answerIndex a string", { title: "Q", questions: [{ ...q, answerIndex: "1" }] }, /answerIndex/],
        ["a single choice", { title: "Q", questions: [{ ...q, choices: ["only"], answerIndex: 0 }] }, /choices/],
        [
          "seven choices",
          { title: "Q", questions: [{ ...q, choices: ["1", "2", "3", "4", "5", "6", "7"] }] },
          /choices/,
        ],
        ["choices not strings", { title: "Q", questions: [{ ...q, choices: [1, 2] }] }, /choices/],
        ["time limit 0", { title: "Q", questions: [{ ...q, timeLimitSec: 0 }] }, /timeLimitSec/],
        ["time limit 301", { title: "Q", questions: [{ ...q, timeLimitSec: 301 }] }, /timeLimitSec/],
        ["huge question text", { title: "Q", questions: [{ ...q, text: "x".repeat(2001) }] }, /text/],
        ["huge title", { title: "t".repeat(201), questions: [q] }, /title/],
        ["no questions", { title: "Q", questions: [] }, /questions/],
        ["questions not an array", { title: "Q", questions: "lots" }, /questions/],
        ["missing title", { questions: [q] }, /title/],
        ["unknown field", { title: "Q", questions: [q], orgId: "other-org" }, /orgId|Unrecognized/i],
        ["unknown question field", { title: "Q", questions: [{ ...q, hint: "4" }] }, /hint|Unrecognized/i],
        ["array body", [q], /payload|expected object/],
      ];
      for (const [name, body, field] of cases) {
        it(name, async () => {
          const host = await createUser({ orgId: "acme" });
          const res = await api("POST", "/api/trivia/sessions", { token: host.token, body });
          assert.equal(res.status, 400, JSON.stringify(res.body));
          assert.equal(res.body.code, "INVALID_REQUEST");
          assert.match(res.body.error, field);
          assert.equal(await count("trivia_sessions"), 0);
          assert.equal(await count("trivia_questions"), 0);
        });
      }

      it("malformed JSON", async () => {
        const host = await createUser({ orgId: "acme" });
        const res = await api("POST", "/api/trivia/sessions", { token: host.token, body: "{nope" });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, "INVALID_REQUEST");
      });
    });
  });

  describe("GET /api/trivia/sessions/:id/results", () => {
    it("answers a session that has not ended with its status and no items", async () => {
      const host = await createUser({ orgId: "acme" });
      const created = await api("POST", "/api/trivia/sessions", {
        token: host.token,
        body: { title: "Q", questions: QUESTIONS },
      });
      const colleague = await createUser({ orgId: "acme" });
      const res = await api("GET", `/api/trivia/sessions/${created.body.sessionId}/results`, {
        token: colleague.token,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { id: created.body.sessionId, status: "lobby", items: [], teams: [] });
    });

    it("answers another org's session exactly as an unknown one (404), and a malformed id the same", async () => {
      const host = await createUser({ orgId: "acme" });
      const created = await api("POST", "/api/trivia/sessions", {
        token: host.token,
        body: { title: "Q", questions: QUESTIONS },
      });
      const outsider = await createUser({ orgId: "globex" });
      const other = await api("GET", `/api/trivia/sessions/${created.body.sessionId}/results`, {
        token: outsider.token,
      });
      const unknown = await api("GET", `/api/trivia/sessions/${crypto.randomUUID()}/results`, {
        token: outsider.token,
      });
      const malformed = await api("GET", "/api/trivia/sessions/not-a-uuid/results", { token: outsider.token });
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, unknown.body);
      assert.deepEqual(malformed.body, unknown.body);
      assert.equal(malformed.status, 404);
      assert.deepEqual(unknown.body, { status: "failed", error: "Trivia session not found", code: "NOT_FOUND" });
    });

    it("refuses a caller without org_id with 403, and no token with 401", async () => {
      const loner = await createUser();
      const res = await api("GET", `/api/trivia/sessions/${crypto.randomUUID()}/results`, { token: loner.token });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "FORBIDDEN");
      const anonymous = await api("GET", `/api/trivia/sessions/${crypto.randomUUID()}/results`);
      assert.equal(anonymous.status, 401);
    });

    it("reads the written scoreboard, best first, with team totals", async () => {
      const host = await createUser({ orgId: "acme" });
      const [a, b, c] = [
        await createUser({ orgId: "acme" }),
        await createUser({ orgId: "acme" }),
        await createUser({ orgId: "acme" }),
      ];
      const created = await api("POST", "/api/trivia/sessions", {
        token: host.token,
        body: { title: "Q", questions: QUESTIONS },
      });
      const sessionId = created.body.sessionId;
      await ctx().services.triviaResults.saveOutcome(sessionId, {
        status: "finished",
        scoreboard: [
          { userId: b.id, username: b.username, team: "red", score: 900, rank: 1 },
          { userId: a.id, username: a.username, team: "red", score: 500, rank: 2 },
          { userId: c.id, username: c.username, team: null, score: 0, rank: 3 },
        ],
        answers: [],
      });
      const res = await api("GET", `/api/trivia/sessions/${sessionId}/results`, { token: a.token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        id: sessionId,
        status: "finished",
        items: [
          { userId: b.id, username: b.username, team: "red", score: 900, rank: 1 },
          { userId: a.id, username: a.username, team: "red", score: 500, rank: 2 },
          { userId: c.id, username: c.username, team: null, score: 0, rank: 3 },
        ],
        teams: [{ team: "red", score: 1400 }],
      });
    });
  });
});
