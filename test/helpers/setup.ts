/**
 * Mocha root-hook plugin (the one .mocharc.json requires it for every run). It boots the shared
 * test server only when a loaded spec uses it, that is when some spec imported test/helpers/
 * server.ts (directly or through http.ts, users.ts, clock.ts, ...). Pure specs (test/unit/) and
 * the suites that spawn their own processes (test/cluster/, test/e2e/) import nothing of it, so
 * they boot nothing. This module imports nothing server-side itself, on purpose.
 */
type ServerHelpers = typeof import("./server");

const SERVER_HELPERS = require.resolve("./server");

/** The helpers module if a spec has loaded it, else undefined (and then no test needs a server). */
function loadedServerHelpers(): ServerHelpers | undefined {
  return require.cache[SERVER_HELPERS]?.exports as ServerHelpers | undefined;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    const server = loadedServerHelpers();
    if (!server) return;
    // PGlite's start and the migrations take tens of seconds on a loaded machine.
    this.timeout(180_000);
    await server.startServer();
  },
  async beforeEach() {
    await loadedServerHelpers()?.resetState();
  },
  async afterAll() {
    await loadedServerHelpers()?.stopServer();
  },
};
