import { GeneratorGroup } from "../lib/generators";
import { cpuMicros, rssBytes, sleep } from "../lib/proc";
import { maybeProfile, startServer, type RunningServer, type ServerName } from "../lib/servers";
import { Histogram, round, summarize, type LatencySummary, type Sparse } from "../lib/stats";
import type { BenchContext } from "./context";
import { DELIVERY_MIN, MOVE_HZ, P99_LIMIT_MS } from "./fanout";

/**
 * Scenario E, one big space: N avatars in ONE space random-walk at 10 Hz, the space sized so
 * that about AVATARS_PER_VIEW are in each view on average (constant density). Three ways of
 * serving it, in the same run: rally with interest management (view radius VIEW_RADIUS),
 * rally broadcasting to the whole space (view radius 0), and bare Colyseus (broadcast).
 * A size passes when ≥ 95 % of the in-view updates arrive, p99 ≤ 250 ms, and every client
 * joined. Each variant climbs the sizes until one fails.
 */

export const VIEW_RADIUS = 100;
export const AVATARS_PER_VIEW = 20;
/** A walk step per move (each axis, up to): a view's width is crossed in about 4 s. */
const STEP = 5;
/** Moves this close to the view's edge are not counted as due (the avatar may leave before the patch). */
const MARGIN = 2 * STEP;
/** Observers (clients that decode and measure) per space, spread over the generators. */
const OBSERVERS = 40;

export type BigSpaceVariant = "rally-im" | "rally-broadcast" | "colyseus";

export const VARIANT_LABELS: Record<BigSpaceVariant, string> = {
  "rally-im": "rally (interest management)",
  "rally-broadcast": "rally (broadcast to the space)",
  colyseus: "bare Colyseus (broadcast)",
};

/** The square side that keeps AVATARS_PER_VIEW avatars in a (2 × VIEW_RADIUS)² view on average. */
export const sideFor = (avatars: number) => Math.round(2 * VIEW_RADIUS * Math.sqrt(avatars / AVATARS_PER_VIEW));

export interface BigSpaceStep {
  avatars: number;
  side: number;
  connected: number;
  failedJoins: number;
  joinErrors: string[];
  generators: number;
  observers: number;
  pass: boolean;
  reason?: string;
  /** In-view updates: moves made inside an observer's view, that had to reach it. */
  latency: LatencySummary;
  deliveryPct: number;
  /** Average in-view updates due per observer per second (≈ avatars in view × 10 Hz). */
  inViewPerClientPerSec: number;
  /** Every position update an observer received per second (in view or not). */
  updatesPerClientPerSec: number;
  bytesPerClientPerSec: number;
  serverCpuPct: number;
  /** Server CPU ÷ every update delivered to every client (extrapolated from the observers). */
  serverCpuUsPerUpdate: number;
  serverRssMB: number;
  generatorCpuPct: number;
  generatorLoopDelayP99Ms: number;
  generatorBound: boolean;
  disconnected: number;
}

export interface BigSpaceResult {
  variant: BigSpaceVariant;
  steps: BigSpaceStep[];
  /** The largest size that passed (0: none). */
  maxAvatars: number;
  error?: string;
}

interface GeneratorOutput {
  clients: number;
  observers: number;
  disconnected: number;
  movesInWindow: number;
  expected: number;
  delivered: number;
  updatesSeen: number;
  windowBytes: number;
  windowMs: number;
  latency: Sparse;
  loopDelayP99Ms: number;
}

async function planSpace(server: RunningServer, variant: BigSpaceVariant, avatars: number, side: number) {
  if (server.name === "rally") {
    const viewRadius = variant === "rally-im" ? VIEW_RADIUS : 0;
    const [space] = await server.call<Array<{ key: string; members: Array<{ id: string; token: string }> }>>(
      "spaces",
      { rooms: 1, perRoom: avatars, width: side, height: side, viewRadius },
      180_000,
    );
    return space!;
  }
  const tag = `big-${avatars}-${Date.now()}`;
  return { key: tag, members: Array.from({ length: avatars }, (_, i) => ({ id: `${tag}-u${i}`, username: `u${i}` })) };
}

async function bigSpaceStep(
  ctx: BenchContext,
  server: RunningServer,
  variant: BigSpaceVariant,
  pool: GeneratorGroup,
  avatars: number,
): Promise<BigSpaceStep> {
  const d = ctx.durations.bigSpace;
  const side = sideFor(avatars);
  const space = await planSpace(server, variant, avatars, side);
  const generatorCount = Math.max(1, Math.ceil(avatars / ctx.clientsPerGenerator));
  await pool.ensure(generatorCount);
  const gens = pool.take(generatorCount);
  const mine = Array.from({ length: generatorCount }, (_, g) =>
    space.members.map((_, i) => i).filter((i) => i % generatorCount === g),
  );
  const every = Math.max(1, Math.floor(avatars / OBSERVERS));
  const steps = Math.ceil(((d.warmupMs + d.measureMs + d.drainMs) / 1000 + 2) * MOVE_HZ);
  try {
    const joins = await gens.all<{ connected: number; failed: number; errors: string[] }>(
      "connect",
      (g) => ({
        kind: server.name,
        port: server.port,
        roomKey: space.key,
        members: space.members,
        mine: mine[g],
        observers: mine[g]!.filter((i) => i % every === 0),
        side,
        radius: VIEW_RADIUS,
        step: STEP,
        margin: MARGIN,
        hz: MOVE_HZ,
        steps,
        concurrency: 20,
      }),
      300_000,
    );
    const connected = joins.reduce((s, j) => s + j.connected, 0);
    const failedJoins = joins.reduce((s, j) => s + j.failed, 0);
    await sleep(500);

    const startAt = Date.now() + 300;
    const running = gens.all<GeneratorOutput>(
      "run",
      () => ({ startAt, ...d }),
      d.warmupMs + d.measureMs + d.drainMs + 60_000,
    );
    running.catch(() => undefined); // awaited below
    await sleep(startAt + d.warmupMs - Date.now());
    const serverCpu0 = cpuMicros(server.child.pid);
    const genCpu0 = gens.cpuMicros();
    const t0 = performance.now();
    await maybeProfile(server, `bigspace-${variant}-${avatars}`, () => sleep(d.measureMs));
    const elapsedMs = performance.now() - t0;
    const serverCpu = cpuMicros(server.child.pid) - serverCpu0;
    const genCpu = gens.cpuMicros() - genCpu0;
    const rss = rssBytes(server.child.pid);
    const outputs = await running;

    const hist = new Histogram();
    for (const o of outputs) hist.merge(Histogram.fromSparse(o.latency));
    const sum = (f: (o: GeneratorOutput) => number) => outputs.reduce((s, o) => s + f(o), 0);
    const observers = sum((o) => o.observers);
    const clients = sum((o) => o.clients);
    const windowSec = d.measureMs / 1000;
    const expected = sum((o) => o.expected);
    const deliveryRatio = expected > 0 ? sum((o) => o.delivered) / expected : 0;
    const updatesPerClientPerSec = observers > 0 ? sum((o) => o.updatesSeen) / observers / windowSec : 0;
    const updatesAll = updatesPerClientPerSec * clients * (elapsedMs / 1000);
    const generatorCpuPct = (genCpu / 1000 / elapsedMs) * 100;
    const latency = summarize(hist);
    const step: BigSpaceStep = {
      avatars,
      side,
      connected,
      failedJoins,
      joinErrors: joins.flatMap((j) => j.errors).slice(0, 3),
      generators: generatorCount,
      observers,
      pass: false,
      latency,
      deliveryPct: round(deliveryRatio * 100, 2),
      inViewPerClientPerSec: round(observers > 0 ? expected / observers / windowSec : 0, 0),
      updatesPerClientPerSec: round(updatesPerClientPerSec, 0),
      bytesPerClientPerSec: round(clients > 0 ? sum((o) => o.windowBytes) / clients / windowSec : 0, 0),
      serverCpuPct: round((serverCpu / 1000 / elapsedMs) * 100, 1),
      serverCpuUsPerUpdate: updatesAll > 0 ? round(serverCpu / updatesAll, 2) : NaN,
      serverRssMB: round(rss / 1048576, 1),
      generatorCpuPct: round(generatorCpuPct, 1),
      generatorLoopDelayP99Ms: round(Math.max(...outputs.map((o) => o.loopDelayP99Ms)), 1),
      generatorBound: generatorCpuPct > 90 * ctx.generatorCoreCount,
      disconnected: sum((o) => o.disconnected),
    };
    const reasons: string[] = [];
    if (failedJoins > 0) reasons.push(`${failedJoins} joins failed`);
    if (!(latency.p99 <= P99_LIMIT_MS)) reasons.push(`p99 ${latency.p99} ms`);
    if (deliveryRatio < DELIVERY_MIN) reasons.push(`in-view delivery ${step.deliveryPct} %`);
    step.pass = reasons.length === 0;
    if (!step.pass) step.reason = reasons.join(", ") + (step.generatorBound ? " (generators saturated)" : "");
    return step;
  } finally {
    await gens.all("reset", () => ({}), 60_000).catch(() => undefined);
  }
}

/**
 * Every variant climbs the sizes, interleaved (size N on each variant still climbing, then
 * N+1), so that variants are compared close in time. rally serves both of its variants from
 * one process, a space each.
 */
export async function runBigSpace(ctx: BenchContext, names: ServerName[]): Promise<BigSpaceResult[]> {
  const variants: BigSpaceVariant[] = [];
  if (names.includes("rally")) variants.push("rally-im", "rally-broadcast");
  if (names.includes("colyseus")) variants.push("colyseus");
  const results = variants.map((variant): BigSpaceResult => ({ variant, steps: [], maxAvatars: 0 }));
  const serverOf = (v: BigSpaceVariant): ServerName => (v === "colyseus" ? "colyseus" : "rally");
  const servers = new Map<ServerName, RunningServer>();
  let gens: GeneratorGroup | undefined;
  try {
    for (const name of new Set(variants.map(serverOf))) {
      try {
        servers.set(name, await startServer(name, { cores: ctx.serverCores }));
      } catch (e) {
        for (const r of results) if (serverOf(r.variant) === name) fail(ctx, r, e);
      }
    }
    gens = await GeneratorGroup.start("bench/generators/bigspace.ts", 1, ctx.generatorCores, "bigspace");
    const climbing = new Set(results.filter((r) => !r.error));
    for (const avatars of ctx.bigSpaceSizes) {
      for (const r of results) {
        if (!climbing.has(r)) continue;
        ctx.log(`  E ${r.variant}: ${avatars} avatars …`);
        const step = await bigSpaceStep(ctx, servers.get(serverOf(r.variant))!, r.variant, gens, avatars).catch((e) => {
          fail(ctx, r, e);
          return undefined;
        });
        if (!step) {
          climbing.delete(r);
          continue;
        }
        r.steps.push(step);
        ctx.log(
          `  E ${r.variant}: ${avatars} avatars → ${step.pass ? "pass" : `FAIL (${step.reason})`}; in-view delivery ${step.deliveryPct} %, p99 ${step.latency.p99} ms, ${step.bytesPerClientPerSec} B/client/s, server CPU ${step.serverCpuPct} %, ${step.serverCpuUsPerUpdate} µs/update`,
        );
        if (step.pass) r.maxAvatars = avatars;
        else climbing.delete(r);
        await sleep(1500); // let the room dispose
      }
    }
  } finally {
    await gens?.stop();
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
  return results;
}

function fail(ctx: BenchContext, r: BigSpaceResult, e: unknown): void {
  r.error = (e as Error).message.split("\n").slice(0, 6).join("\n");
  ctx.log(`  E ${r.variant}: error: ${r.error}`);
}
