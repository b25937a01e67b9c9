import type { Clock, Timer } from "../../src/realtime/clock";
import { ctx } from "./server";

/**
 * A clock that moves only when the test says so. Install it with `useManualClock()` (it goes
 * into the app context, where rooms read time from) and `advance(ms)` fires what falls due.
 */
export class ManualClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.current + Math.max(0, ms), fn, live: true };
    this.timers.push(timer);
    return { clear: () => void (timer.live = false) };
  }

  /** Timers that have not fired and were not cleared. */
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= target).sort((x, y) => x.at - y.at)[0];
      if (!due) break;
      due.live = false;
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = target;
    this.timers = this.timers.filter((t) => t.live);
  }
}

/**
 * Put a manual clock into the app context (rooms' timers and the time services store both
 * read it), starting at `start` (epoch ms); returns it and a function that restores the real one.
 */
export function useManualClock(start?: number): { clock: ManualClock; restore: () => void } {
  const previous = ctx().clock;
  const clock = new ManualClock(start);
  ctx().clock = clock;
  return { clock, restore: () => void (ctx().clock = previous) };
}
