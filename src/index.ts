import v8 from "node:v8";
import vm from "node:vm";
import { listen } from "@colyseus/tools";
import { createApp } from "./app.config";
import { logger } from "./logger";

/** Start the server, and stop it gracefully on SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS. */
async function main(): Promise<void> {
  const app = await createApp();
  const port = app.ctx.config.PORT;
  const server = await listen(app.options, port);
  logger.info(
    { port, db: app.ctx.db.backend, presence: app.ctx.config.REDIS_URL ? "redis" : "local" },
    "rally listening",
  );
  // Not at once: the collection pauses the process (about a second on PGlite), and the first
  // health checks and joins arrive right after the listen.
  setTimeout(releaseStartupMemory, STARTUP_SETTLE_MS).unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: no new joins, letting rooms persist");
    const deadline = setTimeout(() => {
      logger.error("shutdown took too long, exiting");
      process.exit(1);
    }, app.ctx.config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      // Calls each room's onBeforeShutdown (rooms persist what they must), then disposes them.
      await server.gracefullyShutdown(false);
    } catch (e) {
      logger.error({ err: e }, "error during shutdown");
    }
    await app.close();
    logger.info("bye");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** How long after the listen the start's garbage is collected (see releaseStartupMemory). */
const STARTUP_SETTLE_MS = 2000;

/**
 * Starting allocates far more than an idle server keeps (module code, route tables, the
 * database's first queries), and V8 keeps the young generation it grew to meanwhile (32 MB)
 * however little lives in it. One full collection that also shrinks the heap, once, right
 * after the start, gives that back (about 30 MB of RSS here); the young generation grows again
 * only under load. `gc` is not exposed without `--expose-gc`: the flag is set at run time
 * and the function taken from a fresh context, as Node allows.
 */
function releaseStartupMemory(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (options: { type: string; flavor: string }) => void;
  gc({ type: "major", flavor: "last-resort" });
}

main().catch((e) => {
  logger.fatal({ err: e }, (e as Error).message);
  // eslint-disable-next-line no-console
  console.error((e as Error).message);
  process.exit(1);
});
