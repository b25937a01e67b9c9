import assert from "node:assert/strict";
import fc from "fast-check";
import { checkRequest, requests, restWorld, routeName, ROUTES, urlOf } from "./support/restFuzz";
import { healthy } from "./support/world";

/**
 * Fuzzed REST requests (issue 8), bounded for `npm test` (`npm run fuzz` runs more): every
 * route with generated bodies (mutated, wrong types, malformed JSON, deep, over 64 KiB, other
 * content types), queries, path parameters (malformed percent-encoding included) and tokens
 * (none, garbage, forged, expired, another user's). Never a 5xx; a refusal is the JSON
 * envelope `{status:"failed", error, code}` and writes nothing; a bad token is 401.
 */

const RUNS = Number(process.env.FUZZ_REST_RUNS ?? 25);

describe("fuzzed REST requests", () => {
  for (const route of ROUTES) {
    it(`${routeName(route)}: never 5xx, refusals in the envelope, nothing written when refused`, async function () {
      this.timeout(60_000);
      const world = await restWorld();
      await fc.assert(
        fc.asyncProperty(requests(route, world), async (req) => {
          const outcome = await checkRequest(route, req, world, { checkDb: true });
          assert.deepEqual(
            outcome.violations,
            [],
            `${route.method} ${urlOf(route, req).slice(0, 200)} [${req.token}] → ${outcome.status}`,
          );
        }),
        { numRuns: RUNS },
      );
      assert.ok(await healthy(), "GET /healthz");
    });
  }
});
