import "./wsGlobal";
import { performance } from "node:perf_hooks";
import { Client, type Room } from "@colyseus/sdk";
import { announceReady, serveRpc } from "../lib/ipc";
import { Histogram } from "../lib/stats";

/**
 * Dice load generator: pairs of bots play complete `bigger_dice` games back to back. The host
 * creates a room with a low targetScore, the guest joins it by name, both get ready, and each
 * rolls when `turn_changed` (or `game_started`) names it, after a short think time that keeps
 * every bot far below the per-client rate limit. A game counts when `game_ended` arrives
 * (the room stores the game before it announces the end).
 */

interface Player {
  id: string;
  token: string;
}

let completed = 0;
let windowOpen = false;
let windowCompleted = 0;
let failures = 0;
const failureSamples: string[] = [];
let stopping = false;
const rollLatency = new Histogram();
const gameDuration = new Histogram();

function note(e: unknown): void {
  failures++;
  if (failureSamples.length < 5)
    failureSamples.push(String((e as Error)?.message ?? (e as { code?: string })?.code ?? e));
}

/** Join and play one game as this seat; resolves when game_ended arrives. */
function play(room: Room, me: Player, thinkMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let rolledAt = 0;
    const maybeRoll = (turn: string) => {
      if (turn !== me.id) return;
      setTimeout(() => {
        rolledAt = performance.now();
        room.send("roll");
      }, thinkMs);
    };
    room.onMessage("game_started", (e: { first_turn: string }) => maybeRoll(e.first_turn));
    room.onMessage("turn_changed", (e: { current_turn: string }) => maybeRoll(e.current_turn));
    room.onMessage("bigger_dice.rolled", (e: { player_id: string }) => {
      if (e.player_id === me.id && rolledAt && windowOpen) rollLatency.record(performance.now() - rolledAt);
    });
    room.onMessage("game_ended", () => resolve());
    room.onMessage("error", (e: { code: string; message: string }) => reject(new Error(`${e.code}: ${e.message}`)));
    room.onMessage("*", () => undefined);
    room.onLeave((code) => reject(new Error(`left with code ${code}`)));
    room.send("ready");
  });
}

async function pairLoop(
  port: number,
  host: Player,
  guest: Player,
  pairIndex: number,
  targetScore: number,
  thinkMs: number,
) {
  let game = 0;
  while (!stopping) {
    const hostClient = new Client(`http://127.0.0.1:${port}`);
    hostClient.auth.token = host.token;
    const guestClient = new Client(`http://127.0.0.1:${port}`);
    guestClient.auth.token = guest.token;
    const roomName = `bench-${process.pid}-${pairIndex}-${++game}`;
    const rooms: Room[] = [];
    const started = performance.now();
    try {
      const hostRoom = await hostClient.create("bigger_dice", { roomName, targetScore });
      rooms.push(hostRoom);
      const hostDone = play(hostRoom, host, thinkMs);
      const guestRoom = await guestClient.join("bigger_dice", { roomName });
      rooms.push(guestRoom);
      const guestDone = play(guestRoom, guest, thinkMs);
      await Promise.all([hostDone, guestDone]);
      completed++;
      if (windowOpen) {
        windowCompleted++;
        gameDuration.record(performance.now() - started);
      }
    } catch (e) {
      note(e);
      await sleep(200);
    } finally {
      for (const r of rooms) {
        r.reconnection.enabled = false;
        r.onLeave.clear();
        await Promise.race([r.leave(true).catch(() => undefined), sleep(2000)]);
      }
    }
  }
}

async function run(args: {
  port: number;
  pairs: Array<[Player, Player]>;
  targetScore: number;
  thinkMs: number;
  warmupMs: number;
  measureMs: number;
}) {
  const loops = args.pairs.map(([host, guest], i) =>
    pairLoop(args.port, host, guest, i, args.targetScore, args.thinkMs),
  );
  await sleep(args.warmupMs);
  windowOpen = true;
  const t0 = performance.now();
  await sleep(args.measureMs);
  windowOpen = false;
  const windowMs = performance.now() - t0;
  stopping = true;
  await Promise.race([Promise.all(loops), sleep(15_000)]);
  return {
    windowCompleted,
    windowMs,
    completed,
    failures,
    failureSamples,
    rollLatency: rollLatency.toSparse(),
    gameDuration: gameDuration.toSparse(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

serveRpc({ run });
announceReady();
