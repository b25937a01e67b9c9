import assert from "node:assert/strict";
import { MemberSnapshot } from "../../src/systems/space/memberSnapshot";

/** A loader counting its calls; while `gate` is set, a load waits for it before answering. */
function loader(initial: string[] | null) {
  let answer = initial;
  const l = {
    calls: { count: 0, max: 0 },
    gate: undefined as Promise<void> | undefined,
    set: (ids: string[] | null) => void (answer = ids),
    load: async (max: number) => {
      l.calls.count++;
      l.calls.max = max;
      await l.gate;
      return answer;
    },
  };
  return l;
}

describe("MemberSnapshot (a live space room's copy of its members)", () => {
  it("answers members from one load, and only a 'yes' (a stranger is a miss)", async () => {
    const l = loader(["a", "b"]);
    const s = new MemberSnapshot(l.load, 60_000, 100);
    assert.deepEqual(await Promise.all([s.has("a"), s.has("b"), s.has("z")]), [true, true, false]);
    assert.equal(l.calls.count, 1, "concurrent joins share one load");
    assert.equal(l.calls.max, 100);
  });

  it("forgets a removed member, also when the removal arrives while it loads", async () => {
    const l = loader(["a", "b", "c"]);
    const s = new MemberSnapshot(l.load, 60_000, 100);
    let open!: () => void;
    l.gate = new Promise((r) => (open = r));
    const pending = s.has("a");
    s.removed("a"); // MEMBER_REMOVED before the (older) answer lands
    open();
    assert.equal(await pending, false);
    s.removed("b");
    assert.equal(await s.has("b"), false);
    assert.equal(await s.has("c"), true);
  });

  it("reloads once its copy is older than maxAgeMs", async () => {
    let now = 0;
    const l = loader(["a"]);
    const s = new MemberSnapshot(l.load, 1000, 100, () => now);
    assert.equal(await s.has("a"), true);
    l.set([]);
    now = 1000;
    assert.equal(await s.has("a"), true, "still within maxAgeMs");
    now = 1001;
    assert.equal(await s.has("a"), false);
    assert.equal(l.calls.count, 2);
  });

  it("is off with maxAgeMs 0, after close(), for a space too large to copy, and after a failed load", async () => {
    const off = loader(["a"]);
    assert.equal(await new MemberSnapshot(off.load, 0, 100).has("a"), false);
    assert.equal(off.calls.count, 0);

    const closed = new MemberSnapshot(loader(["a"]).load, 60_000, 100);
    assert.equal(await closed.has("a"), true);
    closed.close();
    assert.equal(await closed.has("a"), false);

    const large = loader(null);
    const big = new MemberSnapshot(large.load, 60_000, 100);
    assert.equal(await big.has("a"), false);
    assert.equal(await big.has("a"), false);
    assert.equal(large.calls.count, 1, "a miss does not reload before maxAgeMs");

    const failing = new MemberSnapshot(() => Promise.reject(new Error("database down")), 60_000, 100);
    assert.equal(await failing.has("a"), false);
  });
});
