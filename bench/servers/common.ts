import fs from "node:fs";
import { Session } from "node:inspector";

/** What every bench server shares (kept free of Colyseus so the ws and Socket.IO baselines do not load it). */

let profiler: Session | undefined;

function post<T = unknown>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/** The commands every bench server answers. */
export const commonCommands = {
  gc: async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      await new Promise((r) => setTimeout(r, 50));
      gc();
    }
    const m = process.memoryUsage();
    return { gc: !!gc, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
  },
  ping: () => ({ t: Date.now() }),
  /** Start V8's CPU profiler (the measured window only, unlike --cpu-prof). */
  profileStart: async () => {
    profiler = new Session();
    profiler.connect();
    await post(profiler, "Profiler.enable");
    await post(profiler, "Profiler.setSamplingInterval", { interval: 500 });
    await post(profiler, "Profiler.start");
    return {};
  },
  /** Stop the profiler and write the `.cpuprofile` to `file`. */
  profileStop: async ({ file }: { file: string }) => {
    if (!profiler) throw new Error("the profiler was not started");
    const { profile } = await post<{ profile: object }>(profiler, "Profiler.stop");
    profiler.disconnect();
    profiler = undefined;
    fs.writeFileSync(file, JSON.stringify(profile));
    return { file };
  },
};

/**
 * Exit cleanly on SIGTERM (the orchestrator's stop); a stuck exit is handled by the
 * orchestrator's SIGKILL.
 */
export function exitOnSigterm(): void {
  process.once("SIGTERM", () => process.exit(0));
  process.once("SIGINT", () => process.exit(0));
}

export function benchPort(): number {
  const port = Number(process.env.BENCH_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("BENCH_PORT is not set");
  return port;
}
