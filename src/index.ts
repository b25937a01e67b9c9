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

main().catch((e) => {
  logger.fatal({ err: e }, (e as Error).message);
  // eslint-disable-next-line no-console
  console.error((e as Error).message);
  process.exit(1);
});
