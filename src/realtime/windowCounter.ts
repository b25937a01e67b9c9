import type { Presence } from "@colyseus/core";

/**
 * Fixed-window counters kept in presence (Redis when REDIS_URL is set), so every process
 * counts the same attempts: one hash per (name, window), one field per subject (an IP, a
 * username, a user id). The hash expires once its window is over.
 */
export class WindowCounter {
  constructor(
    private readonly presence: Presence,
    private readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  private window(seconds: number): { key: string; retryAfter: number } {
    const ms = seconds * 1000;
    const now = this.now();
    const index = Math.floor(now / ms);
    return {
      key: `rally:limit:${this.name}:${seconds}:${index}`,
      retryAfter: Math.ceil(((index + 1) * ms - now) / 1000),
    };
  }

  /**
   * Count one attempt by `subject`. `allowed` is false when it goes past `limit` in this
   * window (the attempt is then not counted); `retryAfter` is the seconds left in the window.
   * A limit of 0 counts nothing and allows everything.
   */
  async take(subject: string, limit: number, seconds: number): Promise<{ allowed: boolean; retryAfter: number }> {
    const { key, retryAfter } = this.window(seconds);
    if (limit <= 0) return { allowed: true, retryAfter };
    const count = await this.presence.hincrbyex(key, subject, 1, seconds);
    if (count <= limit) return { allowed: true, retryAfter };
    await this.presence.hincrbyex(key, subject, -1, seconds);
    return { allowed: false, retryAfter };
  }

  /** Give back an attempt `take` counted (e.g. a login that turned out right). */
  async refund(subject: string, seconds: number): Promise<void> {
    const { key } = this.window(seconds);
    await this.presence.hincrbyex(key, subject, -1, seconds);
  }
}
