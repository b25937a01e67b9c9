/** A token bucket: `rate` tokens a second, holding at most `burst`. Pure, clock injected. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number, cost = 1): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

export interface LimitVerdict {
  allowed: boolean;
  /** True when the rejection should be reported (at most once a second for quiet limits). */
  report: boolean;
  /** True when the client has been flooding for longer than allowed and must go. */
  disconnect: boolean;
}

export interface ClientLimiterOptions {
  perSecond: number;
  burst: number;
  /** Report every rejection (false: at most one report a second). */
  reportEvery: boolean;
}

/**
 * Per-client message limits: one general bucket, plus named buckets (e.g. MOVE) that do not
 * spend the general one. A client whose messages are rejected in every second for
 * `floodSeconds` in a row is told to disconnect.
 */
export class ClientLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private floodStart = 0;
  private lastReject = -Infinity;
  private readonly lastReport = new Map<string, number>();

  constructor(
    private readonly limits: Record<string, ClientLimiterOptions>,
    private readonly floodSeconds: number,
  ) {}

  check(bucketName: string, now: number): LimitVerdict {
    const opts = this.limits[bucketName] ?? this.limits.general!;
    const name = this.limits[bucketName] ? bucketName : "general";
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = new TokenBucket(opts.perSecond, opts.burst, now);
      this.buckets.set(name, bucket);
    }
    if (bucket.take(now)) return { allowed: true, report: false, disconnect: false };

    if (now - this.lastReject > 1000) this.floodStart = now;
    this.lastReject = now;
    const disconnect = now - this.floodStart >= this.floodSeconds * 1000;
    let report = true;
    if (!opts.reportEvery) {
      const last = this.lastReport.get(name) ?? -Infinity;
      report = now - last >= 1000;
      if (report) this.lastReport.set(name, now);
    }
    return { allowed: false, report, disconnect };
  }
}

/**
 * One ClientLimiter per user and room kind in this process, shared by all of that user's
 * connections (so a second device, or fifty, does not bring a second budget). Kept while
 * the user holds a seat; across processes each process enforces its own share.
 */
export class UserLimiters {
  private readonly entries = new Map<string, { limiter: ClientLimiter; seats: number }>();

  /** The user's limiter for `kind`, counting one more seat that uses it. */
  acquire(kind: string, userId: string, create: () => ClientLimiter): ClientLimiter {
    const key = `${kind}\u0000${userId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { limiter: create(), seats: 0 };
      this.entries.set(key, entry);
    }
    entry.seats++;
    return entry.limiter;
  }

  /** A seat that used it is gone; the limiter goes with the user's last seat. */
  release(kind: string, userId: string): void {
    const key = `${kind}\u0000${userId}`;
    const entry = this.entries.get(key);
    if (entry && --entry.seats <= 0) this.entries.delete(key);
  }
}
