import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkOne,
  describePayload,
  ErrorQueue,
  messageSpecs,
  refusedPayloads,
  registeredTypes,
  unknownTypes,
  type Mode,
} from "./support/roomFuzz";
import { FIXTURES, healthy, NO_RATE_LIMITS, ROOM_KINDS, setConfig, type Fixture } from "./support/world";

/**
 * Fuzzed room messages (issue 8), bounded for `npm test`: `npm run fuzz` runs the same
 * properties ≥ 10,000 times per room kind. For every message type of every room, payloads
 * its schema refuses (wrong types, missing and extra fields, NaN/±Infinity, bigints, dates,
 * bytes, huge strings, deep nesting, arrays, null) are sent with `room.request` and with
 * `room.send`, and so are unknown types. Each must be answered with an error code from
 * src/errors.ts, leave the room's state and the database unchanged, keep the client
 * connected and the server healthy.
 */

const RUNS_PER_TYPE = Number(process.env.FUZZ_RUNS_PER_TYPE ?? 8);
const UNKNOWN_RUNS = Number(process.env.FUZZ_UNKNOWN_RUNS ?? 15);

async function fuzzTypes(fx: Fixture, mode: Mode): Promise<void> {
  const errors = new ErrorQueue(fx);
  for (const spec of messageSpecs(fx)) {
    await fc.assert(
      fc.asyncProperty(refusedPayloads(spec), async (payload) => {
        const outcome = await checkOne(fx, errors, spec.type, payload, mode, true, {
          checkDb: true,
          checkHealth: false,
        });
        assert.deepEqual(
          outcome.violations,
          [],
          `${fx.kind} ${spec.type} (${mode}) ${describePayload(payload)} → ${outcome.code}`,
        );
      }),
      { numRuns: RUNS_PER_TYPE },
    );
  }
  assert.equal(errors.seqGaps(), 0, "seq never skipped");
  assert.ok(await healthy(), "GET /healthz");
}

describe("fuzzed room messages", () => {
  let restore: () => void;
  before(() => {
    restore = setConfig(NO_RATE_LIMITS);
  });
  after(() => restore());

  for (const kind of ROOM_KINDS) {
    describe(kind, () => {
      for (const mode of ["request", "send"] as const) {
        it(`refuses malformed payloads of every message type sent with room.${mode}`, async function () {
          this.timeout(60_000);
          const fx = await FIXTURES[kind]();
          await fuzzTypes(fx, mode);
          await fx.close();
        });
      }

      it("refuses unknown message types: UNKNOWN_MESSAGE for room.send, no_handler for room.request", async function () {
        this.timeout(60_000);
        const fx = await FIXTURES[kind]();
        const errors = new ErrorQueue(fx);
        const registered = registeredTypes(fx);
        const payloads = fc.oneof(
          fc.constant(undefined),
          refusedPayloads({ type: "?", accepts: () => false, examples: [{ a: 1 }] }),
        );
        await fc.assert(
          fc.asyncProperty(
            unknownTypes(registered),
            payloads,
            fc.constantFrom<Mode>("request", "send"),
            async (type, payload, mode) => {
              const outcome = await checkOne(fx, errors, type, payload, mode, false, {
                checkDb: true,
                checkHealth: false,
              });
              assert.deepEqual(
                outcome.violations,
                [],
                `${kind} unknown ${JSON.stringify(type)} (${mode}) → ${outcome.code}`,
              );
            },
          ),
          { numRuns: UNKNOWN_RUNS },
        );
        assert.equal(errors.seqGaps(), 0, "seq never skipped");
        assert.ok(await healthy(), "GET /healthz");
        await fx.close();
      });
    });
  }
});
