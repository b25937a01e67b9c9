import assert from "node:assert/strict";
import {
  DEDUP_WINDOW_MS,
  decideAnswer,
  decideSend,
  rateLimitVerdict,
  RATE_WINDOW_MS,
  sendsInWindow,
  statusAfter,
  type SendFacts,
} from "../../src/systems/lobby/rules";

const NOW = new Date("2026-11-22T10:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const facts = (over: Partial<SendFacts> = {}): SendFacts => ({
  senderId: "alice",
  receiverId: "bob",
  receiverExists: true,
  areFriends: true,
  receiverOnline: true,
  pendingBetween: false,
  lastSentToReceiverAt: null,
  recentSends: [],
  limitPerMinute: 3,
  now: NOW,
  ...over,
});

const codeOf = (d: ReturnType<typeof decideSend>) => (d.ok ? "ok" : d.code);

describe("invitation rules", () => {
  describe("decideSend", () => {
    it("allows a send between online friends with nothing pending", () => {
      assert.deepEqual(decideSend(facts()), { ok: true });
    });

    it("refuses yourself as receiver with INVALID_MESSAGE naming toUserId", () => {
      const d = decideSend(facts({ receiverId: "alice" }));
      assert.equal(codeOf(d), "INVALID_MESSAGE");
      assert.match(!d.ok ? d.message : "", /toUserId/);
    });

    it("refuses an unknown receiver, a non-friend and an offline receiver, in that order", () => {
      assert.equal(
        codeOf(decideSend(facts({ receiverExists: false, areFriends: false, receiverOnline: false }))),
        "NOT_FOUND",
      );
      assert.equal(codeOf(decideSend(facts({ blocked: true, areFriends: false, receiverOnline: false }))), "BLOCKED");
      assert.equal(codeOf(decideSend(facts({ areFriends: false, receiverOnline: false }))), "NOT_FRIENDS");
      assert.equal(codeOf(decideSend(facts({ receiverOnline: false }))), "USER_OFFLINE");
    });

    it("refuses a second pending invitation between the pair", () => {
      assert.equal(codeOf(decideSend(facts({ pendingBetween: true }))), "DUPLICATE_INVITATION");
    });

    it("refuses a repeat to the same receiver inside the dedup window, and allows it after", () => {
      assert.equal(
        codeOf(decideSend(facts({ lastSentToReceiverAt: ago(DEDUP_WINDOW_MS - 1) }))),
        "DUPLICATE_INVITATION",
      );
      assert.equal(codeOf(decideSend(facts({ lastSentToReceiverAt: ago(DEDUP_WINDOW_MS) }))), "ok");
    });

    it("reports a duplicate before the rate limit (a refused send is not counted)", () => {
      const full = [ago(1000), ago(2000), ago(3000)];
      assert.equal(codeOf(decideSend(facts({ pendingBetween: true, recentSends: full }))), "DUPLICATE_INVITATION");
      assert.equal(codeOf(decideSend(facts({ recentSends: full }))), "RATE_LIMITED");
    });

    it("reads the limit it is given (configuration at call time)", () => {
      const two = [ago(1000), ago(2000)];
      assert.equal(codeOf(decideSend(facts({ recentSends: two, limitPerMinute: 2 }))), "RATE_LIMITED");
      assert.equal(codeOf(decideSend(facts({ recentSends: two, limitPerMinute: 3 }))), "ok");
    });
  });

  describe("rate limit over a rolling minute", () => {
    it("counts only sends inside the window ending now", () => {
      assert.equal(sendsInWindow([ago(RATE_WINDOW_MS + 1), ago(RATE_WINDOW_MS), ago(59_999), ago(0)], NOW), 2);
      assert.equal(sendsInWindow([new Date(NOW.getTime() + 1000)], NOW), 0, "a future time is not counted");
    });

    it("frees a slot exactly when the oldest counted send ages out", () => {
      const sent = [ago(50_000), ago(20_000), ago(10_000)];
      const full = rateLimitVerdict(sent, NOW, 3);
      assert.deepEqual(full, { allowed: false, retryAfterMs: 10_000 });
      const later = new Date(NOW.getTime() + 10_000);
      assert.deepEqual(rateLimitVerdict(sent, later, 3), { allowed: true });
      assert.deepEqual(rateLimitVerdict(sent, NOW, 4), { allowed: true });
    });

    it("when over the limit (the limit was lowered), waits for enough sends to age out", () => {
      const sent = [ago(50_000), ago(40_000), ago(30_000), ago(20_000)];
      assert.deepEqual(rateLimitVerdict(sent, NOW, 2), { allowed: false, retryAfterMs: 30_000 });
    });

    it("says when to retry in the refusal", () => {
      const d = decideSend(facts({ recentSends: [ago(55_000), ago(1), ago(2)] }));
      assert.equal(codeOf(d), "RATE_LIMITED");
      assert.match(!d.ok ? d.message : "", /3 invitations a minute: try again in 5 s/);
    });
  });

  describe("decideAnswer", () => {
    it("lets the receiver answer a pending invitation", () => {
      assert.deepEqual(decideAnswer({ receiverId: "bob", status: "pending" }, "bob"), { ok: true });
    });

    it("hides the invitation from anyone else, the sender included", () => {
      for (const actor of ["alice", "mallory"]) {
        assert.equal(codeOf(decideAnswer({ receiverId: "bob", status: "pending" }, actor)), "INVITATION_NOT_FOUND");
      }
      assert.equal(codeOf(decideAnswer(null, "bob")), "INVITATION_NOT_FOUND");
    });

    it("refuses an answer to an answered or expired invitation", () => {
      for (const status of ["accepted", "declined", "expired"] as const) {
        const d = decideAnswer({ receiverId: "bob", status }, "bob");
        assert.equal(codeOf(d), "INVITATION_NOT_PENDING");
        assert.match(!d.ok ? d.message : "", new RegExp(status));
      }
    });

    it("does not reveal the status of someone else's answered invitation", () => {
      assert.equal(codeOf(decideAnswer({ receiverId: "bob", status: "accepted" }, "mallory")), "INVITATION_NOT_FOUND");
    });

    it("maps answers to statuses", () => {
      assert.equal(statusAfter("accept"), "accepted");
      assert.equal(statusAfter("decline"), "declined");
    });
  });
});
