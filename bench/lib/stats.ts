/**
 * A latency histogram that generators fill and the orchestrator merges: 0.1 ms buckets up to
 * 10 s (anything slower lands in the last bucket). Plain arrays cross IPC cheaply enough.
 */
const RESOLUTION_MS = 0.1;
const BUCKETS = 100_000;

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  sum = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Uint32Array(BUCKETS);
    if (counts) {
      for (let i = 0; i < BUCKETS; i++) {
        const c = counts[i] ?? 0;
        if (c) {
          this.counts[i] = c;
          this.count += c;
          const ms = i * RESOLUTION_MS;
          this.sum += c * ms;
          if (ms > this.max) this.max = ms;
        }
      }
    }
  }

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const i = Math.min(BUCKETS - 1, Math.round(v / RESOLUTION_MS));
    this.counts[i]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** The value at quantile q (0..1), in ms; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return i * RESOLUTION_MS;
    }
    return this.max;
  }

  mean(): number {
    return this.count ? this.sum / this.count : NaN;
  }

  /** A compact form for IPC: only the non-empty buckets. */
  toSparse(): Sparse {
    const idx: number[] = [];
    const cnt: number[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.counts[i]) {
        idx.push(i);
        cnt.push(this.counts[i]!);
      }
    }
    return { idx, cnt, sum: this.sum, max: this.max };
  }

  static fromSparse(s: Sparse): Histogram {
    const h = new Histogram();
    for (let k = 0; k < s.idx.length; k++) {
      h.counts[s.idx[k]!] = s.cnt[k]!;
      h.count += s.cnt[k]!;
    }
    h.sum = s.sum;
    h.max = s.max;
    return h;
  }
}

export interface Sparse {
  idx: number[];
  cnt: number[];
  sum: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(h: Histogram): LatencySummary {
  return {
    count: h.count,
    p50: round(h.quantile(0.5)),
    p90: round(h.quantile(0.9)),
    p99: round(h.quantile(0.99)),
    max: round(h.max),
    mean: round(h.mean()),
  };
}

export const round = (v: number, digits = 1): number => {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
