import "./wsGlobal";
import { performance } from "node:perf_hooks";
import { Client, type Room } from "@colyseus/sdk";
import { announceReady, serveRpc } from "../lib/ipc";
import { Histogram } from "../lib/stats";
import { pool } from "./clients";

/**
 * Conversation chat load generator: both participants of each conversation join its room;
 * messages go out at a fixed total rate, round-robin over the senders, each with a unique
 * clientMessageId. Latency is from `send` to the OTHER participant's `message` event, both
 * in this process. A message is stored before it is broadcast, so delivered means stored.
 */

interface Participant {
  id: string;
  token: string;
}
interface ConversationPlan {
  key: string;
  members: Participant[];
}
interface Seat {
  user: Participant;
  conversation: string;
  room?: Room;
}

const tag = `g${process.pid}`;
const seats: Seat[] = [];
const sendTimes = new Map<string, { at: number; inWindow: boolean }>();
let hist = new Histogram();
let delivered = 0;
let errors = 0;
/** Global, so that a clientMessageId is never reused across runs (a reuse is not re-sent). */
let seq = 0;
const errorSamples: string[] = [];

async function connect(args: { port: number; conversations: ConversationPlan[] }) {
  for (const c of args.conversations) for (const user of c.members) seats.push({ user, conversation: c.key });
  let failed = 0;
  const samples: string[] = [];
  await pool(seats, 20, async (seat) => {
    const client = new Client(`http://127.0.0.1:${args.port}`);
    client.auth.token = seat.user.token;
    try {
      const room = await client.joinOrCreate("conversation", { conversationId: seat.conversation });
      room.reconnection.enabled = false;
      room.onMessage(
        "message",
        ({ message }: { message: { client_message_id: string | null; sender: { id: string } } }) => {
          if (message.sender.id === seat.user.id || !message.client_message_id) return;
          const sent = sendTimes.get(message.client_message_id);
          if (!sent) return;
          sendTimes.delete(message.client_message_id);
          if (!sent.inWindow) return;
          hist.record(performance.now() - sent.at);
          delivered++;
        },
      );
      room.onMessage("error", (e: { code: string; message: string }) => {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${e.code}: ${e.message}`);
      });
      room.onMessage("*", () => undefined);
      seat.room = room;
    } catch (e) {
      failed++;
      if (samples.length < 3) samples.push(String((e as Error)?.message ?? e));
    }
  });
  return { connected: seats.length - failed, failed, errors: samples };
}

async function run(args: { rate: number; warmupMs: number; measureMs: number; drainMs: number }) {
  const senders = seats.filter((s) => s.room);
  let windowOpen = false;
  let sent = 0;
  let windowSent = 0;
  let next = 0;
  const start = performance.now();
  // Send what is due every 5 ms: the total rate is exact whatever the timer jitter.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * args.rate);
    while (sent < due && senders.length > 0) {
      const seat = senders[next++ % senders.length]!;
      sent++;
      const id = `${tag}-${++seq}`;
      sendTimes.set(id, { at: performance.now(), inWindow: windowOpen });
      if (windowOpen) windowSent++;
      seat.room!.send("message", { content: `bench message ${seq}`, clientMessageId: id });
    }
  }, 5);
  await sleep(args.warmupMs);
  hist = new Histogram();
  delivered = 0;
  errors = 0;
  windowOpen = true;
  const t0 = performance.now();
  await sleep(args.measureMs);
  windowOpen = false;
  const windowMs = performance.now() - t0;
  clearInterval(timer);
  await sleep(args.drainMs);
  return { sent, windowSent, windowMs, delivered, errors, errorSamples, latency: hist.toSparse() };
}

async function leave() {
  await pool(
    seats.filter((s) => s.room),
    50,
    (s) => Promise.race([s.room!.leave(true).catch(() => undefined), sleep(2000)]),
  );
  return {};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

serveRpc({ connect, run, leave });
announceReady();
