/**
 * Token lifetime in the browser demo (issue 16): with a short access token the demo renews it
 * silently (REST refresh, then `auth:refresh` on every open room), so a session with rooms
 * open outlives several token lifetimes without a dropped seat or a shown error.
 *
 * The check is "a 15-minute session with a 1-minute token" (15 lifetimes). Scaled
 * down to keep the suite short: a 20 s token and a session of 75 s (almost 4 lifetimes),
 * which exercises the same path several times over.
 *
 *   E2E_PORT=2623 npx mocha --no-config --require tsx/cjs --timeout 240000 test/e2e/identity.e2e.ts
 */
import { strict as assert } from "node:assert";
import { expectNoProblems, shot, sleep, testid, useDemo, type Player } from "./harness";

const PORT = Number(process.env.E2E_PORT ?? 2621);
const TOKEN_SECONDS = 20;
const SESSION_MS = 75_000;

describe("client demo keeps its session across token lifetimes", function () {
  this.timeout(240_000);

  const demo = useDemo({ port: PORT, env: { JWT_EXPIRES_IN: `${TOKEN_SECONDS}s` } });
  let alice: Player;
  let bob: Player;

  const tokenOf = (p: Player) => p.page.evaluate(() => sessionStorage.getItem("rally.token"));

  it("has a trivia room and the lobbies open, renews tokens silently, and everything still works after ~4 lifetimes", async () => {
    alice = await demo.player("alice");
    bob = await demo.player("bob");
    await demo.register(alice);
    await demo.register(bob); // joins alice's org with an invite code made in her page

    await alice.page.click(testid("tab-trivia"));
    const fields = alice.page.locator(testid("trivia-question-fields"));
    while ((await fields.count()) > 1) await fields.last().locator("button:has-text('Remove')").click();
    await alice.page.fill("#trivia-new-title", `Long quiz ${demo.suffix}`);
    await alice.page.click(testid("trivia-create"));
    await alice.page.waitForSelector(`#trivia-session:not(.hidden) ${testid("trivia-start")}`);
    const sessionId = (await alice.page.textContent(testid("trivia-session-id")))!.trim();
    await bob.page.click(testid("tab-trivia"));
    await bob.page.fill("#trivia-join-id", sessionId);
    await bob.page.click(testid("trivia-join"));
    await alice.page.waitForSelector(testid(`trivia-score-${bob.username}`));

    const seen = new Set<string>([(await tokenOf(alice))!, (await tokenOf(bob))!]);
    const started = Date.now();
    while (Date.now() - started < SESSION_MS) {
      await sleep(5000);
      for (const p of [alice, bob]) seen.add((await tokenOf(p))!);
      await expectNoProblems(alice, bob); // a seat closed with 4401 would show here
    }
    // 2 initial tokens, then one renewal per player about every 14 s.
    assert.ok(seen.size >= 2 + 2 * 3, `tokens renewed: ${seen.size - 2}`);

    // The rooms opened before the first renewal still work, both ways.
    await bob.page.fill("#trivia-chat-input", "still here");
    await bob.page.press("#trivia-chat-input", "Enter");
    await alice.page.waitForSelector(`${testid("trivia-chat-line")}:has-text("still here")`);
    await alice.page.click(testid("trivia-start"));
    await bob.page.waitForSelector(testid("trivia-question"));
    await shot(bob.page, "identity-after-renewals");
    await expectNoProblems(alice, bob);
  });
});
