import { GeneratorGroup, split } from "../lib/generators";
import { cpuMicros, sleep } from "../lib/proc";
import { maybeProfile, startServer, type RunningServer } from "../lib/servers";
import { Histogram, round, summarize, type LatencySummary, type Sparse } from "../lib/stats";
import type { BenchContext } from "./context";

/**
 * Scenario B, conversation chat with persistence: messages are stored (PGlite or Postgres)
 * and then delivered to the other participant. Each rate step passes when p99 ≤ 50 ms, every
 * message was delivered, and every message sent was stored.
 */

export const CHAT_P99_LIMIT_MS = 50;

export interface ChatStep {
  rate: number;
  pass: boolean;
  reason?: string;
  achievedPerSec: number;
  deliveredPct: number;
  stored: number;
  sent: number;
  latency: LatencySummary;
  errors: number;
  errorSamples: string[];
  serverCpuPct: number;
  serverCpuUsPerMessage: number;
}

export interface ChatResult {
  backend: "pglite" | "postgres";
  skipped?: string;
  error?: string;
  conversations: number;
  steps: ChatStep[];
  /** The highest rate that passed. */
  maxRate: number;
}

interface RunOutput {
  sent: number;
  windowSent: number;
  windowMs: number;
  delivered: number;
  errors: number;
  errorSamples: string[];
  latency: Sparse;
}

export async function runChat(ctx: BenchContext, backend: "pglite" | "postgres"): Promise<ChatResult> {
  const conversations = ctx.quick ? 50 : 100;
  const result: ChatResult = { backend, conversations, steps: [], maxRate: 0 };
  if (backend === "postgres" && !ctx.databaseUrl) {
    result.skipped = "skipped: no Postgres (set BENCH_DATABASE_URL)";
    return result;
  }
  let server: RunningServer | undefined;
  let gens: GeneratorGroup | undefined;
  try {
    server = await startServer("rally", {
      cores: ctx.serverCores,
      databaseUrl: backend === "postgres" ? ctx.databaseUrl : undefined,
    });
    const plans = await server.call<Array<{ key: string; members: Array<{ id: string; token: string }> }>>(
      "conversations",
      { count: conversations },
      120_000,
    );
    gens = await GeneratorGroup.start("bench/generators/chat.ts", 2, ctx.generatorCores, "chat");
    const groups = split(plans, 2);
    const joins = await gens.all<{ connected: number; failed: number; errors: string[] }>("connect", (i) => ({
      port: server!.port,
      conversations: groups[i],
    }));
    const failed = joins.reduce((s, j) => s + j.failed, 0);
    if (failed > 0)
      throw new Error(`${failed} chat clients could not join: ${joins.flatMap((j) => j.errors).join("; ")}`);

    for (const rate of ctx.chatRates) {
      ctx.log(`  B ${backend}: ${rate} msg/s …`);
      const d = ctx.durations.chat;
      const storedBefore = await server.call<number>("countMessages");
      const running = gens.all<RunOutput>(
        "run",
        () => ({ rate: rate / 2, ...d }),
        d.warmupMs + d.measureMs + d.drainMs + 60_000,
      );
      running.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      await sleep(d.warmupMs);
      const cpu0 = cpuMicros(server.child.pid);
      const t0 = performance.now();
      await maybeProfile(server, `chat-${backend}-${rate}`, () => sleep(d.measureMs));
      const cpu = cpuMicros(server.child.pid) - cpu0;
      const elapsedMs = performance.now() - t0;
      const outputs = await running;
      await sleep(500);
      const stored = (await server.call<number>("countMessages")) - storedBefore;

      const hist = new Histogram();
      for (const o of outputs) hist.merge(Histogram.fromSparse(o.latency));
      const sent = outputs.reduce((s, o) => s + o.sent, 0);
      const windowSent = outputs.reduce((s, o) => s + o.windowSent, 0);
      const delivered = outputs.reduce((s, o) => s + o.delivered, 0);
      const errors = outputs.reduce((s, o) => s + o.errors, 0);
      const windowMs = outputs.reduce((s, o) => s + o.windowMs, 0) / outputs.length;
      const latency = summarize(hist);
      const step: ChatStep = {
        rate,
        pass: false,
        achievedPerSec: round(delivered / (windowMs / 1000), 0),
        deliveredPct: windowSent ? round((delivered / windowSent) * 100, 2) : 0,
        stored,
        sent,
        latency,
        errors,
        errorSamples: outputs.flatMap((o) => o.errorSamples).slice(0, 3),
        serverCpuPct: round((cpu / 1000 / elapsedMs) * 100, 1),
        serverCpuUsPerMessage: delivered ? round(cpu / (delivered * (elapsedMs / windowMs)), 1) : NaN,
      };
      const reasons: string[] = [];
      if (!(latency.p99 <= CHAT_P99_LIMIT_MS)) reasons.push(`p99 ${latency.p99} ms`);
      if (delivered < windowSent) reasons.push(`delivered ${step.deliveredPct} %`);
      if (stored < sent) reasons.push(`stored ${stored} of ${sent}`);
      if (errors > 0) reasons.push(`${errors} errors`);
      step.pass = reasons.length === 0;
      if (!step.pass) step.reason = reasons.join(", ");
      result.steps.push(step);
      ctx.log(
        `  B ${backend}: ${rate} msg/s → ${step.pass ? "pass" : `FAIL (${step.reason})`}; p50 ${latency.p50} ms, p99 ${latency.p99} ms, stored ${stored}/${sent}, server CPU ${step.serverCpuPct} %`,
      );
      if (!step.pass) break;
      result.maxRate = rate;
      await sleep(500);
    }
    await gens.all("leave", () => ({}), 30_000).catch(() => undefined);
  } catch (e) {
    result.error = (e as Error).message.split("\n").slice(0, 6).join("\n");
    ctx.log(`  B ${backend}: error: ${result.error}`);
  } finally {
    await gens?.stop();
    await server?.stop();
  }
  return result;
}
