import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { serveRpc, announceReady } from "../lib/ipc";
import { Histogram, type Sparse } from "../lib/stats";
import { connectSpaceClient, pool, type Member, type ServerKind, type SpaceClient } from "./clients";

/**
 * Space fan-out load generator (one process of several). Every room it is given lives wholly
 * in this process, so the sender and the receivers of a move share one clock.
 *
 * Latency without timestamps on the wire: each mover encodes a per-client move counter in its
 * position (x = counter mod width, y = counter div width) and remembers counter → send time.
 * A receiver that sees a counter looks the send time up. A position is state: when a receiver
 * sees counter c, every older move of that mover is delivered too (superseded at that moment),
 * which is what state sync promises; broadcast servers deliver each move anyway.
 */

const RING = 8192; // send times kept per mover (over 13 minutes at 10 Hz)
const DIRECTIONS = ["up", "right", "down", "left"];

interface RoomPlan {
  key: string;
  members: Member[];
}

interface Mover {
  id: string;
  counter: number;
  sendTimes: Float64Array;
  windowFirst: number;
  windowLast: number;
}

interface Seat {
  member: Member;
  room: RoomPlan;
  observe: boolean;
  mover: Mover;
  lastSeen: Map<string, number>;
  client?: SpaceClient;
  timer?: NodeJS.Timeout;
}

let width = 1000;
const movers = new Map<string, Mover>();
const seats: Seat[] = [];
let hist = new Histogram();
let delivered = 0;
let windowOpen = false;

function onPosition(seat: Seat, moverId: string, x: number, y: number): void {
  if (moverId === seat.member.id) return;
  const counter = Math.round(y) * width + Math.round(x);
  const last = seat.lastSeen.get(moverId) ?? 0;
  if (counter <= last) return;
  seat.lastSeen.set(moverId, counter);
  const mover = movers.get(moverId);
  if (!mover) return;
  const from = Math.max(last + 1, mover.windowFirst, mover.counter - RING + 1);
  const to = Math.min(counter, mover.windowLast);
  if (from > to) return;
  const now = performance.now();
  for (let k = from; k <= to; k++) {
    hist.record(now - mover.sendTimes[k % RING]!);
    delivered++;
  }
}

async function connect(args: {
  kind: ServerKind;
  port: number;
  rooms: RoomPlan[];
  observersPerRoom: number;
  concurrency: number;
  width?: number;
}): Promise<{ connected: number; failed: number; errors: string[]; elapsedMs: number; joinLatency: Sparse }> {
  width = args.width ?? 1000;
  const joinHist = new Histogram();
  for (const room of args.rooms) {
    room.members.forEach((member, i) => {
      const mover: Mover = {
        id: member.id,
        counter: 0,
        sendTimes: new Float64Array(RING),
        windowFirst: Infinity,
        windowLast: -1,
      };
      movers.set(member.id, mover);
      seats.push({ member, room, observe: i < args.observersPerRoom, mover, lastSeen: new Map() });
    });
  }
  const errors: string[] = [];
  let failed = 0;
  const t0 = performance.now();
  await pool(seats, args.concurrency, async (seat) => {
    const start = performance.now();
    try {
      seat.client = await connectSpaceClient({
        kind: args.kind,
        port: args.port,
        roomKey: seat.room.key,
        member: seat.member,
        observe: seat.observe,
        onPosition: (id, x, y) => onPosition(seat, id, x, y),
      });
      joinHist.record(performance.now() - start);
    } catch (e) {
      failed++;
      if (errors.length < 5) errors.push(String((e as Error)?.message ?? e));
    }
  });
  const elapsedMs = performance.now() - t0;
  return { connected: seats.length - failed, failed, errors, elapsedMs, joinLatency: joinHist.toSparse() };
}

function sendMove(seat: Seat): void {
  const m = seat.mover;
  m.counter++;
  m.sendTimes[m.counter % RING] = performance.now();
  if (windowOpen) {
    if (m.windowFirst === Infinity) m.windowFirst = m.counter;
    m.windowLast = m.counter;
  }
  seat.client!.move(m.counter % width, Math.floor(m.counter / width), DIRECTIONS[m.counter % 4]!);
}

async function run(args: { hz: number; warmupMs: number; measureMs: number; drainMs: number }) {
  const period = 1000 / args.hz;
  const live = seats.filter((s) => s.client);
  for (const seat of live) {
    // A random phase spreads the moves evenly over the period.
    setTimeout(() => {
      if (!seat.client) return;
      sendMove(seat);
      seat.timer = setInterval(() => sendMove(seat), period);
    }, Math.random() * period);
  }
  const loop = monitorEventLoopDelay({ resolution: 10 });
  await sleep(args.warmupMs);
  hist = new Histogram();
  delivered = 0;
  windowOpen = true;
  loop.enable();
  const t0 = performance.now();
  await sleep(args.measureMs);
  windowOpen = false;
  const windowMs = performance.now() - t0;
  loop.disable();
  await sleep(args.drainMs);
  for (const seat of seats) clearInterval(seat.timer);

  // Every move sent in the window was due at every other observer in its room that was
  // connected when the run started.
  let expected = 0;
  let windowSent = 0;
  const rooms = new Map<string, Seat[]>();
  for (const seat of live) {
    const list = rooms.get(seat.room.key) ?? [];
    list.push(seat);
    rooms.set(seat.room.key, list);
  }
  for (const list of rooms.values()) {
    const observers = list.filter((s) => s.observe).length;
    for (const seat of list) {
      const m = seat.mover;
      const sent = m.windowLast >= m.windowFirst ? m.windowLast - m.windowFirst + 1 : 0;
      windowSent += sent;
      expected += sent * (observers - (seat.observe ? 1 : 0));
    }
  }
  const disconnected = live.filter((s) => !s.client!.connected()).length;
  return {
    clients: live.length,
    windowMs,
    windowSent,
    expected,
    delivered,
    disconnected,
    latency: hist.toSparse(),
    loopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

async function leave(): Promise<{ left: number }> {
  const left = seats.filter((s) => s.client);
  await pool(left, 200, (s) => s.client!.leave());
  return { left: left.length };
}

/** Leave, and forget everything: the process serves the next step. */
async function reset(): Promise<{ left: number }> {
  const result = await leave();
  for (const seat of seats) clearInterval(seat.timer);
  seats.length = 0;
  movers.clear();
  hist = new Histogram();
  delivered = 0;
  windowOpen = false;
  return result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

serveRpc({ connect, run, leave, reset });
announceReady();
