import type { Room } from "@colyseus/sdk";

/** Everything a client received, in order, for assertions about what was (not) sent. */
export interface Inbox {
  all: Array<{ type: string; payload: any }>;
  of(type: string): any[];
  /** Resolve with the next (or an already received, unconsumed) message of `type`. */
  next(type: string, timeoutMs?: number, where?: (payload: any) => boolean): Promise<any>;
  clear(): void;
}

export function inbox(room: Room): Inbox {
  const all: Array<{ type: string; payload: any }> = [];
  const consumed = new WeakSet<object>();
  const waiters: Array<{ type: string; where?: (p: any) => boolean; resolve: (p: any) => void }> = [];
  room.onMessage("*", (type: string | number, payload: any) => {
    const entry = { type: String(type), payload };
    all.push(entry);
    const i = waiters.findIndex((w) => w.type === entry.type && (!w.where || w.where(payload)));
    if (i >= 0) {
      consumed.add(entry);
      waiters.splice(i, 1)[0]!.resolve(payload);
    }
  });
  return {
    all,
    of: (type) => all.filter((m) => m.type === type).map((m) => m.payload),
    next(type, timeoutMs = 4000, where) {
      const ready = all.find((m) => m.type === type && !consumed.has(m) && (!where || where(m.payload)));
      if (ready) {
        consumed.add(ready);
        return Promise.resolve(ready.payload);
      }
      return new Promise((resolve, reject) => {
        const waiter = { type, where, resolve: (p: any) => (clearTimeout(timer), resolve(p)) };
        const timer = setTimeout(() => {
          const idx = waiters.indexOf(waiter);
          if (idx >= 0) waiters.splice(idx, 1);
          reject(new Error(`timed out waiting for "${type}"; got: ${all.map((m) => m.type).join(", ") || "nothing"}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    clear: () => void all.splice(0),
  };
}

/** The reason a join or request was refused: `{code, message}`. */
export async function refusal(p: Promise<unknown>): Promise<{ code: any; message: string }> {
  try {
    await p;
  } catch (e: any) {
    if (e?.reason) return e.reason;
    return { code: e?.code, message: e?.message };
  }
  throw new Error("expected a refusal, but it succeeded");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check` returns (or resolves to) something truthy (state sync is asynchronous). */
export async function until<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 4000,
  what = "condition",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
