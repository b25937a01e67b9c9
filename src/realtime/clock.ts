/**
 * Time as rooms see it, injected through the app context so tests can drive it (a manual
 * clock) instead of waiting on real timers. A room clears its timers on dispose.
 */
export interface Timer {
  clear(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    return { clear: () => clearTimeout(handle) };
  },
};
