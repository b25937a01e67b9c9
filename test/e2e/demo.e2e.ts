/**
 * The browser demo, end to end: a real server (child process), Debian's Chromium driven by
 * playwright-core, and two browser contexts as two users. In one run they become friends,
 * play Bigger Dice to the end through a game invitation (with a dropped connection on the
 * way), meet in a space and see each other move, play a trivia question, and match and chat
 * with a read tick. Screenshots of each step go to test-artifacts/e2e/.
 *
 *   npm run test:e2e        (needs /usr/bin/chromium: apt-get install chromium)
 *
 * Env: E2E_PORT (default 2620), CHROMIUM_PATH (default /usr/bin/chromium), E2E_SKIP_BUILD=1.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

const ROOT = path.resolve(__dirname, "../..");
const PORT = Number(process.env.E2E_PORT ?? 2620);
const BASE = `http://127.0.0.1:${PORT}`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "test-artifacts/e2e");
const TSX = require.resolve("tsx/cli");
const PASSWORD = "correct-horse-battery";

interface Player {
  name: "alice" | "bob";
  username: string;
  page: Page;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const testid = (id: string) => `[data-testid="${id}"]`;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Problems the page showed to the person (ui.showError keeps them in window.rallyProblems). */
async function problems(p: Player): Promise<Array<{ code: string; title: string; detail?: string; context?: string }>> {
  return p.page.evaluate(() => (window as unknown as { rallyProblems?: [] }).rallyProblems ?? []);
}

async function expectNoProblems(...players: Player[]): Promise<void> {
  for (const p of players) {
    const shown = await problems(p);
    assert.deepEqual(shown, [], `${p.name} was shown errors: ${JSON.stringify(shown)}`);
  }
}

async function waitForHealth(deadlineMs: number, server: ChildProcess): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`${BASE}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the server did not answer ${BASE}/healthz within ${deadlineMs} ms`);
}

describe("client demo in Chromium (two users)", function () {
  this.timeout(180_000);

  let dataDir = "";
  let server: ChildProcess | null = null;
  let serverLog = "";
  let browser: Browser | null = null;
  const suffix = Date.now().toString(36).slice(-5);
  const org = `acme-${suffix}`;
  let alice: Player;
  let bob: Player;

  before(async function () {
    this.timeout(240_000);
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`);
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith(".png")) fs.rmSync(path.join(ARTIFACTS, f));

    if (process.env.E2E_SKIP_BUILD !== "1") {
      const build = spawnSync(process.execPath, [TSX, "client-demo/build.ts"], { cwd: ROOT, encoding: "utf8" });
      if (build.status !== 0) throw new Error(`building the demo failed:\n${build.stdout}\n${build.stderr}`);
    }

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-e2e-"));
    // Embedded PGlite and in-process presence, whatever the calling shell points at.
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
    server = spawn(process.execPath, [TSX, "src/index.ts"], {
      cwd: ROOT,
      env: {
        ...env,
        PORT: String(PORT),
        DATA_DIR: dataDir,
        JWT_SECRET: "e2e-secret-that-is-long-enough",
        LOG_LEVEL: "warn",
        NODE_ENV: "development",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so the whole tree is stopped in `after`
    });
    server.stdout!.on("data", (d) => (serverLog += d));
    server.stderr!.on("data", (d) => (serverLog += d));
    await waitForHealth(90_000, server);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const open = async (name: Player["name"]): Promise<Player> => {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => console.error(`[${name}] page error:`, e.message));
      return { name, username: `${name}_${suffix}`, page };
    };
    alice = await open("alice");
    bob = await open("bob");
  });

  beforeEach(async () => {
    // Each step checks only the errors shown during it.
    for (const p of [alice, bob]) {
      await p?.page.evaluate(() => ((window as unknown as { rallyProblems?: unknown[] }).rallyProblems ?? []).splice(0)).catch(() => undefined);
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state !== "failed" || !alice || !bob) return;
    const slug = (this.currentTest.title || "step").replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
    await Promise.allSettled([shot(alice.page, `failed-${slug}-alice`), shot(bob.page, `failed-${slug}-bob`)]);
    if (serverLog.trim()) console.error("server output:\n" + serverLog.split("\n").slice(-40).join("\n"));
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close().catch(() => undefined);
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const stopped = await Promise.race([exited.then(() => true), sleep(12_000).then(() => false)]);
      if (!stopped) {
        try {
          process.kill(-server.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function register(p: Player): Promise<void> {
    await p.page.goto(BASE + "/");
    await p.page.fill("#auth-username", p.username);
    await p.page.fill("#auth-password", PASSWORD);
    await p.page.fill("#auth-org", org);
    await p.page.click(testid("auth-submit"));
    await p.page.waitForSelector(`${testid("me-username")}:has-text("${p.username}")`);
  }

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
    const winnerIds = await Promise.all([alice, bob].map((p) => p.page.getAttribute(testid("dice-winner-title"), "data-winner-id")));
    assert.equal(winnerIds[0], winnerIds[1], "both see the same winner");
    assert.ok(titles.some((t) => t?.startsWith("You won!")), `one of them won: ${titles.join(" / ")}`);
    const scores = await alice.page.$$eval(`#dice-players ${testid("dice-score")}`, (els) => els.map((e) => Number(e.textContent)));
    assert.ok(scores.includes(10), `the winner reached the target score: ${scores}`);
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
    await alice.page.selectOption("#space-invite-user", bobId!);
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
    await bob.page.waitForFunction(
      ([sel, x]) => Number(document.querySelector(sel)?.getAttribute("data-x")) > x + 20,
      [testid(`space-user-${alice.username}`), before] as const,
    );
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
    await bob.page.locator(`${testid("chat-message")}[data-mine="true"]:has-text("Rematch later?") ${testid("msg-tick")}[data-read="true"]`).waitFor();
    await shot(alice.page, "13-chat-alice-read-tick");
    await shot(bob.page, "13-chat-bob");
    await expectNoProblems(alice, bob);
  });
});
