import { matchMaker } from "@colyseus/core";
import { logger } from "../logger";

/**
 * Colyseus cleans the rooms of a dead process only when another process starts or happens
 * to time out talking to it (colyseus/colyseus#389), so after a kill -9 its rooms stay
 * listed. Every process therefore sweeps on an interval: a process that no longer listens on
 * its presence channel and fails a health check has its rooms removed from the driver.
 * Cleanup time is bounded by the interval plus Colyseus' short IPC timeout. Users whose
 * lobby was on a dead process stop counting as online at the same time.
 */
export function sweepStaleProcesses(everyMs: number, onSwept: (alive: Set<string>) => Promise<unknown>): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await matchMaker.healthCheckAllProcesses();
      const alive = new Set((await matchMaker.presence.channels("p:*")).map((c) => c.substring(2)));
      alive.add(matchMaker.processId);
      await onSwept(alive);
    } catch (e) {
      logger.warn({ err: e }, "stale process sweep failed");
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
