import type { Machine } from "./machine";
import { SERVER_LABELS, type ServerName } from "./servers";
import { round } from "./stats";
import type { ChatResult } from "../scenarios/chat";
import type { DiceResult } from "../scenarios/dice";
import {
  DELIVERY_MIN,
  MOVE_HZ,
  P99_LIMIT_MS,
  ROOM_SIZE,
  type FanoutResult,
  type FanoutStep,
} from "../scenarios/fanout";
import type { JoinsResult } from "../scenarios/joins";
import type { StartResult } from "../scenarios/start";
import { AVATARS_PER_VIEW, VARIANT_LABELS, VIEW_RADIUS, type BigSpaceResult } from "../scenarios/bigspace";

/** Everything one run measured: written as JSON, and rendered as the markdown report. */
export interface BenchResult {
  version: 1;
  mode: "quick" | "full";
  command: string;
  startedAt: string;
  durationSec: number;
  machine: Machine;
  settings: Record<string, unknown>;
  fanout: FanoutResult[];
  chat: ChatResult[];
  joins: JoinsResult[];
  dice: DiceResult | null;
  /** Scenario F (absent from runs made before it existed). */
  start?: StartResult[];
  /** Scenario E (absent from runs made before it existed). */
  bigSpace?: BigSpaceResult[];
  targets: Target[];
  notes: string[];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** null: could not be judged in this run (a server failed, a scenario was skipped). */
  met: boolean | null;
}

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : String(round(v, digits));

const kb = (bytes: number) => (Number.isFinite(bytes) ? `${fmt(bytes / 1024)} KB` : "–");

const joinsLabel = (j: JoinsResult) =>
  SERVER_LABELS[j.server] + (j.server === "rally" ? (j.backend === "postgres" ? " (PostgreSQL)" : " (PGlite)") : "");

const topStep = (ctxSteps: number[]) => ctxSteps[ctxSteps.length - 1] ?? 0;

/** A server's capacity is a lower bound when it passed the top step or the generators gave out first. */
const isLowerBound = (r: FanoutResult, steps: number[]) =>
  r.limitedByGenerators || (r.maxClients === topStep(steps) && r.steps.every((s) => s.pass));

function capacity(r: FanoutResult | undefined, steps: number[]): string {
  if (!r) return "–";
  if (r.error && r.steps.length === 0) return "error";
  if (r.maxClients === 0) return r.limitedByGenerators ? "? (generators saturated)" : `< ${steps[0]}`;
  return isLowerBound(r, steps) ? `≥ ${r.maxClients}` : String(r.maxClients);
}

/**
 * The step at which both servers passed with the most clients, preferring steps where the
 * generators kept up (at a saturated step the offered load differs between the two runs).
 */
function commonStep(a: FanoutResult, b: FanoutResult): [FanoutStep, FanoutStep] | null {
  const pairs = bothPassed(a, b);
  const clean = pairs.filter(([x, y]) => !x.generatorBound && !y.generatorBound);
  return (clean.length ? clean : pairs).at(-1) ?? null;
}

function bothPassed(a: FanoutResult, b: FanoutResult): Array<[FanoutStep, FanoutStep]> {
  return a.steps.flatMap((x) => {
    const y = b.steps.find((s) => s.clients === x.clients);
    return x.pass && y?.pass ? [[x, y] as [FanoutStep, FanoutStep]] : [];
  });
}

export function computeTargets(r: Omit<BenchResult, "targets">, steps: number[]): Target[] {
  const by = (name: ServerName) => r.fanout.find((f) => f.server === name);
  const rally = by("rally");
  const bare = by("colyseus");
  const sio = by("socketio");
  const targets: Target[] = [];

  // Capacity vs bare Colyseus.
  if (rally && bare && !rally.error && !bare.error && bare.maxClients > 0) {
    const ratio = rally.maxClients / bare.maxClients;
    const rallyBound = isLowerBound(rally, steps);
    const bareBound = isLowerBound(bare, steps);
    // A lower bound on rally's side can only help; one on bare's side leaves the ratio open
    // unless rally got at least as far.
    const judged = ratio >= 0.9 ? (bareBound && !rallyBound ? null : true) : rallyBound ? null : false;
    targets.push({
      name: "space capacity vs bare Colyseus",
      goal: "≥ 0.9×",
      measured: `${capacity(rally, steps)} vs ${capacity(bare, steps)} clients = ${fmt(ratio, 2)}×${rallyBound && bareBound ? " (both limited by the top step or the generators)" : ""}`,
      met: judged,
    });
  } else {
    targets.push({ name: "space capacity vs bare Colyseus", goal: "≥ 0.9×", measured: "not measured", met: null });
  }

  // CPU per delivered update vs bare Colyseus, at the largest step both passed.
  const common = rally && bare ? commonStep(rally, bare) : null;
  if (common) {
    const [rs, bs] = common;
    const ratio = bs.serverCpuUsPerUpdate / rs.serverCpuUsPerUpdate;
    const every = bothPassed(rally!, bare!)
      .map(([x, y]) => `${x.clients}: ${fmt(y.serverCpuUsPerUpdate / x.serverCpuUsPerUpdate, 2)}×`)
      .join(", ");
    targets.push({
      name: "space CPU per update vs bare Colyseus",
      goal: "≥ 0.9× (bare µs ÷ rally µs)",
      measured: `${fmt(rs.serverCpuUsPerUpdate, 2)} vs ${fmt(bs.serverCpuUsPerUpdate, 2)} µs at ${rs.clients} clients = ${fmt(ratio, 2)}× (every step both passed: ${every})`,
      met: ratio >= 0.9,
    });
  } else {
    targets.push({
      name: "space CPU per update vs bare Colyseus",
      goal: "≥ 0.9×",
      measured: "no step passed by both",
      met: null,
    });
  }

  // Capacity vs Socket.IO.
  if (rally && sio && !rally.error && !sio.error) {
    if (sio.maxClients > 0) {
      const ratio = rally.maxClients / sio.maxClients;
      const capped = isLowerBound(rally, steps);
      targets.push({
        name: "space capacity vs Socket.IO",
        goal: "≥ 3×",
        measured: `${capacity(rally, steps)} vs ${capacity(sio, steps)} clients = ${capped ? "≥ " : ""}${fmt(ratio, 2)}×`,
        met: ratio >= 3 ? (isLowerBound(sio, steps) ? null : true) : capped ? null : false,
      });
    } else {
      targets.push({
        name: "space capacity vs Socket.IO",
        goal: "≥ 3×",
        measured: `${capacity(rally, steps)} vs ${capacity(sio, steps)} clients`,
        met: rally.maxClients >= 3 * steps[0]! ? true : null,
      });
    }
  } else {
    targets.push({ name: "space capacity vs Socket.IO", goal: "≥ 3×", measured: "not measured", met: null });
  }

  // Chat on Postgres at 500 msg/s.
  const pg = r.chat.find((c) => c.backend === "postgres");
  const at500 = pg?.steps.find((s) => s.rate === 500);
  if (pg?.skipped) {
    targets.push({ name: "chat p99 at 500 msg/s on Postgres", goal: "≤ 50 ms", measured: pg.skipped, met: null });
  } else if (at500) {
    targets.push({
      name: "chat p99 at 500 msg/s on Postgres",
      goal: "≤ 50 ms",
      measured: `p99 ${fmt(at500.latency.p99)} ms, ${fmt(at500.deliveredPct, 2)} % delivered, ${at500.stored}/${at500.sent} stored`,
      met: at500.pass,
    });
  } else {
    const last = pg?.steps[pg.steps.length - 1];
    targets.push({
      name: "chat p99 at 500 msg/s on Postgres",
      goal: "≤ 50 ms",
      measured: pg?.error
        ? `error: ${pg.error.split("\n")[0]}`
        : last
          ? `stopped at ${last.rate} msg/s (${last.reason ?? "pass"})`
          : "not measured",
      met: last && !last.pass ? false : null,
    });
  }

  // Joins per second and memory per idle client (rally).
  const rj = r.joins.find((j) => j.server === "rally");
  if (rj && !rj.error) {
    // With the generators' core full, the rate is theirs; the server's own ceiling on one core
    // is then 1 s ÷ its CPU time per join.
    const ceiling = 1e6 / rj.serverCpuUsPerJoin;
    const generatorBound = rj.generatorCpuPct >= 90;
    targets.push({
      name: "joins/s through the matchmaker (rally space)",
      goal: "≥ 300",
      measured:
        `${fmt(rj.joinsPerSec, 0)} joins/s (${rj.joined}/${rj.clients} joined)` +
        (generatorBound
          ? `; generators' core at ${fmt(rj.generatorCpuPct, 0)} %, so the rate is theirs; server CPU ${fmt(rj.serverCpuUsPerJoin / 1000, 2)} ms per join ⇒ at most ≈ ${fmt(ceiling, 0)} joins/s on its core`
          : ""),
      met:
        rj.failed > 0 ? false : rj.joinsPerSec >= 300 ? true : generatorBound ? (ceiling >= 300 ? null : false) : false,
    });
  } else {
    targets.push({
      name: "joins/s through the matchmaker (rally space)",
      goal: "≥ 300",
      measured: "not measured",
      met: null,
    });
  }
  targets.push({
    name: "memory per idle client (rally space)",
    goal: "≤ 50 KB",
    measured: rj && !rj.error ? `${fmt(rj.bytesPerIdleClient / 1024)} KB (${rj.joined} idle clients)` : "not measured",
    met: rj && !rj.error && Number.isFinite(rj.bytesPerIdleClient) ? rj.bytesPerIdleClient <= 50 * 1024 : null,
  });
  targets.push(...bigSpaceTargets(r.bigSpace ?? []));
  startTargets(r, targets);
  return targets;
}

/** Scenario E's two targets: the 1,000-avatar space passes with interest management, and per-client traffic stays flat. */
function bigSpaceTargets(results: BigSpaceResult[]): Target[] {
  const im = results.find((b) => b.variant === "rally-im");
  const at = (n: number) => im?.steps.find((s) => s.avatars === n);
  const top = at(1000);
  const passes: Target = {
    name: "1,000-avatar space passes for rally (IM)",
    goal: `in-view delivery ≥ ${DELIVERY_MIN * 100} %, p99 ≤ ${P99_LIMIT_MS} ms`,
    measured: top
      ? `${top.pass ? "pass" : `fail: ${top.reason}`}; ${fmt(top.deliveryPct, 2)} %, p99 ${fmt(top.latency.p99)} ms`
      : im?.error
        ? `error: ${im.error.split("\n")[0]}`
        : "not measured at 1,000",
    met: top ? top.pass : null,
  };
  const small = at(200);
  const ratio = top && small ? top.bytesPerClientPerSec / small.bytesPerClientPerSec : NaN;
  const flat: Target = {
    name: "per-client bytes at 1,000 ÷ at 200 avatars (rally IM)",
    goal: "≤ 1.25×",
    measured: Number.isFinite(ratio)
      ? `${fmt(top!.bytesPerClientPerSec, 0)} ÷ ${fmt(small!.bytesPerClientPerSec, 0)} B/s = ${fmt(ratio, 2)}×`
      : "not measured at both sizes",
    met: Number.isFinite(ratio) ? ratio <= 1.25 : null,
  };
  return [passes, flat];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

/** Scenario F's targets: idle footprint and start time of `npm start`. */
function startTargets(r: Omit<BenchResult, "targets">, targets: Target[]): void {
  const find = (prefix: string) => r.start?.find((s) => s.target.startsWith(prefix) && !s.error && s.startMs.length);
  const check = (
    name: string,
    goal: string,
    s: StartResult | undefined,
    value: (s: StartResult) => number,
    limit: number,
    unit: string,
  ) =>
    targets.push({
      name,
      goal,
      measured: s ? `${fmt(value(s), unit === "s" ? 2 : 0)} ${unit}` : "not measured",
      met: s ? value(s) <= limit : null,
    });
  const warm = find("rally, embedded defaults (PGlite): warm");
  const first = find("rally, embedded defaults (PGlite): first");
  const pg = find("rally on PostgreSQL");
  check("idle RSS after start, embedded defaults (PGlite)", "≤ 200 MB", warm, (s) => median(s.idleRssMB), 200, "MB");
  check("idle RSS after start, on PostgreSQL", "≤ 120 MB", pg, (s) => median(s.idleRssMB), 120, "MB");
  check("`npm start` to /healthz, warm", "≤ 3 s", warm, (s) => median(s.startMs) / 1000, 3, "s");
  check("`npm start` to /healthz, first start after `npm ci`", "≤ 5 s", first, (s) => median(s.startMs) / 1000, 5, "s");
}

const yes = (met: boolean | null) => (met === null ? "n/a" : met ? "yes" : "**no**");

export function renderMarkdown(r: BenchResult, steps: number[]): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# rally benchmark: ${r.mode} run`);
  out.push("");
  out.push(`- Command: \`${r.command}\``);
  out.push(
    `- Started ${r.startedAt}, took ${Math.round(r.durationSec)} s; commit ${m.gitCommit ?? "?"}${m.gitDirty ? " (with uncommitted changes)" : ""}`,
  );
  out.push(
    `- Machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGB} GB RAM, ${m.kernel}, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(" / ")}`,
  );
  out.push(
    m.taskset
      ? "- Pinning: every server on core 0, every load generator on core 1 (`taskset -c`); the orchestrator on core 1."
      : "- Pinning: **taskset not found: servers and generators ran unpinned** (numbers are less reliable).",
  );
  out.push("- Everything on 127.0.0.1; each server is a separate process, each generator too.");
  out.push("");

  out.push("## Targets");
  out.push("");
  out.push("| target | goal | measured | met |");
  out.push("|---|---|---|---|");
  for (const t of r.targets) out.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${yes(t.met)} |`);
  out.push("");

  out.push(`## A. Space fan-out`);
  out.push("");
  out.push(
    `Rooms of ${ROOM_SIZE} clients, each moving at ${MOVE_HZ} Hz; every move must reach the other ${ROOM_SIZE - 1}. Steps: ${steps.join(", ")} clients. A step passes when p99 ≤ ${P99_LIMIT_MS} ms, delivery ≥ ${DELIVERY_MIN * 100} % and every client joined; each server climbs until a step fails. Values below are at each server's largest passing step (or its first step when none passed).`,
  );
  out.push("");
  out.push(
    "| server | max clients sustained | p50 ms | p99 ms | delivery % | server CPU µs / update | server CPU % | server RSS MB | generators CPU % |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|");
  for (const f of r.fanout) {
    const s = [...f.steps].reverse().find((x) => x.pass) ?? f.steps[0];
    if (!s) {
      out.push(`| ${SERVER_LABELS[f.server]} | error: ${(f.error ?? "").split("\n")[0]} | | | | | | | |`);
      continue;
    }
    out.push(
      `| ${SERVER_LABELS[f.server]} | ${capacity(f, steps)} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p99)} | ${fmt(s.deliveryPct, 2)} | ${fmt(s.serverCpuUsPerUpdate, 2)} | ${fmt(s.serverCpuPct)} | ${fmt(s.serverRssMB)} | ${fmt(s.generatorCpuPct)} |`,
    );
  }
  out.push("");
  out.push("<details><summary>Every step</summary>");
  out.push("");
  out.push(
    "| server | clients | result | p50 ms | p99 ms | delivery % | moves/s | updates/s | server CPU % | µs / update | RSS MB | generators | generators CPU % | generator loop p99 ms | other processes % | interrupts % | cores busy % |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const f of r.fanout) {
    for (const s of f.steps) {
      out.push(
        `| ${SERVER_LABELS[f.server]} | ${s.clients} | ${s.pass ? "pass" : s.inconclusive ? `inconclusive: ${s.reason}` : `fail: ${s.reason}`}${s.retriedAfter ? ` (second try; first: ${s.retriedAfter})` : ""} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p99)} | ${fmt(s.deliveryPct, 2)} | ${fmt(s.movesPerSec, 0)} | ${fmt(s.updatesPerSec, 0)} | ${fmt(s.serverCpuPct)} | ${fmt(s.serverCpuUsPerUpdate, 2)} | ${fmt(s.serverRssMB)} | ${s.generators} | ${fmt(s.generatorCpuPct)} | ${fmt(s.generatorLoopDelayP99Ms)} | ${fmt(s.otherLoadPct)} | ${fmt(s.interruptsPct)} | ${(s.coreBusyPct ?? []).join(" / ")} |`,
      );
    }
    if (f.error)
      out.push(`| ${SERVER_LABELS[f.server]} | | error: ${f.error.split("\n")[0]} | | | | | | | | | | | | | | |`);
  }
  out.push("");
  out.push("</details>");
  out.push("");
  out.push(
    'Server CPU is the server process\'s own time; "other processes" is CPU used by anything else on the machine in the window, "interrupts" the kernel\'s interrupt time (loopback networking included, charged to no process), "cores busy" core 0 (server) / core 1 (generators). A step failing while core 0 is near 100 % busy was limited by its core, whoever used it.',
  );
  out.push("");

  out.push("## B. Conversation chat with persistence");
  out.push("");
  out.push(
    "Both participants of each conversation connected; messages sent at a fixed total rate round-robin over all senders; latency from `send` to the other participant's `message` event (the room stores a message before it broadcasts it). A rate passes when p99 ≤ 50 ms, every message was delivered and stored, and no error came back.",
  );
  out.push("");
  out.push(
    "| backend | conversations | max msg/s passed | rate msg/s | result | p50 ms | p99 ms | delivered % | stored / sent | server CPU % | µs / message |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const c of r.chat) {
    if (c.skipped || (c.error && c.steps.length === 0)) {
      out.push(`| ${c.backend} | | | | ${c.skipped ?? `error: ${c.error!.split("\n")[0]}`} | | | | | | |`);
      continue;
    }
    c.steps.forEach((s, i) => {
      out.push(
        `| ${i === 0 ? c.backend : ""} | ${i === 0 ? c.conversations : ""} | ${i === 0 ? c.maxRate || `< ${c.steps[0]!.rate}` : ""} | ${s.rate} | ${s.pass ? "pass" : `fail: ${s.reason}`} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p99)} | ${fmt(s.deliveredPct, 2)} | ${s.stored} / ${s.sent} | ${fmt(s.serverCpuPct)} | ${fmt(s.serverCpuUsPerMessage)} |`,
      );
    });
    if (c.error) out.push(`| ${c.backend} | | | | error: ${c.error.split("\n")[0]} | | | | | | |`);
  }
  out.push("");

  out.push("## C. Joins through the matchmaker, and memory per idle client");
  out.push("");
  out.push(
    "N clients join rooms of 20, 64 joins in flight per generator (for the Colyseus servers: seat reservation over HTTP, WebSocket, onAuth, onJoin). A join costs the client side too (the SDK's HTTP request, WebSocket and first state): with the generators' core near 100 %, joins/s is theirs, not the server's. Memory: server RSS after a forced GC with the N clients connected and idle, minus the same before they joined, divided by N (the target's measure); V8 heap + external memory the same way, which is steadier but does not see the sockets' native buffers.",
  );
  out.push("");
  out.push(
    "| server | clients | joined | joins/s | join p50 ms | join p99 ms | server CPU µs / join | server / generators CPU % | RSS before MB | RSS after MB | RSS per idle client | heap + external per idle client |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const j of r.joins) {
    if (j.error) {
      out.push(`| ${joinsLabel(j)} | ${j.clients} | error: ${j.error.split("\n")[0]} | | | | | | | | | |`);
      continue;
    }
    out.push(
      `| ${joinsLabel(j)} | ${j.clients} | ${j.joined}${j.failed ? ` (${j.failed} failed)` : ""} | ${fmt(j.joinsPerSec, 0)} | ${fmt(j.joinLatency.p50)} | ${fmt(j.joinLatency.p99)} | ${fmt(j.serverCpuUsPerJoin, 0)} | ${fmt(j.serverCpuPct, 0)} / ${fmt(j.generatorCpuPct, 0)} | ${fmt(j.rssBeforeMB)} | ${fmt(j.rssAfterMB)} | ${kb(j.bytesPerIdleClient)} | ${kb(j.heapBytesPerIdleClient)} |`,
    );
  }
  out.push("");

  out.push("## F. Start time and idle footprint");
  out.push("");
  if (!r.start?.length) out.push("Not run.");
  else {
    out.push(
      "`npm start` (dist/ already built, as `npm ci`'s prepare step leaves it) from spawn to the first 200 from `/healthz`; idle RSS of the server process a few seconds later with no client (no forced GC). The first start runs on an empty DATA_DIR (PGlite's initdb and every migration); warm starts reuse it. Bare Colyseus is the bench's baseline server (run through tsx), for scale.",
    );
    out.push("");
    out.push("| target | start ms (each run) | idle RSS MB (each run) |");
    out.push("|---|---|---|");
    for (const s of r.start)
      out.push(`| ${s.target} | ${s.error ?? s.startMs.join(", ")} | ${s.error ? "" : s.idleRssMB.join(", ")} |`);
  }
  out.push("");

  out.push("## D. Complete dice games");
  out.push("");
  const d = r.dice;
  if (!d) out.push("Not run.");
  else if (d.error) out.push(`Error: ${d.error.split("\n")[0]}`);
  else {
    out.push(
      `${d.pairs} pairs of bots play \`bigger_dice\` back to back (create, join by name, ready, roll on their turn after ${d.thinkMs} ms of think time, targetScore ${d.targetScore}).`,
    );
    out.push("");
    out.push(
      "| games / minute | games completed | game duration p50 ms | roll → rolled p50 ms | roll → rolled p99 ms | failures | games stored | server CPU % |",
    );
    out.push("|---|---|---|---|---|---|---|---|");
    out.push(
      `| ${fmt(d.gamesPerMinute, 0)} | ${d.completed} | ${fmt(d.gameDurationMs.p50, 0)} | ${fmt(d.rollLatency.p50)} | ${fmt(d.rollLatency.p99)} | ${d.failures}${d.failureSamples.length ? ` (${d.failureSamples[0]})` : ""} | ${d.storedGames ?? "?"} | ${fmt(d.serverCpuPct)} |`,
    );
  }
  out.push("");

  out.push(...renderBigSpace(r.bigSpace ?? []));

  if (r.notes.length) {
    out.push("## Notes");
    out.push("");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}

function renderBigSpace(results: BigSpaceResult[]): string[] {
  const out: string[] = [];
  out.push("## E. One big space: interest management against broadcasting");
  out.push("");
  if (results.length === 0) {
    out.push("Not run.");
    out.push("");
    return out;
  }
  out.push(
    `N avatars in one space, each random-walking at ${MOVE_HZ} Hz; the space is a square sized to keep about ${AVATARS_PER_VIEW} avatars in each ${2 * VIEW_RADIUS} × ${2 * VIEW_RADIUS} view (view radius ${VIEW_RADIUS}). rally with interest management sends each client the avatars in its view; rally with an unlimited view (radius 0) and bare Colyseus send everyone everything. "In-view updates" are the moves made inside an observer's view (shrunk by two steps at its edge); a size passes when ≥ ${DELIVERY_MIN * 100} % of them arrive, p99 ≤ ${P99_LIMIT_MS} ms and every client joined. Bytes are everything a client reads off its socket; CPU per update divides the server's CPU by every position update delivered to every client. rally's two variants share one server process, so its RSS is that process's.`,
  );
  out.push("");
  out.push(
    "| server | avatars | side | result | in-view delivery % | p50 ms | p99 ms | in-view updates / client / s | updates / client / s | bytes / client / s | server CPU % | µs / update | server RSS MB | generators CPU % |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const b of results) {
    for (const s of b.steps) {
      out.push(
        `| ${VARIANT_LABELS[b.variant]} | ${s.avatars} | ${s.side} | ${s.pass ? "pass" : `fail: ${s.reason}`} | ${fmt(s.deliveryPct, 2)} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p99)} | ${fmt(s.inViewPerClientPerSec, 0)} | ${fmt(s.updatesPerClientPerSec, 0)} | ${fmt(s.bytesPerClientPerSec, 0)} | ${fmt(s.serverCpuPct)} | ${fmt(s.serverCpuUsPerUpdate, 2)} | ${fmt(s.serverRssMB)} | ${fmt(s.generatorCpuPct)} |`,
      );
    }
    if (b.error)
      out.push(`| ${VARIANT_LABELS[b.variant]} | | | error: ${b.error.split("\n")[0]} | | | | | | | | | | |`);
  }
  out.push("");
  return out;
}
