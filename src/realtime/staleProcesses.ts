import { logger } from "../logger";
import type { RoomDirectory } from "./roomDirectory";

/**
 * Colyseus cleans the rooms of a dead process only when another process starts or happens
 * to time out talking to it (colyseus/colyseus#389), so after a kill -9 its rooms stay
 * listed. Every process therefore sweeps on an interval: a process that no longer listens on
 * its presence channel and fails a health check has its rooms removed from the driver.
 * Cleanup time is bounded by the interval plus Colyseus' short IPC timeout. Users whose
 * lobby was on a dead process stop counting as online at the same time.
 */
export function sweepStaleProcesses(
  everyMs: number,
  rooms: RoomDirectory,
  onSwept: (alive: Set<string>) => Promise<unknown>,
): () => void {
  let running = false;
  // Never rejects: a failed sweep is logged and the next one tries again.
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      await onSwept(await rooms.aliveProcesses());
    } catch (e) {
      logger.warn({ err: e }, "stale process sweep failed");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
