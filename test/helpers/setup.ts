import { resetState, startServer, stopServer } from "./server";

/** Mocha root hooks: one server for the run, clean state before every test. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    // PGlite's start and the migrations take tens of seconds on a loaded machine.
    this.timeout(180_000);
    await startServer();
  },
  async beforeEach() {
    await resetState();
  },
  async afterAll() {
    await stopServer();
  },
};
