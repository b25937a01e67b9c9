import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cappedBatch,
  isOnline,
  newestFirstPage,
  nextReadPosition,
  statusChange,
} from "../../src/systems/conversation/rules";

describe("conversation rules", () => {
  it("counts a participant online while any of their seats is connected", () => {
    const seats = [
      { userId: "a", connected: false },
      { userId: "a", connected: true },
      { userId: "b", connected: false },
    ];
    assert.equal(isOnline(seats, "a"), true);
    assert.equal(isOnline(seats, "b"), false);
    assert.equal(isOnline(seats, "c"), false);
  });

  it("announces only a change of online status", () => {
    assert.equal(statusChange(false, true), "online");
    assert.equal(statusChange(true, false), "offline");
    assert.equal(statusChange(true, true), null);
    assert.equal(statusChange(false, false), null);
  });

  it("never moves a read position backwards", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1e9 }), { maxLength: 50 }), (marks) => {
        let position = 0;
        for (const id of marks) {
          const next = nextReadPosition(position, id);
          assert.ok(next >= position && next >= id);
          position = next;
        }
        assert.equal(position, Math.max(0, ...marks));
      }),
    );
  });

  it("cuts newest-first pages that cover every row exactly once, the last with nextCursor null", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 10 }), (count, limit) => {
        const all = Array.from({ length: count }, (_, i) => ({ id: count - i })); // newest first
        const seen: number[] = [];
        let before: number | null = Infinity;
        for (let guard = 0; before !== null && guard < 100; guard++) {
          const cursor: number = before;
          const page = newestFirstPage(all.filter((r) => r.id < cursor).slice(0, limit + 1), limit);
          assert.ok(page.items.length <= limit);
          seen.push(...page.items.map((r) => r.id));
          before = page.nextCursor;
        }
        assert.deepEqual(
          seen,
          all.map((r) => r.id),
        );
      }),
    );
  });

  it("caps a sync batch and says when more remain", () => {
    assert.deepEqual(cappedBatch([1, 2, 3], 3), { messages: [1, 2, 3], hasMore: false });
    assert.deepEqual(cappedBatch([1, 2, 3, 4], 3), { messages: [1, 2, 3], hasMore: true });
    assert.deepEqual(cappedBatch([], 3), { messages: [], hasMore: false });
  });
});
