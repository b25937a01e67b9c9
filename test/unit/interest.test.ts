import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cellSizeFor,
  effectiveViewRadius,
  InterestGrid,
  inView,
  MAX_GRID_SIDE,
  type Observer,
} from "../../src/systems/space/interest";

/** A listener that keeps the pairs it was told about, and fails on a double enter or a stray leave. */
function recorder() {
  const pairs = new Set<string>();
  const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const events: string[] = [];
  return {
    pairs,
    events,
    listener: {
      enter(a: string, b: string) {
        assert.ok(!pairs.has(key(a, b)), `double enter ${a} ${b}`);
        pairs.add(key(a, b));
        events.push(`+${key(a, b)}`);
      },
      leave(a: string, b: string) {
        assert.ok(pairs.has(key(a, b)), `leave without enter ${a} ${b}`);
        pairs.delete(key(a, b));
        events.push(`-${key(a, b)}`);
      },
    },
    key,
  };
}

/** Who sees whom, by brute force over every pair. */
function bruteForce(avatars: Map<string, { x: number; y: number }>, radius: number): Set<string> {
  const out = new Set<string>();
  const ids = [...avatars.keys()].sort();
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const a = avatars.get(ids[i]!)!;
      const b = avatars.get(ids[j]!)!;
      if (inView(a.x, a.y, b.x, b.y, radius)) out.add(`${ids[i]}|${ids[j]}`);
    }
  }
  return out;
}

describe("interest management (rules/interest)", () => {
  it("the view is a square: edges included, corners included, one step outside excluded", () => {
    assert.equal(inView(100, 100, 150, 150, 50), true);
    assert.equal(inView(100, 100, 150.5, 100, 50), false);
    assert.equal(inView(100, 100, 100, 49, 50), false);
    assert.equal(inView(0, 0, 0, 0, 1), true);
  });

  it("a space's own radius wins over the default; 0 means unlimited", () => {
    assert.equal(effectiveViewRadius(null, 500), 500);
    assert.equal(effectiveViewRadius(undefined, 500), 500);
    assert.equal(effectiveViewRadius(120, 500), 120);
    assert.equal(effectiveViewRadius(0, 500), 0);
  });

  it("cells are the view radius, widened so no side exceeds MAX_GRID_SIDE cells", () => {
    assert.equal(cellSizeFor({ width: 1000, height: 1000 }, 100), 100);
    assert.equal(cellSizeFor({ width: 100_000, height: 10 }, 1), Math.ceil(100_000 / MAX_GRID_SIDE));
    assert.throws(() => new InterestGrid({ width: 10, height: 10 }, 0, recorder().listener), RangeError);
  });

  it("entering and leaving view: enter once per pair, leave once, symmetric visible sets", () => {
    const rec = recorder();
    const grid = new InterestGrid<string>({ width: 1000, height: 1000 }, 100, rec.listener);
    const a = grid.insert("a", 100, 100);
    const b = grid.insert("b", 150, 180);
    const c = grid.insert("c", 900, 900);
    assert.deepEqual(rec.events, ["+a|b"]);
    assert.ok(a.visible.has(b) && b.visible.has(a));
    assert.equal(c.visible.size, 0);

    grid.move(b, 250, 180); // 150 away on x: out of a's view
    assert.deepEqual(rec.events, ["+a|b", "-a|b"]);
    assert.equal(a.visible.size, 0);
    grid.move(b, 200, 200); // exactly on the edge: back in
    assert.deepEqual(rec.events.at(-1), "+a|b");
    grid.move(b, 201, 200); // still in view of nobody else, nothing else happens
    assert.deepEqual(rec.events.at(-1), "-a|b");

    grid.move(c, 190, 190); // a long jump across the grid
    assert.deepEqual([...rec.pairs].sort(), ["a|c", "b|c"]);
    grid.remove(c);
    assert.deepEqual([...rec.pairs], []);
    assert.equal(grid.size, 2);
    grid.remove(c); // twice is harmless
    assert.equal(grid.size, 2);
  });

  it("matches brute force after any sequence of inserts, moves, removes and resizes", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("insert" as const),
        id: fc.integer({ min: 0, max: 30 }),
        x: fc.integer({ min: 0, max: 1000 }),
        y: fc.integer({ min: 0, max: 1000 }),
      }),
      fc.record({
        kind: fc.constant("move" as const),
        id: fc.integer({ min: 0, max: 30 }),
        x: fc.double({ min: 0, max: 1000, noNaN: true }),
        y: fc.double({ min: 0, max: 1000, noNaN: true }),
      }),
      fc.record({ kind: fc.constant("remove" as const), id: fc.integer({ min: 0, max: 30 }) }),
      fc.record({
        kind: fc.constant("resize" as const),
        width: fc.integer({ min: 1, max: 2000 }),
        radius: fc.integer({ min: 1, max: 400 }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.array(op, { maxLength: 120 }), (startRadius, ops) => {
        const rec = recorder();
        let radius = startRadius;
        const grid = new InterestGrid<string>({ width: 1000, height: 1000 }, radius, rec.listener);
        const where = new Map<string, { x: number; y: number }>();
        const observers = new Map<string, Observer<string>>();
        for (const o of ops) {
          if (o.kind === "resize") {
            radius = o.radius;
            grid.reconfigure({ width: o.width, height: 1000 }, radius);
            continue;
          }
          const id = `u${o.id}`;
          const present = observers.get(id);
          if (o.kind === "insert" && !present) {
            observers.set(id, grid.insert(id, o.x, o.y));
            where.set(id, { x: o.x, y: o.y });
          } else if (o.kind === "move" && present) {
            grid.move(present, o.x, o.y);
            where.set(id, { x: o.x, y: o.y });
          } else if (o.kind === "remove" && present) {
            grid.remove(present);
            observers.delete(id);
            where.delete(id);
          }
        }
        const expected = bruteForce(where, radius);
        assert.deepEqual([...rec.pairs].sort(), [...expected].sort());
        for (const [id, o] of observers) {
          const seen = [...o.visible].map((p) => p.value).sort();
          const want = [...observers.keys()].filter((other) => other !== id && expected.has(rec.key(id, other))).sort();
          assert.deepEqual(seen, want, `visible set of ${id}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a move inside the same cell among 1,000 avatars checks only the neighbourhood (no full scan)", () => {
    let checks = 0;
    const grid = new InterestGrid<number>({ width: 14_000, height: 14_000 }, 1000, {
      enter: () => checks++,
      leave: () => checks++,
    });
    const all: Observer<number>[] = [];
    for (let i = 0; i < 1000; i++) all.push(grid.insert(i, (i * 7919) % 14_000, (i * 104_729) % 14_000));
    const mean = all.reduce((n, o) => n + o.visible.size, 0) / all.length;
    assert.ok(mean > 5 && mean < 40, `about 20 in view on average (got ${mean.toFixed(1)})`);
    checks = 0;
    const t0 = process.hrtime.bigint();
    for (let step = 0; step < 10_000; step++) {
      const o = all[step % 1000]!;
      grid.move(o, Math.min(14_000, Math.max(0, o.x + ((step % 7) - 3) * 10)), o.y);
    }
    const perMoveUs = Number(process.hrtime.bigint() - t0) / 1e3 / 10_000;
    assert.ok(perMoveUs < 50, `a move costs a few µs, not a scan of the space (${perMoveUs.toFixed(2)} µs)`);
  });
});
