import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { announceReady, serveRpc } from "../lib/ipc";
import { Histogram } from "../lib/stats";
import { connectSpaceClient, pool, type Member, type ServerKind, type SpaceClient } from "./clients";
import { mulberry32 } from "../../src/random";

/**
 * Scenario E's load generator (one process of several): N avatars in ONE space, each doing a
 * random walk at `hz`. The space spans several generator processes, so the walk is
 * deterministic: every process computes every avatar's path (seeded by its index) and its
 * schedule (move k of avatar i is due at startAt + phase(i) + k × period, on the shared wall
 * clock). That lets an observer here decide which moves of an avatar driven elsewhere were
 * in its view, and when they were sent.
 *
 * A move carries k in the thousandths of x (x = whole position + (k mod 1000) / 1000); an
 * observer that sees an avatar's x recovers k, and, as in scenario A, counts every move of
 * that avatar up to k as delivered (state sync supersedes older positions).
 *
 * "In view" for the expected count is the view shrunk by `margin` (a few steps): a move that
 * happens right at the edge may legitimately be overtaken by the avatar leaving the view.
 */

interface Args {
  kind: ServerKind;
  port: number;
  roomKey: string;
  /** Every avatar of the space, in index order (the walk is seeded by the index). */
  members: Member[];
  /** The indices this process drives, and among them those that decode and measure. */
  mine: number[];
  observers: number[];
  side: number;
  radius: number;
  step: number;
  margin: number;
  hz: number;
  /** Moves planned per avatar (the whole run, warm-up and drain included). */
  steps: number;
  concurrency: number;
}

interface Seat {
  index: number;
  observe: boolean;
  client?: SpaceClient;
  /** Per mover index: the highest move counter seen (observers only). */
  lastSeen?: Int32Array;
}

let plan: Args | undefined;
let xs = new Int32Array(0);
let ys = new Int32Array(0);
let phases = new Float64Array(0);
const indexOf = new Map<string, number>();
let seats: Seat[] = [];
let startAt = 0;
let windowFrom = 0;
let windowTo = 0;
let hist = new Histogram();
let delivered = 0;
let updatesSeen = 0;
let bytes = 0;

const epochNow = () => performance.timeOrigin + performance.now();

/** Every avatar's path: position k of avatar i at [i * (steps + 1) + k]; k = 0 is where it joins. */
function planWalks(n: number, steps: number, side: number, step: number): void {
  const stride = steps + 1;
  xs = new Int32Array(n * stride);
  ys = new Int32Array(n * stride);
  phases = new Float64Array(n);
  const max = side - 1;
  for (let i = 0; i < n; i++) {
    const rand = mulberry32(i * 7919 + 17);
    let x = Math.floor(rand() * max);
    let y = Math.floor(rand() * max);
    phases[i] = rand();
    for (let k = 0; k <= steps; k++) {
      if (k > 0) {
        x += Math.round((rand() * 2 - 1) * step);
        y += Math.round((rand() * 2 - 1) * step);
        if (x < 0) x = -x;
        if (y < 0) y = -y;
        if (x > max) x = 2 * max - x;
        if (y > max) y = 2 * max - y;
      }
      xs[i * stride + k] = x;
      ys[i * stride + k] = y;
    }
  }
}

const period = () => 1000 / plan!.hz;
const sendTime = (i: number, k: number) => startAt + (phases[i]! + k) * period();
/** Which move of avatar i is the latest sent by time t (0 = its join position). */
const moveAt = (i: number, t: number) =>
  Math.max(0, Math.min(plan!.steps, Math.floor((t - startAt) / period() - phases[i]!)));

function inViewAt(o: number, j: number, k: number, radius: number): boolean {
  const stride = plan!.steps + 1;
  const ko = moveAt(o, sendTime(j, k));
  return (
    Math.abs(xs[j * stride + k]! - xs[o * stride + ko]!) <= radius &&
    Math.abs(ys[j * stride + k]! - ys[o * stride + ko]!) <= radius
  );
}

const inWindow = (j: number, k: number) => {
  const t = sendTime(j, k);
  return t >= windowFrom && t < windowTo;
};

function onPosition(seat: Seat, moverId: string, x: number): void {
  const j = indexOf.get(moverId);
  if (j === undefined || j === seat.index || startAt === 0) return;
  const now = epochNow();
  const latest = moveAt(j, now);
  const mod = Math.round((x - Math.floor(x)) * 1000) % 1000;
  const k = latest - ((((latest - mod) % 1000) + 1000) % 1000);
  const last = seat.lastSeen![j]!;
  if (k <= last) return;
  seat.lastSeen![j] = k;
  const shrunk = plan!.radius - plan!.margin;
  for (let kk = Math.max(last + 1, 1); kk <= k; kk++) {
    if (!inWindow(j, kk)) continue;
    updatesSeen++;
    if (!inViewAt(seat.index, j, kk, shrunk)) continue;
    delivered++;
    hist.record(now - sendTime(j, kk));
  }
}

async function connect(args: Args): Promise<{ connected: number; failed: number; errors: string[] }> {
  plan = args;
  planWalks(args.members.length, args.steps, args.side, args.step);
  indexOf.clear();
  args.members.forEach((m, i) => indexOf.set(m.id, i));
  const observing = new Set(args.observers);
  seats = args.mine.map((index) => ({ index, observe: observing.has(index) }));
  const stride = args.steps + 1;
  const errors: string[] = [];
  let failed = 0;
  await pool(seats, args.concurrency, async (seat) => {
    if (seat.observe) seat.lastSeen = new Int32Array(args.members.length);
    try {
      seat.client = await connectSpaceClient({
        kind: args.kind,
        port: args.port,
        roomKey: args.roomKey,
        member: args.members[seat.index]!,
        observe: seat.observe,
        initialPosition: { x: xs[seat.index * stride]!, y: ys[seat.index * stride]! },
        onPosition: (id, x) => onPosition(seat, id, x),
        onBytes: (n) => void (bytes += n),
      });
    } catch (e) {
      failed++;
      if (errors.length < 5) errors.push(String((e as Error)?.message ?? e));
    }
  });
  return { connected: seats.length - failed, failed, errors };
}

const DIRECTIONS = ["left", "right", "up", "down"] as const;

async function run(a: { startAt: number; warmupMs: number; measureMs: number; drainMs: number }) {
  const p = plan!;
  startAt = a.startAt;
  windowFrom = startAt + a.warmupMs;
  windowTo = windowFrom + a.measureMs;
  const end = windowTo + a.drainMs;
  const stride = p.steps + 1;
  const live = seats.filter((s) => s.client);
  const next = new Int32Array(live.length).fill(1);
  // One scheduler for all of this process's avatars: each sends its latest due move.
  const tick = () => {
    const now = epochNow();
    for (let s = 0; s < live.length; s++) {
      const i = live[s]!.index;
      const due = moveAt(i, now);
      if (due < next[s]! || now >= end) continue;
      next[s] = due + 1;
      const x = xs[i * stride + due]!;
      const dx = x - xs[i * stride + due - 1]!;
      const dy = ys[i * stride + due]! - ys[i * stride + due - 1]!;
      const direction = Math.abs(dx) >= Math.abs(dy) ? DIRECTIONS[dx < 0 ? 0 : 1] : DIRECTIONS[dy < 0 ? 2 : 3];
      live[s]!.client!.move(x + (due % 1000) / 1000, ys[i * stride + due]!, direction);
    }
  };
  const timer = setInterval(tick, 4);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  await sleepUntil(windowFrom);
  hist = new Histogram();
  delivered = 0;
  updatesSeen = 0;
  const bytes0 = bytes;
  loop.enable();
  await sleepUntil(windowTo);
  const windowBytes = bytes - bytes0;
  loop.disable();
  await sleepUntil(end);
  clearInterval(timer);

  // The moves every observer here had to receive: those made in the window by an avatar
  // inside its (shrunk) view at that moment.
  let expected = 0;
  let movesInWindow = 0;
  const shrunk = p.radius - p.margin;
  const observers = live.filter((s) => s.observe);
  for (let j = 0; j < p.members.length; j++) {
    for (let k = 1; k <= p.steps; k++) {
      if (!inWindow(j, k)) continue;
      movesInWindow++;
      for (const o of observers) if (o.index !== j && inViewAt(o.index, j, k, shrunk)) expected++;
    }
  }
  return {
    clients: live.length,
    observers: observers.length,
    disconnected: live.filter((s) => !s.client!.connected()).length,
    movesInWindow,
    expected,
    delivered,
    updatesSeen,
    windowBytes,
    windowMs: a.measureMs,
    latency: hist.toSparse(),
    loopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

/** Leave, and forget everything: the process serves the next step. */
async function reset(): Promise<{ left: number }> {
  const left = seats.filter((s) => s.client);
  await pool(left, 200, (s) => s.client!.leave());
  seats = [];
  startAt = 0;
  hist = new Histogram();
  return { left: left.length };
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - epochNow())));

serveRpc({ connect, run, reset });
announceReady();
