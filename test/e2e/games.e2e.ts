/**
 * The games and spaces controls of the browser demo (issue 18), end to end in Chromium with
 * three users: quick match, the dice turn countdown and an auto-roll (a 5-second turn), the
 * forfeit after missed turns and a rematch; space invite accepted/declined toasts for the
 * sender, the members panel with an admin's remove and a member's leave; the trivia session
 * list and the host's kick.
 *
 *   E2E_PORT=2630 npx mocha --no-config --require tsx/cjs --timeout 180000 test/e2e/games.e2e.ts
 *
 * Env: E2E_PORT (default 2630); the rest in ./harness.ts.
 */
import { strict as assert } from "node:assert";
import { expectNoProblems, problems, shot, sleep, testid, useDemo, type Player } from "./harness";

const PORT = Number(process.env.E2E_PORT ?? 2630);
const TURN_SECONDS = 5;

describe("client demo in Chromium: turn clock, rematch, quick match, space members, invite status, trivia sessions and kick", function () {
  this.timeout(60_000);

  const demo = useDemo({
    port: PORT,
    env: { DICE_TURN_SECONDS: String(TURN_SECONDS), DICE_MISSED_TURNS_FORFEIT: "3" },
  });
  let alice: Player;
  let bob: Player;
  let carol: Player;

  before(async () => {
    alice = await demo.player("alice");
    bob = await demo.player("bob");
    carol = await demo.player("carol");
  });

  const tab = (p: Player, name: string) => p.page.click(testid(`tab-${name}`));

  it("registers three users; Alice befriends Bob and Carol (space invites go to friends)", async () => {
    for (const p of [alice, bob, carol]) await demo.register(p);
    for (const friend of [bob, carol]) {
      await alice.page.fill("#friend-username", friend.username);
      await alice.page.click(testid("friend-add"));
      await alice.page.waitForSelector(testid(`friend-pending-${friend.username}`));
      await friend.page.click(testid(`friend-accept-${alice.username}`), { timeout: 20_000 });
      await alice.page.waitForSelector(testid(`friend-${friend.username}`));
    }
    await expectNoProblems(alice, bob, carol);
  });

  it("quick match pairs two players; the turn countdown runs and the server rolls for an idle player", async () => {
    await tab(alice, "dice");
    await alice.page.click(testid("dice-quick"));
    await alice.page.waitForSelector(`#dice-game:not(.hidden) ${testid(`dice-player-${alice.username}`)}`);
    await tab(bob, "dice");
    await bob.page.click(testid("dice-quick"));
    for (const p of [alice, bob]) {
      await p.page.waitForSelector(`#dice-game:not(.hidden) ${testid(`dice-player-${alice.username}`)}`);
      await p.page.waitForSelector(testid(`dice-player-${bob.username}`));
    }
    assert.match((await alice.page.textContent(testid("dice-title"))) ?? "", /^Quick match/);
    for (const p of [alice, bob]) await p.page.click(testid("dice-ready"));
    for (const p of [alice, bob]) await p.page.waitForSelector(`${testid("dice-status")}[data-status="in_progress"]`);

    // The countdown shows the seconds left of the turn and goes down.
    const countdown = testid("dice-countdown");
    await alice.page.waitForSelector(`${countdown}:not(.hidden)`);
    const first = Number(await alice.page.getAttribute(countdown, "data-seconds"));
    assert.ok(first >= 1 && first <= TURN_SECONDS, `the countdown starts within the turn: ${first}`);
    await alice.page.waitForFunction(
      ([sel, s]) => Number(document.querySelector(sel)?.getAttribute("data-seconds")) < s,
      [countdown, first] as const,
    );
    await shot(alice.page, "games-01-countdown");

    // Nobody rolls: when the clock runs out the server rolls, and both see it was automatic.
    for (const p of [alice, bob]) {
      await p.page.waitForSelector(`${testid("dice-last-roll")}[data-auto="true"]:has-text("Time ran out")`, {
        timeout: (TURN_SECONDS + 5) * 1000,
      });
    }
    await shot(bob.page, "games-02-auto-roll");
    await expectNoProblems(alice, bob);
  });

  it("an idle player forfeits after missed turns, then both ask for a rematch and a fresh game starts", async () => {
    // Alice rolls on her turns; Bob never does: his third auto-roll in a row ends the game.
    const deadline = Date.now() + 45_000;
    const winnerShown = (p: Player) => p.page.locator("#dice-winner:not(.hidden)").count();
    while ((await winnerShown(alice)) === 0 || (await winnerShown(bob)) === 0) {
      assert.ok(Date.now() < deadline, "the idle player did not forfeit in time");
      const roll = alice.page.locator(`${testid("dice-roll")}:enabled`);
      if ((await roll.count()) > 0) await roll.click({ timeout: 2_000 }).catch(() => undefined);
      await sleep(100);
    }
    assert.match((await alice.page.textContent(testid("dice-winner-title"))) ?? "", /You won!/);
    await shot(bob.page, "games-03-forfeit-inactive");

    await bob.page.click(testid("dice-rematch"));
    await bob.page.waitForSelector(`${testid("dice-rematch")}[data-stage="asked"]:disabled`);
    await alice.page.waitForSelector(testid("toast-rematch-requested"));
    await alice.page.waitForSelector(`${testid("dice-rematch")}[data-stage="offered"]`);
    await shot(alice.page, "games-04-rematch-offered");
    await alice.page.click(testid("dice-rematch"));
    for (const p of [alice, bob]) {
      await p.page.waitForSelector("#dice-winner.hidden", { state: "attached" });
      await p.page.waitForSelector(`${testid("dice-status")}[data-status="in_progress"]`);
      const scores = await p.page.$$eval(`#dice-players ${testid("dice-score")}`, (els) =>
        els.map((e) => Number(e.textContent)),
      );
      assert.deepEqual(scores, [0, 0], `a rematch starts from zero: ${JSON.stringify(scores)}`);
    }
    await shot(alice.page, "games-05-rematch-started");
    await expectNoProblems(alice, bob);
    // Alice leaves mid-game: Bob wins by forfeit and goes back to the rooms from the result.
    await alice.page.click(testid("dice-leave"));
    await bob.page.click(`#dice-winner:not(.hidden) ${testid("dice-winner-close")}`);
    await bob.page.waitForSelector("#dice-home:not(.hidden)");
  });

  it("the sender of space invites sees them accepted and declined; members are listed", async () => {
    const spaceName = `Members ${demo.suffix}`;
    await tab(alice, "space");
    await alice.page.fill("#space-name", spaceName);
    await alice.page.click(testid("space-create"));
    await alice.page.waitForSelector(`${testid("space-title")}:has-text("${spaceName}")`);
    await alice.page.waitForSelector(`${testid(`space-member-${alice.username}`)}[data-role="admin"]`);

    const invite = async (to: Player) => {
      await alice.page.click(testid("space-invite-refresh"));
      const option = `#space-invite-user option:has-text("${to.username}")`;
      await alice.page.waitForSelector(option, { state: "attached" });
      await alice.page.selectOption("#space-invite-user", await alice.page.getAttribute(option, "value"));
      await alice.page.click(testid("space-invite-send"));
      return to.page.locator(testid("toast-space-invite")).last();
    };

    // Carol declines: Alice is told at once.
    await (await invite(carol)).locator(testid("toast-space-decline")).click();
    const declined = alice.page.locator(testid("toast-invite-declined"));
    await declined.waitFor();
    assert.match(
      (await declined.textContent()) ?? "",
      new RegExp(`${carol.username} declined your invite to “${spaceName}”`),
    );

    // Bob accepts and walks in; Alice is told and her members panel lists him.
    await (await invite(bob)).locator(testid("toast-space-accept")).click();
    const accepted = alice.page.locator(testid("toast-invite-accepted"));
    await accepted.waitFor();
    assert.match(
      (await accepted.textContent()) ?? "",
      new RegExp(`${bob.username} accepted your invite to “${spaceName}”`),
    );
    await bob.page.waitForSelector(`${testid("space-title")}:has-text("${spaceName}")`);
    await alice.page.waitForSelector(`${testid(`space-member-${bob.username}`)}[data-role="member"]`);
    await shot(alice.page, "games-06-invite-answered");

    // Carol is asked again and accepts this time.
    await (await invite(carol)).locator(testid("toast-space-accept")).click();
    await carol.page.waitForSelector(`${testid("space-title")}:has-text("${spaceName}")`);
    await alice.page.waitForSelector(testid(`space-member-${carol.username}`));
    // Members see the panel without the admin's remove buttons.
    await bob.page.waitForSelector(testid(`space-member-${carol.username}`));
    assert.equal(
      await bob.page.locator(testid(`space-member-remove-${carol.username}`)).count(),
      0,
      "a member cannot remove",
    );
    await expectNoProblems(alice, bob, carol);
  });

  it("the admin removes a member (their seat closes); a member leaves the space for good", async () => {
    const spaceName = `Members ${demo.suffix}`;
    await alice.page.click(testid(`space-member-remove-${bob.username}`));
    await alice.page.waitForSelector(testid("toast-member-removed"));
    await bob.page.waitForSelector(testid("toast-space-removed"));
    await bob.page.waitForSelector("#space-room.hidden", { state: "attached" });
    await bob.page.waitForSelector(testid(`space-${spaceName}`), { state: "detached" });
    await alice.page.waitForSelector(testid(`space-member-${bob.username}`), { state: "detached" });
    await shot(bob.page, "games-07-removed");

    await carol.page.click(testid("space-members-leave"));
    await carol.page.waitForSelector(testid("toast-space-left"));
    await carol.page.waitForSelector("#space-room.hidden", { state: "attached" });
    await carol.page.waitForSelector(testid(`space-${spaceName}`), { state: "detached" });
    await alice.page.waitForSelector(testid(`space-member-${carol.username}`), { state: "detached" });
    await shot(alice.page, "games-08-members-after");
    await expectNoProblems(alice, bob, carol);
    await alice.page.click(testid("space-leave"));
  });

  it("lists the org's trivia sessions by status, joins from the list, and the host kicks a player", async () => {
    const title = `Kick quiz ${demo.suffix}`;
    await tab(alice, "trivia");
    await alice.page.fill("#trivia-new-title", title);
    await alice.page.click(testid("trivia-create"));
    await alice.page.waitForSelector(`#trivia-session:not(.hidden) ${testid("trivia-start")}`);

    // Bob finds it in the list (open sessions), not under "finished", and joins from there.
    await tab(bob, "trivia");
    const row = testid(`trivia-session-${title}`);
    await bob.page.waitForSelector(`${row}[data-status="lobby"]`);
    await bob.page.selectOption(testid("trivia-sessions-status"), "finished");
    await bob.page.waitForSelector(row, { state: "detached" });
    await bob.page.selectOption(testid("trivia-sessions-status"), "lobby");
    await bob.page.waitForSelector(row);
    await shot(bob.page, "games-09-trivia-sessions");
    await bob.page.locator(row).locator(testid("trivia-session-join")).click();
    await bob.page.waitForSelector(`#trivia-session:not(.hidden) ${testid("trivia-title")}:has-text("${title}")`);
    await alice.page.waitForSelector(testid(`trivia-score-${bob.username}`));

    // The host kicks Bob: he is told and sent back to the list; the others see it in the chat.
    await alice.page.click(testid(`trivia-kick-${bob.username}`));
    await bob.page.waitForSelector(testid("toast-trivia-kicked"));
    await bob.page.waitForSelector("#trivia-session.hidden", { state: "attached" });
    await alice.page.waitForSelector(`#trivia-chat-log :text("The host removed ${bob.username}")`);
    await shot(alice.page, "games-10-kicked-host");
    await expectNoProblems(alice, bob);

    // He cannot come back: the demo says so in words.
    await bob.page.locator(row).locator(testid("trivia-session-join")).click();
    await bob.page.waitForSelector(`${testid("toast-error")}:has-text("You are not allowed to join that room")`);
    assert.ok(
      (await problems(bob)).some((p) => p.code === "403"),
      "the rejoin was refused with 403",
    );
    await shot(bob.page, "games-11-rejoin-refused");
  });
});
