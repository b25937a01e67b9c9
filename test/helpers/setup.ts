import { resetState, startServer, stopServer } from "./server";

/** Mocha root hooks: one server for the run, clean state before every test. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await startServer();
  },
  async beforeEach() {
    await resetState();
  },
  async afterAll() {
    await stopServer();
  },
};
