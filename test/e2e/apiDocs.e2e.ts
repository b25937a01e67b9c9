/**
 * The interactive API documentation (issue 19) in a real browser: /api/docs renders Swagger UI
 * from this origin only, under the server's Content-Security-Policy (the harness fails the
 * test on any CSP violation), lists the operations of /api/openapi.json, and can call one.
 *
 *   E2E_PORT=2632 npx mocha --no-config --require tsx/cjs --timeout 240000 test/e2e/apiDocs.e2e.ts
 */
import { strict as assert } from "node:assert";
import { shot, useDemo } from "./harness";

const PORT = Number(process.env.E2E_PORT ?? 2624);

describe("API docs (/api/docs) in the browser", function () {
  this.timeout(240_000);
  const demo = useDemo({ port: PORT });

  it("renders every operation of the document, loads nothing from another origin, and tries a route", async () => {
    const reader = await demo.player("docs");
    const requested: string[] = [];
    reader.page.on("request", (r) => requested.push(r.url()));
    const pageErrors: string[] = [];
    reader.page.on("pageerror", (e) => pageErrors.push(e.message));

    await reader.page.goto(`${demo.base}/api/docs`);
    // The bundle is 1.5 MB of script: give a loaded machine time to parse it.
    await reader.page.waitForSelector(".opblock-summary", { timeout: 60_000 });
    const doc = await (await fetch(`${demo.base}/api/openapi.json`)).json();
    const operations = Object.values(doc.paths as Record<string, object>).reduce(
      (n, item) => n + Object.keys(item).length,
      0,
    );
    assert.equal(await reader.page.locator(".opblock").count(), operations);
    assert.equal(await reader.page.locator(".scheme-container .authorize").count(), 1, "an Authorize button");

    // Try GET /healthz from the page: Swagger UI calls the server and shows its answer.
    const health = reader.page.locator("#operations-operations-getHealthz");
    await health.locator(".opblock-summary").click();
    await health.locator("button.try-out__btn").click();
    await health.locator("button.execute").click();
    await health.locator(".live-responses-table .response-col_status").first().waitFor();
    assert.match((await health.locator(".live-responses-table").textContent()) ?? "", /200[\s\S]*"status": "ok"/);
    await shot(reader.page, "api-docs");

    assert.deepEqual(pageErrors, []);
    const foreign = requested.filter((u) => !u.startsWith(demo.base) && !u.startsWith("data:"));
    assert.deepEqual(foreign, [], "requests to another origin");
  });
});
