/**
 * What every browser end-to-end spec needs: the demo built once, a real server in a child
 * process on its own port and data dir, Debian's Chromium, players (one browser context
 * each), screenshots, and the problems the page showed. Each spec file calls `useDemo()`
 * inside its `describe` and gets the live objects from the returned handle.
 *
 * Env: CHROMIUM_PATH (default /usr/bin/chromium), E2E_SKIP_BUILD=1.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const ROOT = path.resolve(__dirname, "../..");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(ROOT, "test-artifacts/e2e");
export const PASSWORD = "correct-horse-battery";
const TSX = require.resolve("tsx/cli");

export interface Player {
  name: string;
  username: string;
  page: Page;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const testid = (id: string) => `[data-testid="${id}"]`;

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Problems the page showed to the person (ui.showError keeps them in window.rallyProblems). */
export async function problems(
  p: Player,
): Promise<Array<{ code: string; title: string; detail?: string; context?: string }>> {
  return p.page.evaluate(() => (window as unknown as { rallyProblems?: [] }).rallyProblems ?? []);
}

export async function expectNoProblems(...players: Player[]): Promise<void> {
  for (const p of players) {
    const shown = await problems(p);
    assert.deepEqual(shown, [], `${p.name} was shown errors: ${JSON.stringify(shown)}`);
  }
}

let built = false;
/** Build the demo once per mocha run (every spec file shares the bundle). */
function buildDemoOnce(): void {
  if (built || process.env.E2E_SKIP_BUILD === "1") return;
  const build = spawnSync(process.execPath, [TSX, "client-demo/build.ts"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`building the demo failed:\n${build.stdout}\n${build.stderr}`);
  built = true;
}

async function waitForHealth(base: string, deadlineMs: number, server: ChildProcess): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the server did not answer ${base}/healthz within ${deadlineMs} ms`);
}

export interface DemoOptions {
  /** The server's port; each spec file uses its own so files never share state. */
  port: number;
  /** Extra environment for the server (short token lifetimes, limits…). */
  env?: Record<string, string>;
}

export interface Demo {
  base: string;
  /** A short random suffix for this run's usernames and names. */
  suffix: string;
  browser(): Browser;
  serverLog(): string;
  /** A new player: its own browser context (own storage), not yet signed up. */
  player(name: string): Promise<Player>;
  /**
   * Sign up `p` through the demo's form and wait for the signed-in header. Trivia is per
   * organization: the run's first player creates `acme-<suffix>`, and every later one joins
   * it with an invite code the first player creates in the demo (the header's "Invite").
   */
  register(p: Player): Promise<void>;
}

/**
 * Mocha hooks for one spec file: start the server and Chromium before, screenshot both pages
 * of a failed test, stop everything after. Call inside `describe`.
 */
export function useDemo(opts: DemoOptions): Demo {
  const base = `http://127.0.0.1:${opts.port}`;
  const suffix = Date.now().toString(36).slice(-5);
  let dataDir = "";
  let server: ChildProcess | null = null;
  let log = "";
  let browser: Browser | null = null;
  const players: Player[] = [];
  /** What Chromium refused under the page's Content-Security-Policy (issue 14): must stay empty. */
  const cspViolations: string[] = [];
  /** The player whose org later players join (the first one registered). */
  let orgOwner: Player | null = null;

  /** A fresh invite code from the owner's page, as a person would create and pass it on. */
  async function inviteCodeFrom(owner: Player): Promise<string> {
    const code = owner.page.locator(testid("org-invite-code"));
    const before = (await code.textContent()) ?? "";
    await owner.page.click(testid("org-invite"));
    await owner.page.waitForFunction(
      ([sel, prev]) => {
        const t = document.querySelector(sel)?.textContent ?? "";
        return t.length > 0 && t !== prev;
      },
      [testid("org-invite-code"), before] as const,
    );
    return ((await code.textContent()) ?? "").trim();
  }

  before(async function () {
    this.timeout(240_000);
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`,
      );
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    buildDemoOnce();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-e2e-"));
    // Embedded PGlite and in-process presence, whatever the calling shell points at.
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
    server = spawn(process.execPath, [TSX, "src/index.ts"], {
      cwd: ROOT,
      env: {
        ...env,
        PORT: String(opts.port),
        DATA_DIR: dataDir,
        JWT_SECRET: "e2e-secret-that-is-long-enough",
        LOG_LEVEL: "warn",
        NODE_ENV: "development",
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so the whole tree is stopped in `after`
    });
    server.stdout!.on("data", (d) => (log += d));
    server.stderr!.on("data", (d) => (log += d));
    await waitForHealth(base, 90_000, server);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  beforeEach(async () => {
    // Each step checks only the errors shown during it.
    for (const p of players) {
      await p.page
        .evaluate(() => ((window as unknown as { rallyProblems?: unknown[] }).rallyProblems ?? []).splice(0))
        .catch(() => undefined);
    }
  });

  afterEach(async function () {
    if (cspViolations.length)
      throw new Error(`the demo broke its Content-Security-Policy:\n${cspViolations.splice(0).join("\n")}`);
    if (this.currentTest?.state !== "failed") return;
    const slug = (this.currentTest.title || "step").replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
    await Promise.allSettled(players.map((p) => shot(p.page, `failed-${slug}-${p.name}`)));
    if (log.trim()) console.error("server output:\n" + log.split("\n").slice(-40).join("\n"));
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close().catch(() => undefined);
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-server!.pid!, signal);
        } catch {
          // already gone
        }
      };
      kill("SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(12_000).then(() => false)]);
      if (!stopped) kill("SIGKILL");
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    base,
    suffix,
    browser: () => {
      if (!browser) throw new Error("the browser is not started yet (use it inside a test or hook)");
      return browser;
    },
    serverLog: () => log,
    async player(name) {
      const context = await this.browser().newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => console.error(`[${name}] page error:`, e.message));
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(`[${name}] ${m.text()}`);
      });
      const p = { name, username: `${name}_${suffix}`, page };
      players.push(p);
      return p;
    },
    async register(p) {
      await p.page.goto(base + "/");
      await p.page.fill("#auth-username", p.username);
      await p.page.fill("#auth-password", PASSWORD);
      if (orgOwner) await p.page.fill("#auth-invite", await inviteCodeFrom(orgOwner));
      else await p.page.fill("#auth-org", `acme-${suffix}`);
      await p.page.click(testid("auth-submit"));
      await p.page.waitForSelector(`${testid("me-username")}:has-text("${p.username}")`);
      orgOwner ??= p;
    },
  };
}
