/**
 * `npm run loadtest:smoke`: every load-test bot (the `loadtest:<room>` scripts of
 * package.json), headless, for a short run against the built server on embedded defaults.
 * It starts `node dist/index.js` (run `npm run build` first), then for each bot:
 *   - runs it through @colyseus/loadtest's own CLI (its terminal display has no terminal
 *     here, so it draws nothing) with LOADTEST_CLIENTS clients and `--output` to a log file,
 *   - stops it with SIGTERM LOADTEST_SECONDS after it started (the tool then writes its summary),
 *   - fails if the tool counted a failed connection or an error, if a bot logged a warning
 *     (the bots log every rally `error` event and every failed call as one), if fewer
 *     connections succeeded than there were clients, or if the server's /metrics show no
 *     messages in or out of the bot's room.
 *
 *   LOADTEST_PORT     the server's port (default 2593)
 *   LOADTEST_CLIENTS  clients per bot (default 10)
 *   LOADTEST_SECONDS  run time per bot, from its start (default 10)
 *   LOADTEST_BOTS     comma-separated subset (default: lobby,dice,space,trivia,conversation)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root, startDist, stopDist, waitFor200 } from "./distProcess";

const PORT = Number(process.env.LOADTEST_PORT ?? 2593);
const CLIENTS = Number(process.env.LOADTEST_CLIENTS ?? 10);
const SECONDS = Number(process.env.LOADTEST_SECONDS ?? 10);
const base = `http://127.0.0.1:${PORT}`;

interface Bot {
  name: string;
  file: string;
  room: string;
}

/** The bots as package.json's `loadtest:<name>` scripts run them (`tsx loadtest/<x>.ts --room <room>`). */
function bots(): Bot[] {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  const all = Object.entries(scripts).flatMap(([key, command]) => {
    const m = /^loadtest:(\w+)$/.exec(key) && /^tsx (loadtest\/\w+\.ts) --room (\w+)$/.exec(command);
    return m ? [{ name: key.slice("loadtest:".length), file: m[1], room: m[2] }] : [];
  });
  const only = process.env.LOADTEST_BOTS?.split(",").map((s) => s.trim());
  return only ? all.filter((b) => only.includes(b.name)) : all;
}

/** `rally_messages_{in,out}_total` summed per room. */
async function messageCounts(): Promise<Map<string, { in: number; out: number }>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts = new Map<string, { in: number; out: number }>();
  for (const m of text.matchAll(/^rally_messages_(in|out)_total\{room="(\w+)",type="[^"]*"\} (\d+)$/gm)) {
    const c = counts.get(m[2]) ?? { in: 0, out: 0 };
    c[m[1] as "in" | "out"] += Number(m[3]);
    counts.set(m[2], c);
  }
  return counts;
}

interface Summary {
  connected: number;
  failed: number;
  errors: number;
  /** Lines the bots logged as warnings or errors (the tool's log keeps blessed's colour tags). */
  complaints: string[];
}

/** The summary @colyseus/loadtest writes to `--output` when it exits. */
function readSummary(logFile: string): Summary {
  const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
  const num = (label: string) => Number(new RegExp(`${label}: (\\d+)`).exec(text)?.[1] ?? NaN);
  const logs = text.split("Logs:")[1] ?? "";
  const complaints = [...logs.matchAll(/\{(yellow|red)-fg\}([\s\S]*?)\{\/\1-fg\}/g)].map((m) => m[2].trim());
  return {
    connected: num("Successful connections"),
    failed: num("Failed connections"),
    errors: num("Total errors"),
    complaints,
  };
}

async function runBot(bot: Bot, dir: string): Promise<{ summary: Summary; code: number | null; stderr: string }> {
  const logFile = path.join(dir, `${bot.name}.log`);
  const args = [bot.file, "--endpoint", `ws://127.0.0.1:${PORT}`, "--room", bot.room];
  const child = spawn(
    process.execPath,
    ["--import", "tsx", ...args, "--numClients", String(CLIENTS), "--output", logFile],
    // The tool's display writes to stdout; without a terminal there is nothing to see there.
    {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      // The lobby pairs invite each other every 2–4 s instead of 10–30 s, so a short run plays.
      env: {
        ...process.env,
        TERM: process.env.TERM ?? "xterm",
        INVITE_EVERY_SEC: process.env.INVITE_EVERY_SEC ?? "2-4",
      },
    },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The run time counts from the tool's start (it opens its log first), not from tsx's compile.
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(logFile) && child.exitCode === null && Date.now() < deadline) await sleep(100);
  await Promise.race([sleep(SECONDS * 1000), exited]);
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const code = await exited;
  clearTimeout(killer);
  return { summary: readSummary(logFile), code, stderr };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const entry = path.join(root, "dist", "index.js");
  if (!fs.existsSync(entry)) throw new Error("dist/index.js is missing: run `npm run build` first");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-loadtest-"));
  const started = Date.now();
  // Embedded defaults (PGlite, local presence); the bots register from one address with
  // cheap hashes, as the test suites do.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const server = startDist(["node", "--enable-source-maps", "dist/index.js"], root, {
    ...inherited,
    NODE_ENV: "development",
    PORT: String(PORT),
    HOST: "127.0.0.1",
    DATA_DIR: path.join(dir, "data"),
    LOG_LEVEL: "warn",
    PASSWORD_HASH_COST: "10",
    REGISTRATIONS_PER_IP_PER_HOUR: "0",
    REST_WRITES_PER_MINUTE: "0",
  });
  const alive = () => server.child.exitCode === null && server.child.signalCode === null;
  const problems: string[] = [];
  const rows: string[][] = [];
  try {
    await waitFor200(`${base}/readyz`, 60_000, alive);
    for (const bot of bots()) {
      const before = (await messageCounts()).get(bot.room) ?? { in: 0, out: 0 };
      const t0 = Date.now();
      const { summary: s, code, stderr } = await runBot(bot, dir);
      const after = (await messageCounts()).get(bot.room) ?? { in: 0, out: 0 };
      const traffic = { in: after.in - before.in, out: after.out - before.out };
      rows.push([
        bot.name,
        String(s.connected),
        String(s.failed),
        String(s.errors),
        String(s.complaints.length),
        String(traffic.in),
        String(traffic.out),
        `${((Date.now() - t0) / 1000).toFixed(1)} s`,
      ]);
      const mine = (p: string) => problems.push(`${bot.name}: ${p}`);
      if (code !== 0) mine(`the tool exited with ${code}${stderr ? `: ${stderr.slice(-1000)}` : ""}`);
      if (!(s.connected >= CLIENTS)) mine(`${s.connected} successful connections for ${CLIENTS} clients`);
      if (s.failed !== 0) mine(`${s.failed} failed connections`);
      if (s.errors !== 0) mine(`${s.errors} errors`);
      for (const c of s.complaints.slice(0, 10)) mine(`logged: ${c}`);
      if (traffic.in <= 0 || traffic.out <= 0) mine(`no traffic in the ${bot.room} room: ${JSON.stringify(traffic)}`);
    }
  } finally {
    const stopped = await stopDist(server, 10_000);
    if (stopped.code !== 0) problems.push(`the server exited with ${stopped.code}`);
    // Anything the server logged at error level or above (pino levels 50, 60).
    for (const line of server
      .output()
      .split("\n")
      .filter((l) => /"level":(50|60)/.test(l))
      .slice(0, 10))
      problems.push(`server: ${line.slice(0, 500)}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nloadtest smoke: ${CLIENTS} clients per bot, ${SECONDS} s each\n`);
  console.log("| bot | connected | failed | errors | warnings | messages in | events out | time |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (problems.length) {
    console.error(`\nloadtest smoke: FAILED\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`loadtest smoke: FAILED — ${(e as Error).message}`);
  process.exit(1);
});
