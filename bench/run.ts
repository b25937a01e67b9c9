import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describeMachine } from "./lib/machine";
import { killAllChildren, ROOT, taskset } from "./lib/proc";
import { computeTargets, renderMarkdown, type BenchResult } from "./lib/report";
import { profiling, sharing, stopSharedServers, type ServerName } from "./lib/servers";
import { runBigSpace } from "./scenarios/bigspace";
import { runChat } from "./scenarios/chat";
import type { BenchContext } from "./scenarios/context";
import { runDice } from "./scenarios/dice";
import { runFanout } from "./scenarios/fanout";
import { runJoins } from "./scenarios/joins";
import { runStart } from "./scenarios/start";

/**
 * `npm run bench [-- --quick] [--only=A,B,C,D,E,F] [--servers=rally,colyseus,ws,socketio] [--steps=100,300]
 *   [--sizes=200,500,1000] [--profile[=rally,colyseus]]`
 *
 * Starts each server under test and separate load-generator processes on 127.0.0.1, runs
 * the scenarios (A space fan-out, B chat with persistence, C joins/s and memory per idle
 * client, D dice games per minute, E one big space with interest management), prints a markdown report and writes it, with the raw
 * JSON, to bench/results/. Every phase has a time limit, a watchdog bounds the whole run,
 * and every child is killed on any exit path. Exit code 1 only when a scenario could not
 * run (an error, not a missed target): targets are reported, never asserted.
 */

const ALL_SERVERS: ServerName[] = ["rally", "colyseus", "ws", "socketio"];

function option(argv: string[], name: string): string | undefined {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

function settings(argv: string[]): {
  ctx: BenchContext;
  only: Set<string>;
  servers: ServerName[];
  custom: boolean;
  deadlineMs: number;
} {
  const quick = argv.includes("--quick");
  const pin = taskset();
  const only = new Set((option(argv, "only") ?? "A,B,C,D,E,F").toUpperCase().split(","));
  const servers = (option(argv, "servers")?.split(",") ?? ALL_SERVERS) as ServerName[];
  const steps =
    option(argv, "steps")?.split(",").map(Number) ?? (quick ? [100, 300] : [100, 300, 600, 1000, 1500, 2000]);
  const profile = option(argv, "profile") ?? (argv.includes("--profile") ? "" : undefined);
  if (profile !== undefined) {
    for (const name of (profile || "rally").split(",")) profiling.servers.add(name);
    profiling.dir = path.join(ROOT, "bench", "results", "profiles");
  }
  const ctx: BenchContext = {
    quick,
    serverCores: pin ? "0" : undefined,
    generatorCores: pin ? "1" : undefined,
    generatorCoreCount: 1,
    clientsPerGenerator: 300,
    observersPerRoom: Number(process.env.BENCH_OBSERVERS ?? 5),
    fanoutSteps: steps,
    bigSpaceSizes: option(argv, "sizes")?.split(",").map(Number) ?? (quick ? [200] : [200, 500, 1000]),
    chatRates: quick ? [100, 500] : [100, 250, 500, 1000, 2000],
    joinClients: quick ? 300 : 2000,
    idleClients: quick ? 300 : 2000,
    dicePairs: quick ? 10 : 50,
    diceTargetScore: 3,
    durations: quick
      ? {
          fanout: { warmupMs: 1000, measureMs: 2500, drainMs: 600 },
          chat: { warmupMs: 700, measureMs: 2500, drainMs: 600 },
          bigSpace: { warmupMs: 1000, measureMs: 2000, drainMs: 500 },
          diceMs: 4000,
        }
      : {
          fanout: { warmupMs: 3000, measureMs: 10_000, drainMs: 1500 },
          chat: { warmupMs: 2000, measureMs: 10_000, drainMs: 1000 },
          bigSpace: { warmupMs: 3000, measureMs: 10_000, drainMs: 1500 },
          diceMs: 30_000,
        },
    databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
    log: (line) => console.log(`[${Math.round(process.uptime())}s] ${line.trimStart()}`),
  };
  // A run narrowed by options is kept apart from the standard quick and full runs.
  const custom = ["only", "servers", "steps", "sizes", "profile"].some((o) =>
    argv.some((a) => a === `--${o}` || a.startsWith(`--${o}=`)),
  );
  return { ctx, only, servers, custom, deadlineMs: quick ? 240_000 : 40 * 60_000 };
}

/**
 * `<stamp>.json/.md` for a full run (and latest.*), `quick-<stamp>` (and latest-quick.*) for
 * --quick, `custom-<stamp>` for a run narrowed by options (no latest).
 */
function writeResults(result: BenchResult, markdown: string, custom: boolean): string[] {
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:]/g, "-").replace(/\..+$/, "");
  const prefix = custom ? "custom-" : result.mode === "quick" ? "quick-" : "";
  const files = [`${prefix}${stamp}.json`, `${prefix}${stamp}.md`];
  if (!custom) {
    const latest = result.mode === "quick" ? "latest-quick" : "latest";
    files.push(`${latest}.json`, `${latest}.md`);
  }
  for (const f of files)
    fs.writeFileSync(path.join(dir, f), (f.endsWith(".json") ? JSON.stringify(result, null, 2) : markdown) + "\n");
  return files.map((f) => path.join("bench/results", f));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { ctx, only, servers, custom, deadlineMs } = settings(argv);
  const started = Date.now();
  const pin = taskset();
  // The orchestrator stays off the servers' core.
  if (pin) execFileSync(pin, ["-a", "-cp", "1", String(process.pid)], { stdio: "ignore" });

  sharing.enabled = ctx.quick;
  const watchdog = setTimeout(() => {
    console.error(`bench: exceeded its ${deadlineMs / 1000} s limit; stopping every child`);
    killAllChildren();
    process.exit(1);
  }, deadlineMs);
  watchdog.unref();

  const machine = describeMachine(!!pin);
  console.log(
    `rally bench (${ctx.quick ? "quick" : "full"}): ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join("/")}`,
  );
  const notes: string[] = [];
  if (!pin) notes.push("taskset was not found: servers and generators ran unpinned.");
  if (ctx.quick) {
    notes.push(
      "Quick run: small sizes, short windows, one server of each kind shared by the scenarios. It shows that every scenario works; its numbers are rough (memory per idle client most of all).",
    );
  }

  const partial: Omit<BenchResult, "targets"> = {
    version: 1,
    mode: ctx.quick ? "quick" : "full",
    command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    startedAt: new Date(started).toISOString(),
    durationSec: 0,
    machine,
    settings: {
      fanoutSteps: ctx.fanoutSteps,
      bigSpaceSizes: ctx.bigSpaceSizes,
      durations: ctx.durations,
      clientsPerGenerator: ctx.clientsPerGenerator,
      observersPerRoom: ctx.observersPerRoom,
      chatRates: ctx.chatRates,
      joinClients: ctx.joinClients,
      dicePairs: ctx.dicePairs,
      diceTargetScore: ctx.diceTargetScore,
      postgres: ctx.databaseUrl ? "BENCH_DATABASE_URL" : null,
      servers,
    },
    fanout: [],
    chat: [],
    joins: [],
    dice: null,
    bigSpace: [],
    start: [],
    notes,
  };

  if (only.has("A")) {
    console.log("A. space fan-out");
    partial.fanout.push(...(await runFanout(ctx, servers)));
  }
  if (only.has("B")) {
    console.log("B. conversation chat with persistence");
    partial.chat.push(await runChat(ctx, "pglite"));
    partial.chat.push(await runChat(ctx, "postgres"));
  }
  if (only.has("C")) {
    console.log("C. joins/s and memory per idle client");
    // Joins through the matchmaker concern the Colyseus servers; the quick run skips the others.
    const joinServers = ctx.quick ? servers.filter((s) => s === "rally" || s === "colyseus") : servers;
    for (const name of joinServers) partial.joins.push(await runJoins(ctx, name));
    // rally on PostgreSQL too: its idle footprint and cost per client without PGlite.
    if (ctx.databaseUrl && !ctx.quick && servers.includes("rally"))
      partial.joins.push(await runJoins(ctx, "rally", ctx.databaseUrl));
  }
  if (only.has("D")) {
    console.log("D. dice games per minute");
    partial.dice = await runDice(ctx);
  }

  if (only.has("E")) {
    console.log("E. one big space: interest management against broadcasting");
    partial.bigSpace = await runBigSpace(ctx, servers);
  }

  if (only.has("F")) {
    console.log("F. start time and idle footprint");
    partial.start = await runStart(ctx);
  }

  await stopSharedServers();
  partial.durationSec = (Date.now() - started) / 1000;
  const others = partial.fanout.flatMap((f) => f.steps.map((s) => s.otherLoadPct));
  const meanOther = others.length ? others.reduce((a, b) => a + b, 0) / others.length : 0;
  if (meanOther > 20) {
    notes.push(
      `Other processes used ${Math.round(meanOther)} % of a core on average during scenario A's measured windows (up to ${Math.round(Math.max(...others))} %): the machine was shared, so latencies and capacities are pessimistic and comparisons between servers noisy.`,
    );
  }
  const result: BenchResult = { ...partial, targets: computeTargets(partial, ctx.fanoutSteps) };
  const markdown = renderMarkdown(result, ctx.fanoutSteps);
  console.log("");
  console.log(markdown);
  const written = writeResults(result, markdown, custom);
  console.log(`written: ${written.join(", ")}`);

  const errors = [
    ...result.fanout.filter((f) => f.error).map((f) => `A ${f.server}`),
    ...result.chat.filter((c) => c.error).map((c) => `B ${c.backend}`),
    ...result.joins.filter((j) => j.error).map((j) => `C ${j.server}`),
    ...(result.dice?.error ? ["D"] : []),
    ...(result.bigSpace ?? []).filter((b) => b.error).map((b) => `E ${b.variant}`),
    ...(result.start ?? []).filter((f) => f.error && !f.error.startsWith("skipped")).map((f) => `F ${f.target}`),
  ];
  if (errors.length) {
    console.error(`bench: scenarios that could not run: ${errors.join(", ")}`);
    return 1;
  }
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
process.on("exit", killAllChildren);
main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    killAllChildren();
    process.exit(1);
  },
);
