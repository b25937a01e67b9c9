import { GeneratorGroup, split } from "../lib/generators";
import { cpuMicros, rssBytes, sleep } from "../lib/proc";
import { maybeProfile, startServer, type RunningServer, type ServerName } from "../lib/servers";
import { Histogram, round, summarize, type LatencySummary, type Sparse } from "../lib/stats";
import { coreTimes } from "../lib/machine";
import type { BenchContext } from "./context";

/**
 * Scenario A, space fan-out: rooms of 20 clients, each moving at 10 Hz, in growing steps.
 * A step passes when p99 ≤ 250 ms, delivery ≥ 95 % and every client connected. Each server
 * climbs the steps until one fails.
 */

export const ROOM_SIZE = 20;
export const MOVE_HZ = 10;
export const P99_LIMIT_MS = 250;
export const DELIVERY_MIN = 0.95;
/** Other processes above this share of a core during a failed step make it worth a second try. */
const DISTURBED_PCT = 25;

export interface RoomPlan {
  key: string;
  members: Array<{ id: string; username?: string; token?: string }>;
}

export interface FanoutStep {
  clients: number;
  connected: number;
  failedJoins: number;
  joinErrors: string[];
  generators: number;
  pass: boolean;
  /** Failed while the generators' core was saturated and the server's was not: the limit found is theirs. */
  inconclusive: boolean;
  /** Set when this is a second attempt: the first failed while other processes loaded the machine. */
  retriedAfter?: string;
  reason?: string;
  latency: LatencySummary;
  deliveryPct: number;
  movesPerSec: number;
  updatesPerSec: number;
  serverCpuPct: number;
  serverCpuUsPerUpdate: number;
  serverRssMB: number;
  generatorCpuPct: number;
  generatorLoopDelayP99Ms: number;
  generatorBound: boolean;
  /** CPU used by processes other than the server and the generators during the window (% of one core). */
  otherLoadPct: number;
  /** Interrupt time (loopback networking included) and hypervisor steal in the window (% of one core). */
  interruptsPct: number;
  stealPct: number;
  /** How busy each core was in the window, whoever used it (%): core 0 near 100 means the server's core was full. */
  coreBusyPct: number[];
  disconnected: number;
}

export interface FanoutResult {
  server: ServerName;
  steps: FanoutStep[];
  /** The largest step that passed. */
  maxClients: number;
  /** True when the climb stopped at a step the generators could not drive (maxClients is a lower bound). */
  limitedByGenerators: boolean;
  error?: string;
}

/** Plans for rooms of `ROOM_SIZE`: real users, spaces and memberships for rally, made-up ids elsewhere. */
export async function planRooms(server: RunningServer, clients: number, tag: string): Promise<RoomPlan[]> {
  const rooms = Math.ceil(clients / ROOM_SIZE);
  if (server.name === "rally") {
    // Every move must reach the whole room, and movers jump across the space (their position
    // encodes a counter): an unlimited view, as every room had before interest management.
    return server.call<RoomPlan[]>("spaces", { rooms, perRoom: ROOM_SIZE, viewRadius: 0 }, 180_000);
  }
  return Array.from({ length: rooms }, (_, r) => ({
    key: `${tag}-room${r}`,
    members: Array.from({ length: ROOM_SIZE }, (_, i) => ({ id: `${tag}-r${r}-u${i}`, username: `u${r}_${i}` })),
  }));
}

interface RunOutput {
  clients: number;
  windowMs: number;
  windowSent: number;
  expected: number;
  delivered: number;
  disconnected: number;
  latency: Sparse;
  loopDelayP99Ms: number;
}

export async function fanoutStep(
  ctx: BenchContext,
  server: RunningServer,
  pool: GeneratorGroup,
  clients: number,
): Promise<FanoutStep> {
  const d = ctx.durations.fanout;
  const rooms = await planRooms(server, clients, `${server.name}-${clients}-${Date.now()}`);
  const generatorCount = Math.max(1, Math.ceil(clients / ctx.clientsPerGenerator));
  const groups = split(rooms, generatorCount);
  await pool.ensure(generatorCount);
  const gens = pool.take(generatorCount);
  try {
    const joins = await gens.all<{ connected: number; failed: number; errors: string[] }>(
      "connect",
      (i) => ({
        kind: server.name,
        port: server.port,
        rooms: groups[i],
        observersPerRoom: ctx.observersPerRoom,
        concurrency: 20,
      }),
      180_000,
    );
    const connected = joins.reduce((s, j) => s + j.connected, 0);
    const failedJoins = joins.reduce((s, j) => s + j.failed, 0);
    const joinErrors = joins.flatMap((j) => j.errors).slice(0, 3);
    await sleep(1000);

    const running = gens.all<RunOutput>(
      "run",
      () => ({ hz: MOVE_HZ, warmupMs: d.warmupMs, measureMs: d.measureMs, drainMs: d.drainMs }),
      d.warmupMs + d.measureMs + d.drainMs + 60_000,
    );
    running.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    await sleep(d.warmupMs);
    const serverCpu0 = cpuMicros(server.child.pid);
    const genCpu0 = gens.cpuMicros();
    const times0 = coreTimes();
    const t0 = performance.now();
    await maybeProfile(server, `fanout-${clients}`, () => sleep(d.measureMs));
    const serverCpu = cpuMicros(server.child.pid) - serverCpu0;
    const genCpu = gens.cpuMicros() - genCpu0;
    const times = coreTimes().map((c, i) => ({
      processes: c.processes - (times0[i]?.processes ?? c.processes),
      interrupts: c.interrupts - (times0[i]?.interrupts ?? c.interrupts),
      steal: c.steal - (times0[i]?.steal ?? c.steal),
    }));
    const coreBusy = times.map((c) => c.processes + c.interrupts + c.steal);
    const sum = (f: (c: (typeof times)[number]) => number) => times.reduce((acc, c) => acc + f(c), 0);
    const pctOfCore = (us: number) => round((us / 1000 / elapsedMs) * 100, 1);
    const elapsedMs = performance.now() - t0;
    const rss = rssBytes(server.child.pid);
    const outputs = await running;

    const hist = new Histogram();
    for (const o of outputs) hist.merge(Histogram.fromSparse(o.latency));
    const windowSent = outputs.reduce((s, o) => s + o.windowSent, 0);
    const expected = outputs.reduce((s, o) => s + o.expected, 0);
    const delivered = outputs.reduce((s, o) => s + o.delivered, 0);
    const disconnected = outputs.reduce((s, o) => s + o.disconnected, 0);
    const windowMs = outputs.reduce((s, o) => s + o.windowMs, 0) / outputs.length;
    const deliveryRatio = expected > 0 ? delivered / expected : 0;
    // Updates delivered to every client (observers measure; the rest receive the same data).
    const updates = deliveryRatio * windowSent * (ROOM_SIZE - 1);
    const latency = summarize(hist);
    const generatorCpuPct = (genCpu / 1000 / elapsedMs) * 100;
    const loopDelay = Math.max(...outputs.map((o) => o.loopDelayP99Ms));
    const step: FanoutStep = {
      clients,
      connected,
      failedJoins,
      joinErrors,
      generators: generatorCount,
      pass: false,
      inconclusive: false,
      latency,
      deliveryPct: round(deliveryRatio * 100, 2),
      movesPerSec: round(windowSent / (windowMs / 1000), 0),
      updatesPerSec: round(updates / (windowMs / 1000), 0),
      serverCpuPct: round((serverCpu / 1000 / elapsedMs) * 100, 1),
      serverCpuUsPerUpdate: updates > 0 ? round(serverCpu / (updates * (elapsedMs / windowMs)), 2) : NaN,
      serverRssMB: round(rss / 1048576, 1),
      generatorCpuPct: round(generatorCpuPct, 1),
      generatorLoopDelayP99Ms: round(loopDelay, 1),
      // One core for all generators: near 100 % the generators, not the server, set the pace.
      generatorBound: generatorCpuPct > 90 * ctx.generatorCoreCount,
      otherLoadPct: pctOfCore(Math.max(0, sum((c) => c.processes) - serverCpu - genCpu)),
      interruptsPct: pctOfCore(sum((c) => c.interrupts)),
      stealPct: pctOfCore(sum((c) => c.steal)),
      coreBusyPct: coreBusy.map((us) => round((us / 1000 / elapsedMs) * 100, 0)),
      disconnected,
    };
    const reasons: string[] = [];
    if (failedJoins > 0) reasons.push(`${failedJoins} joins failed`);
    if (!(latency.p99 <= P99_LIMIT_MS)) reasons.push(`p99 ${latency.p99} ms`);
    if (deliveryRatio < DELIVERY_MIN) reasons.push(`delivery ${step.deliveryPct} %`);
    step.pass = reasons.length === 0;
    const serverSaturated = step.serverCpuPct >= 85 || (step.coreBusyPct[0] ?? 0) >= 95;
    step.inconclusive = !step.pass && step.generatorBound && !serverSaturated && failedJoins === 0;
    if (!step.pass) step.reason = reasons.join(", ") + (step.inconclusive ? " (generators saturated)" : "");
    return step;
  } finally {
    await gens.all("reset", () => ({}), 30_000).catch(() => undefined);
  }
}

/**
 * Every server climbs the steps, interleaved: step N runs on each server still climbing,
 * one after the other, before step N+1. The machine's speed drifts (it is a VM, and may be
 * shared), so comparing servers at the same step close in time is fairer than running one
 * server's whole climb after another's. All servers stay up (idle) for the whole scenario;
 * one pool of generator processes serves them all, reset between steps.
 */
export async function runFanout(ctx: BenchContext, names: ServerName[]): Promise<FanoutResult[]> {
  const results = names.map((name): FanoutResult => ({
    server: name,
    steps: [],
    maxClients: 0,
    limitedByGenerators: false,
  }));
  const servers = new Map<ServerName, RunningServer>();
  let gens: GeneratorGroup | undefined;
  try {
    const starting = results.map((r) =>
      startServer(r.server, { cores: ctx.serverCores }).then(
        (server) => void servers.set(r.server, server),
        (e) => fail(ctx, r, e),
      ),
    );
    gens = await GeneratorGroup.start("bench/generators/space.ts", 1, ctx.generatorCores, "space");
    await Promise.all(starting);
    const climbing = new Set(results.filter((r) => !r.error));
    for (const clients of ctx.fanoutSteps) {
      for (const r of results) {
        if (!climbing.has(r)) continue;
        const step = await climb(ctx, servers.get(r.server)!, gens, clients).catch((e) => {
          fail(ctx, r, e);
          return undefined;
        });
        if (!step) {
          climbing.delete(r);
          continue;
        }
        r.steps.push(step);
        if (step.pass) r.maxClients = clients;
        else {
          r.limitedByGenerators = step.inconclusive;
          climbing.delete(r);
        }
        await sleep(1500); // let rooms dispose before the next step
      }
    }
  } catch (e) {
    for (const r of results) if (!r.error && r.steps.length === 0) fail(ctx, r, e);
  } finally {
    await gens?.stop();
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
  return results;
}

/** One step on one server; a failure while other processes loaded the machine gets one more try. */
async function climb(
  ctx: BenchContext,
  server: RunningServer,
  gens: GeneratorGroup,
  clients: number,
): Promise<FanoutStep> {
  const name = server.name;
  ctx.log(`  A ${name}: ${clients} clients …`);
  let step = await fanoutStep(ctx, server, gens, clients);
  if (!ctx.quick && !step.pass && step.otherLoadPct > DISTURBED_PCT) {
    ctx.log(
      `  A ${name}: ${clients} clients failed (${step.reason}) while other processes used ${step.otherLoadPct} % of a core; once more …`,
    );
    await sleep(1500);
    const first = step;
    step = await fanoutStep(ctx, server, gens, clients);
    step.retriedAfter = `${first.reason}; other processes ${first.otherLoadPct} %`;
  }
  ctx.log(
    `  A ${name}: ${clients} clients → ${step.pass ? "pass" : `FAIL (${step.reason})`}; p50 ${step.latency.p50} ms, p99 ${step.latency.p99} ms, delivery ${step.deliveryPct} %, server CPU ${step.serverCpuPct} %, generators CPU ${step.generatorCpuPct} %`,
  );
  return step;
}

function fail(ctx: BenchContext, r: FanoutResult, e: unknown): void {
  r.error = (e as Error).message.split("\n").slice(0, 6).join("\n");
  ctx.log(`  A ${r.server}: error: ${r.error}`);
}
