/**
 * The browser demo, end to end: a real server (child process), Debian's Chromium driven by
 * playwright-core, and two browser contexts as two users. In one run they become friends,
 * play Bigger Dice to the end through a game invitation (with a dropped connection on the
 * way), meet in a space and see each other move, play a trivia question, and match and chat
 * with a read tick. Screenshots of each step go to test-artifacts/e2e/.
 *
 *   npm run test:e2e        (needs /usr/bin/chromium: apt-get install chromium)
 *
 * Env: E2E_PORT (default 2620); the rest in ./harness.ts.
 */
import { strict as assert } from "node:assert";
import { expectNoProblems, shot, sleep, testid, useDemo, type Player } from "./harness";

const PORT = Number(process.env.E2E_PORT ?? 2620);

describe("client demo in Chromium (two users)", function () {
  this.timeout(180_000);

  const demo = useDemo({ port: PORT });
  const BASE = demo.base;
  const suffix = demo.suffix;
  let alice: Player;
  let bob: Player;

  before(async () => {
    alice = await demo.player("alice");
    bob = await demo.player("bob");
  });

  const register = (p: Player) => demo.register(p);

  const tab = (p: Player, name: string) => p.page.click(testid(`tab-${name}`));

  it("registers two users and makes them friends (online dots)", async () => {
    await alice.page.goto(BASE + "/");
    await shot(alice.page, "01-sign-up");
    await register(alice);
    await register(bob);

    await alice.page.fill("#friend-username", bob.username);
    await alice.page.click(testid("friend-add"));
    await alice.page.waitForSelector(testid(`friend-pending-${bob.username}`));

    // Friend requests are polled every few seconds by the lobby screen.
    await bob.page.click(testid(`friend-accept-${alice.username}`), { timeout: 20_000 });
    await alice.page.waitForSelector(`${testid(`friend-${bob.username}`)}[data-online="true"]`);
    await bob.page.waitForSelector(`${testid(`friend-${alice.username}`)}[data-online="true"]`);
    await shot(alice.page, "02-friends-online");
    await expectNoProblems(alice, bob);
  });

  it("sends a game invitation, accepts it, and plays Bigger Dice to the end (surviving a drop)", async () => {
    await alice.page.selectOption(testid(`invite-map-${bob.username}`), "Neon casino");
    await alice.page.click(testid(`invite-${bob.username}`));
    const invitation = bob.page.locator(testid("toast-game-invitation"));
    await invitation.waitFor();
    assert.match((await invitation.textContent()) ?? "", new RegExp(`${alice.username} invites you.*Neon casino`));
    await bob.page.waitForSelector(testid(`invitation-from-${alice.username}`));
    await shot(bob.page, "03-game-invitation");
    await invitation.locator(testid("toast-invitation-accept")).click();

    // game_ready → both join the private room by id.
    for (const p of [alice, bob]) {
      await p.page.waitForSelector(`#dice-game:not(.hidden) ${testid(`dice-player-${alice.username}`)}`);
      await p.page.waitForSelector(testid(`dice-player-${bob.username}`));
    }
    const joinedAt = Date.now();
    await alice.page.click(testid("dice-ready"));
    await bob.page.click(testid("dice-ready"));
    for (const p of [alice, bob]) await p.page.waitForSelector(`${testid("dice-status")}[data-status="in_progress"]`);

    // A dropped connection: the banner shows, the SDK reconnects, the seat is kept.
    await sleep(Math.max(0, 5_500 - (Date.now() - joinedAt))); // the SDK reconnects rooms up for 5 s
    await alice.page.click(testid("dice-simulate-drop"));
    await alice.page.waitForSelector(`${testid("dice-banner")}:has-text("Reconnected")`, { timeout: 20_000 });
    await shot(alice.page, "04-dice-reconnected");

    // Rolls are random: keep rolling for whoever's turn it is until someone wins.
    const deadline = Date.now() + 120_000;
    let rolls = 0;
    let screenshotMidGame = false;
    const winnerShown = (p: Player) => p.page.locator("#dice-winner:not(.hidden)").count();
    while ((await winnerShown(alice)) === 0 || (await winnerShown(bob)) === 0) {
      assert.ok(Date.now() < deadline, "the dice game did not finish in time");
      for (const p of [alice, bob]) {
        const roll = p.page.locator(`${testid("dice-roll")}:enabled`);
        if ((await roll.count()) > 0) {
          await roll.click({ timeout: 2_000 }).catch(() => undefined);
          rolls++;
        }
      }
      if (rolls >= 6 && !screenshotMidGame) {
        screenshotMidGame = true;
        await bob.page.waitForTimeout(300);
        await shot(bob.page, "05-dice-in-play");
      }
      await sleep(40);
    }
    await shot(alice.page, "06-dice-winner-alice");
    await shot(bob.page, "06-dice-winner-bob");
    const titles = await Promise.all([alice, bob].map((p) => p.page.textContent(testid("dice-winner-title"))));
    const winnerIds = await Promise.all(
      [alice, bob].map((p) => p.page.getAttribute(testid("dice-winner-title"), "data-winner-id")),
    );
    assert.equal(winnerIds[0], winnerIds[1], "both see the same winner");
    assert.ok(
      titles.some((t) => t?.startsWith("You won!")),
      `one of them won: ${titles.join(" / ")}`,
    );
    const scores = await alice.page.$$eval(`#dice-players ${testid("dice-score")}`, (els) =>
      els.map((e) => Number(e.textContent)),
    );
    assert.ok(scores.includes(10), `the winner reached the target score: ${JSON.stringify(scores)}`);
    await expectNoProblems(alice, bob);

    for (const p of [alice, bob]) await p.page.click(testid("dice-winner-close"));
  });

  it("meets in a space via an invite and sees the other avatar move, act and chat", async () => {
    const spaceName = `Garden ${suffix}`;
    await tab(alice, "space");
    await alice.page.fill("#space-name", spaceName);
    await alice.page.click(testid("space-create"));
    await alice.page.waitForSelector(`${testid("space-title")}:has-text("${spaceName}")`);
    await alice.page.waitForSelector(`#space-invite-user option:has-text("${bob.username}")`, { state: "attached" });
    const bobId = await alice.page.getAttribute(`#space-invite-user option:has-text("${bob.username}")`, "value");
    await alice.page.selectOption("#space-invite-user", bobId);
    await alice.page.click(testid("space-invite-send"));

    // Bob accepts from the lobby's INVITE_RECEIVED toast and lands in the space.
    const toastEl = bob.page.locator(testid("toast-space-invite"));
    await toastEl.waitFor();
    await shot(bob.page, "07-space-invite");
    await toastEl.locator(testid("toast-space-accept")).click();
    await bob.page.waitForSelector(`${testid("space-title")}:has-text("${spaceName}")`);
    const aliceOnBob = bob.page.locator(testid(`space-user-${alice.username}`));
    await aliceOnBob.waitFor();
    await alice.page.waitForSelector(testid(`space-user-${bob.username}`));

    const before = Number(await aliceOnBob.getAttribute("data-x"));
    await alice.page.click("#space-canvas");
    await alice.page.keyboard.down("ArrowRight");
    await sleep(600);
    await alice.page.keyboard.up("ArrowRight");
    await alice.page.keyboard.press("ArrowDown");
    await bob.page.waitForFunction(([sel, x]) => Number(document.querySelector(sel)?.getAttribute("data-x")) > x + 20, [
      testid(`space-user-${alice.username}`),
      before,
    ] as const);
    await bob.page.waitForSelector(`${testid(`space-user-${alice.username}`)}[data-direction="down"]`);

    await alice.page.click(testid("space-action-wave"));
    await bob.page.waitForSelector(`${testid(`space-user-${alice.username}`)}[data-action="wave"]`);
    await alice.page.fill("#space-chat-input", "Hello from the garden!");
    await alice.page.press("#space-chat-input", "Enter");
    await bob.page.waitForSelector(`${testid("space-chat-line")}:has-text("Hello from the garden!")`);
    await bob.page.waitForTimeout(300); // let the canvas ease to the last position
    await shot(bob.page, "08-space-bob-sees-alice-move");
    await shot(alice.page, "08-space-alice");
    await expectNoProblems(alice, bob);

    for (const p of [alice, bob]) await p.page.click(testid("space-leave"));
  });

  it("hosts a trivia session and answers one question with a live scoreboard and chat", async () => {
    await tab(alice, "trivia");
    // One question is enough: drop the second sample question.
    const fields = alice.page.locator(testid("trivia-question-fields"));
    while ((await fields.count()) > 1) await fields.last().locator("button:has-text('Remove')").click();
    await alice.page.fill("#trivia-new-title", `Quiz ${suffix}`);
    await alice.page.click(testid("trivia-create"));
    await alice.page.waitForSelector(`#trivia-session:not(.hidden) ${testid("trivia-start")}`);
    const sessionId = (await alice.page.textContent(testid("trivia-session-id")))!.trim();
    assert.match(sessionId, /^[0-9a-f-]{36}$/);

    await tab(bob, "trivia");
    await bob.page.fill("#trivia-join-id", sessionId);
    await bob.page.fill("#trivia-join-team", "Red");
    await bob.page.click(testid("trivia-join"));
    await alice.page.waitForSelector(testid(`trivia-score-${bob.username}`));

    await alice.page.click(testid("trivia-start"));
    await bob.page.waitForSelector(`${testid("trivia-question")}:has-text("Red Planet")`);
    await bob.page.waitForSelector(`${testid("trivia-countdown")}:has-text("s")`);
    await shot(bob.page, "09-trivia-question");
    await bob.page.click(testid("trivia-choice-0")); // Mars
    // The only player answered: the question closes, the answer is revealed, the score moves.
    await bob.page.waitForSelector(`${testid("trivia-feedback")}[data-result="true"]`);
    await alice.page.waitForFunction(
      (sel) => Number(document.querySelector(sel)?.getAttribute("data-score")) > 0,
      testid(`trivia-score-${bob.username}`),
    );
    await bob.page.fill("#trivia-chat-input", "That was easy!");
    await bob.page.press("#trivia-chat-input", "Enter");
    await alice.page.waitForSelector(`${testid("trivia-chat-line")}:has-text("That was easy!")`);
    await shot(bob.page, "10-trivia-answered");

    await alice.page.click(testid("trivia-next")); // "Finish the quiz" after the last question
    await alice.page.waitForSelector(`${testid("trivia-results")}:not(.hidden):has-text("${bob.username}")`);
    await shot(alice.page, "11-trivia-results-host");
    await expectNoProblems(alice, bob);

    for (const p of [alice, bob]) await p.page.click(testid("trivia-leave"));
  });

  it("matches, chats with a typing indicator, and sees a read tick", async () => {
    await tab(alice, "chat");
    await alice.page.fill("#like-username", bob.username);
    await alice.page.click(testid("like-send"));
    await alice.page.waitForSelector(`${testid("toast")}:has-text("You liked ${bob.username}")`);

    await tab(bob, "chat");
    await bob.page.fill("#like-username", alice.username);
    await bob.page.click(testid("like-send"));
    // Bob's like completes the match and opens the conversation; Alice gets new_match.
    await bob.page.waitForSelector(`#chat-view:not(.hidden) ${testid("chat-peer-name")}:has-text("${alice.username}")`);
    const matchToast = alice.page.locator(testid("toast-new-match"));
    await matchToast.waitFor();
    await shot(alice.page, "12-new-match");
    await matchToast.locator(testid("toast-open-chat")).click();
    await alice.page.waitForSelector(`#chat-view:not(.hidden) ${testid("chat-peer-name")}:has-text("${bob.username}")`);
    await bob.page.waitForSelector(`${testid("chat-peer-online")}[data-online="true"]`);

    // Typing shows on the other side.
    await alice.page.click("#chat-input");
    await alice.page.keyboard.type("Hi Bob, nice game!", { delay: 30 });
    await bob.page.waitForSelector(`${testid("chat-typing")}:has-text("${alice.username} is typing")`);
    await alice.page.press("#chat-input", "Enter");

    await bob.page.waitForSelector(`${testid("chat-message")}:has-text("Hi Bob, nice game!")`);
    // Bob's tab is visible, so it reads it: Alice's message gets its read tick.
    const mine = alice.page.locator(`${testid("chat-message")}[data-mine="true"]:has-text("Hi Bob, nice game!")`);
    await mine.locator(`${testid("msg-tick")}[data-read="true"]`).waitFor();

    await bob.page.fill("#chat-input", "Thanks Alice! Rematch later?");
    await bob.page.press("#chat-input", "Enter");
    await alice.page.waitForSelector(`${testid("chat-message")}:has-text("Rematch later?")`);
    await bob.page
      .locator(
        `${testid("chat-message")}[data-mine="true"]:has-text("Rematch later?") ${testid("msg-tick")}[data-read="true"]`,
      )
      .waitFor();
    await shot(alice.page, "13-chat-alice-read-tick");
    await shot(bob.page, "13-chat-bob");
    await expectNoProblems(alice, bob);
  });
});
