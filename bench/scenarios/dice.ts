import { GeneratorGroup, split } from "../lib/generators";
import { cpuMicros, sleep } from "../lib/proc";
import { maybeProfile, startServer, type RunningServer } from "../lib/servers";
import { Histogram, round, summarize, type LatencySummary, type Sparse } from "../lib/stats";
import type { BenchContext } from "./context";

/**
 * Scenario D: complete `bigger_dice` games per minute. Pairs of bots play back to back
 * (create, join, ready, roll on their turn, game_ended, leave, again) with a low targetScore
 * and a short think time before each roll, so the number measures how many games the server
 * carries and stores, not how fast one bot can click.
 */

export interface DiceResult {
  pairs: number;
  targetScore: number;
  thinkMs: number;
  gamesPerMinute: number;
  completed: number;
  failures: number;
  failureSamples: string[];
  rollLatency: LatencySummary;
  gameDurationMs: LatencySummary;
  storedGames: number | null;
  serverCpuPct: number;
  error?: string;
}

interface RunOutput {
  windowCompleted: number;
  windowMs: number;
  completed: number;
  failures: number;
  failureSamples: string[];
  rollLatency: Sparse;
  gameDuration: Sparse;
}

export const DICE_THINK_MS = 50;

export async function runDice(ctx: BenchContext): Promise<DiceResult> {
  const result: DiceResult = {
    pairs: ctx.dicePairs,
    targetScore: ctx.diceTargetScore,
    thinkMs: DICE_THINK_MS,
    gamesPerMinute: 0,
    completed: 0,
    failures: 0,
    failureSamples: [],
    rollLatency: summarize(new Histogram()),
    gameDurationMs: summarize(new Histogram()),
    storedGames: null,
    serverCpuPct: 0,
  };
  let server: RunningServer | undefined;
  let gens: GeneratorGroup | undefined;
  try {
    server = await startServer("rally", { cores: ctx.serverCores });
    const users = await server.call<Array<{ id: string; token: string }>>("users", { count: ctx.dicePairs * 2 });
    const pairs = Array.from({ length: ctx.dicePairs }, (_, i) => [users[2 * i]!, users[2 * i + 1]!] as const);
    const generatorCount = 2;
    const groups = split([...pairs], generatorCount);
    gens = await GeneratorGroup.start("bench/generators/dice.ts", generatorCount, ctx.generatorCores, "dice");
    const { warmupMs, measureMs } = { warmupMs: ctx.quick ? 1000 : 3000, measureMs: ctx.durations.diceMs };
    const running = gens.all<RunOutput>(
      "run",
      (i) => ({
        port: server!.port,
        pairs: groups[i],
        targetScore: ctx.diceTargetScore,
        thinkMs: DICE_THINK_MS,
        warmupMs,
        measureMs,
      }),
      warmupMs + measureMs + 60_000,
    );
    running.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    await sleep(warmupMs);
    const cpu0 = cpuMicros(server.child.pid);
    const t0 = performance.now();
    await maybeProfile(server, "dice", () => sleep(measureMs));
    const cpu = cpuMicros(server.child.pid) - cpu0;
    const elapsedMs = performance.now() - t0;
    const outputs = await running;
    const windowCompleted = outputs.reduce((s, o) => s + o.windowCompleted, 0);
    const windowMs = outputs.reduce((s, o) => s + o.windowMs, 0) / outputs.length;
    const rolls = new Histogram();
    const games = new Histogram();
    for (const o of outputs) {
      rolls.merge(Histogram.fromSparse(o.rollLatency));
      games.merge(Histogram.fromSparse(o.gameDuration));
    }
    result.completed = outputs.reduce((s, o) => s + o.completed, 0);
    result.failures = outputs.reduce((s, o) => s + o.failures, 0);
    result.failureSamples = outputs.flatMap((o) => o.failureSamples).slice(0, 3);
    result.gamesPerMinute = round((windowCompleted / windowMs) * 60_000, 0);
    result.rollLatency = summarize(rolls);
    result.gameDurationMs = summarize(games);
    result.serverCpuPct = round((cpu / 1000 / elapsedMs) * 100, 1);
    await sleep(500);
    result.storedGames = await server.call<number | null>("countGames").catch(() => null);
    ctx.log(
      `  D dice: ${result.gamesPerMinute} games/min with ${ctx.dicePairs} pairs (roll p99 ${result.rollLatency.p99} ms, ${result.failures} failures, ${result.storedGames ?? "?"} stored)`,
    );
  } catch (e) {
    result.error = (e as Error).message.split("\n").slice(0, 6).join("\n");
    ctx.log(`  D dice: error: ${result.error}`);
  } finally {
    await gens?.stop();
    await server?.stop();
  }
  return result;
}
