import type { Presence } from "@colyseus/core";

const COUNTS = (kind: string) => `rally:connections:${kind}`;
const SEATS = (kind: string, userId: string) => `rally:connection-seats:${kind}:${userId}`;

/**
 * How many connections each user holds to each room kind, across processes (presence: Redis
 * when there are several). `take` counts atomically (HINCRBY), so racing joins never pass the
 * limit together. Each seat is also recorded with its process id: when a process dies without
 * releasing its seats, the next refusal for that user drops the dead process's seats and
 * counts again.
 */
export class ConnectionLimits {
  constructor(
    private readonly presence: Presence,
    private readonly processId: () => string,
    private readonly aliveProcesses: () => Promise<Set<string>>,
  ) {}

  /** Count one more connection of `userId` to `kind`; false (nothing counted) past `limit`. 0 = no limit. */
  async take(kind: string, userId: string, seatId: string, limit: number): Promise<boolean> {
    if (limit <= 0) return true;
    for (let attempt = 0; attempt < 2; attempt++) {
      const held = await this.presence.hincrby(COUNTS(kind), userId, 1);
      if (held <= limit) {
        await this.presence.hset(SEATS(kind, userId), this.seat(seatId), "1");
        return true;
      }
      await this.presence.hincrby(COUNTS(kind), userId, -1);
      if (attempt > 0 || !(await this.dropDeadSeats(kind, userId))) return false;
    }
    return false;
  }

  /** The connection is gone (a no-op for one that was never counted). */
  async release(kind: string, userId: string, seatId: string): Promise<void> {
    if (await this.presence.hdel(SEATS(kind, userId), this.seat(seatId))) {
      await this.presence.hincrby(COUNTS(kind), userId, -1);
    }
  }

  private seat(seatId: string): string {
    return `${this.processId()} ${seatId}`;
  }

  /** Forget the seats that processes no longer alive left counted; true if there were any. */
  private async dropDeadSeats(kind: string, userId: string): Promise<boolean> {
    const seats = Object.keys((await this.presence.hgetall(SEATS(kind, userId))) ?? {});
    const own = this.processId();
    if (seats.every((s) => s.startsWith(`${own} `))) return false;
    const alive = await this.aliveProcesses();
    let dropped = false;
    for (const seat of seats) {
      if (alive.has(seat.slice(0, seat.indexOf(" ")))) continue;
      if (await this.presence.hdel(SEATS(kind, userId), seat)) {
        await this.presence.hincrby(COUNTS(kind), userId, -1);
        dropped = true;
      }
    }
    return dropped;
  }
}
