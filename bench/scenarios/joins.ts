import { GeneratorGroup, split } from "../lib/generators";
import { cpuMicros, rssBytes, sleep } from "../lib/proc";
import { maybeProfile, startServer, type RunningServer, type ServerName } from "../lib/servers";
import { Histogram, round, summarize, type LatencySummary, type Sparse } from "../lib/stats";
import type { BenchContext } from "./context";
import { planRooms } from "./fanout";

/**
 * Scenario C and the memory measure, in one pass per server:
 * - joins/s: N clients join rooms of 20 (for rally and bare Colyseus through the matchmaker:
 *   seat reservation over HTTP, then the WebSocket, onAuth and onJoin), 64 at a time per
 *   generator; joins/s = N / wall time from the first request to the last join;
 * - bytes per idle client: server RSS after a forced GC with the N clients connected and idle,
 *   minus the same before they joined (users, spaces and memberships already created), / N.
 */

interface Memory {
  heapUsed: number;
  external: number;
}

export interface JoinsResult {
  server: ServerName;
  /** rally only: "postgres" when run on BENCH_DATABASE_URL (else PGlite). */
  backend?: string;
  clients: number;
  joined: number;
  failed: number;
  errors: string[];
  joinsPerSec: number;
  joinLatency: LatencySummary;
  /** Server CPU time spent per join (seat reservation, WebSocket, auth, onJoin), µs. */
  serverCpuUsPerJoin: number;
  /** Server and generators' CPU while joining (% of one core); generators near 100 % bound the rate. */
  serverCpuPct: number;
  generatorCpuPct: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  bytesPerIdleClient: number;
  /** The same from V8's heap + external memory (less noisy than RSS, but blind to native buffers). */
  heapBytesPerIdleClient: number;
  error?: string;
}

export async function runJoins(ctx: BenchContext, name: ServerName, databaseUrl?: string): Promise<JoinsResult> {
  const clients = ctx.joinClients;
  const result: JoinsResult = {
    server: name,
    clients,
    joined: 0,
    failed: 0,
    errors: [],
    joinsPerSec: 0,
    joinLatency: summarize(new Histogram()),
    serverCpuUsPerJoin: NaN,
    serverCpuPct: NaN,
    generatorCpuPct: NaN,
    rssBeforeMB: 0,
    rssAfterMB: 0,
    bytesPerIdleClient: NaN,
    heapBytesPerIdleClient: NaN,
  };
  let server: RunningServer | undefined;
  let gens: GeneratorGroup | undefined;
  try {
    server = await startServer(name, { cores: ctx.serverCores, databaseUrl });
    result.backend = server.backend;
    const rooms = await planRooms(server, clients, `joins-${name}`);
    const generatorCount = Math.max(1, Math.ceil(clients / ctx.clientsPerGenerator));
    gens = await GeneratorGroup.start("bench/generators/space.ts", generatorCount, ctx.generatorCores, "joins");
    await sleep(500);
    const heapBefore = await server.call<Memory>("gc");
    await sleep(500);
    const rssBefore = rssBytes(server.child.pid);
    const groups = split(rooms, generatorCount);
    const cpu0 = cpuMicros(server.child.pid);
    const genCpu0 = gens.cpuMicros();
    const t0 = performance.now();
    const joins = await maybeProfile(server, "joins", () =>
      gens!.all<{ connected: number; failed: number; errors: string[]; elapsedMs: number; joinLatency: Sparse }>(
        "connect",
        // Idle clients decode nothing; concurrency 64 per generator keeps the matchmaker busy.
        (i) => ({ kind: name, port: server!.port, rooms: groups[i], observersPerRoom: 0, concurrency: 64 }),
        180_000,
      ),
    );
    const wallMs = performance.now() - t0;
    const joinCpu = cpuMicros(server.child.pid) - cpu0;
    const genCpu = gens.cpuMicros() - genCpu0;
    const hist = new Histogram();
    for (const j of joins) hist.merge(Histogram.fromSparse(j.joinLatency));
    result.joined = joins.reduce((s, j) => s + j.connected, 0);
    result.failed = joins.reduce((s, j) => s + j.failed, 0);
    result.errors = joins.flatMap((j) => j.errors).slice(0, 3);
    const joinMs = Math.max(...joins.map((j) => j.elapsedMs));
    result.joinsPerSec = round(result.joined / (Math.min(joinMs, wallMs) / 1000), 0);
    result.joinLatency = summarize(hist);
    result.serverCpuUsPerJoin = result.joined ? round(joinCpu / result.joined, 0) : NaN;
    result.serverCpuPct = round((joinCpu / 1000 / wallMs) * 100, 1);
    result.generatorCpuPct = round((genCpu / 1000 / wallMs) * 100, 1);

    await sleep(ctx.quick ? 1500 : 3000); // idle: nothing is sent
    const heapAfter = await server.call<Memory>("gc");
    await sleep(500);
    const rssAfter = rssBytes(server.child.pid);
    result.rssBeforeMB = round(rssBefore / 1048576, 1);
    result.rssAfterMB = round(rssAfter / 1048576, 1);
    result.bytesPerIdleClient = result.joined ? Math.round((rssAfter - rssBefore) / result.joined) : NaN;
    const heap = (m: Memory) => m.heapUsed + m.external;
    result.heapBytesPerIdleClient = result.joined
      ? Math.round((heap(heapAfter) - heap(heapBefore)) / result.joined)
      : NaN;
    ctx.log(
      `  C ${name}${databaseUrl ? " (Postgres)" : ""}: ${result.joined}/${clients} joined, ${result.joinsPerSec} joins/s (p99 ${result.joinLatency.p99} ms, ${result.serverCpuUsPerJoin} µs server CPU each; server ${result.serverCpuPct} %, generators ${result.generatorCpuPct} %); memory ${round(result.bytesPerIdleClient / 1024, 1)} KB per idle client (heap ${round(result.heapBytesPerIdleClient / 1024, 1)} KB)`,
    );
    await gens.all("leave", () => ({}), 60_000).catch(() => undefined);
  } catch (e) {
    result.error = (e as Error).message.split("\n").slice(0, 6).join("\n");
    ctx.log(`  C ${name}: error: ${result.error}`);
  } finally {
    await gens?.stop();
    await server?.stop();
  }
  return result;
}
