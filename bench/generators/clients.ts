import "./wsGlobal";
import type { Socket as NetSocket } from "node:net";
import { Client, type Room } from "@colyseus/sdk";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";

/**
 * One client of the space fan-out, for each kind of server: it sends moves and reports every
 * position it sees (moverId, x, y). The generator turns positions into latencies.
 */

export type ServerKind = "rally" | "colyseus" | "ws" | "socketio";

export interface Member {
  id: string;
  username?: string;
  token?: string;
}

export interface SpaceClient {
  move(x: number, y: number, direction: string): void;
  leave(): Promise<void>;
  /** False once the connection is gone. */
  connected(): boolean;
}

export type OnPosition = (moverId: string, x: number, y: number) => void;

export interface ConnectArgs {
  kind: ServerKind;
  port: number;
  roomKey: string;
  member: Member;
  /**
   * Whether this client decodes what it receives. Observers do; the others read every byte
   * off the socket and throw it away (see `discardIncoming`), so that the generators, which
   * share one core, can carry thousands of clients without becoming the bottleneck.
   */
  observe: boolean;
  onPosition: OnPosition;
  /** Where the avatar appears (0, 0 unless given). */
  initialPosition?: { x: number; y: number };
  /** Told the size of every chunk read off the socket (Colyseus kinds only; scenario E's bytes per client). */
  onBytes?: (bytes: number) => void;
}

export async function connectSpaceClient(a: ConnectArgs): Promise<SpaceClient> {
  switch (a.kind) {
    case "rally":
    case "colyseus":
      return connectColyseus(a);
    case "ws":
      return connectWs(a);
    case "socketio":
      return connectSocketIo(a);
  }
}

async function connectColyseus(a: ConnectArgs): Promise<SpaceClient> {
  const client = new Client(`http://127.0.0.1:${a.port}`);
  const options: Record<string, unknown> = {
    spaceId: a.roomKey,
    initialPosition: { x: a.initialPosition?.x ?? 0, y: a.initialPosition?.y ?? 0, direction: "down" },
  };
  if (a.kind === "rally") client.auth.token = a.member.token!;
  else Object.assign(options, { userId: a.member.id, username: a.member.username ?? a.member.id });
  const room: Room = await client.joinOrCreate("space", options);
  room.reconnection.enabled = false;
  room.onMessage("*", () => undefined); // USER_JOINED, CHAT, … are not part of this measure
  let open = true;
  room.onLeave(() => void (open = false));
  const ws = (room.connection.transport as unknown as { ws: WebSocket }).ws;
  const onBytes = a.onBytes;
  if (onBytes) {
    // Marked so that discardIncoming keeps it when it drops the frame parser's listener.
    const count = Object.assign((chunk: Buffer) => onBytes(chunk.length), { countsBytes: true });
    (ws as unknown as { _socket: NetSocket })._socket.on("data", count);
  }
  let stopDiscarding: (() => void) | undefined;
  if (a.observe) {
    room.onStateChange(
      (state: { users?: { forEach(fn: (u: { x: number; y: number }, id: string) => void): void } }) => {
        const users = state?.users;
        if (!users) return;
        users.forEach((u: { x: number; y: number }, id: string) => a.onPosition(id, u.x, u.y));
      },
    );
  } else {
    // The server's transport pings every 10 s and drops clients that never answer: answer
    // in advance, since this client no longer parses the pings.
    stopDiscarding = discardIncoming(ws, () => ws.pong());
    ws.on("close", () => void (open = false));
  }
  return {
    move: (x, y, direction) => room.send("MOVE", { x, y, direction }),
    leave: async () => {
      if (!open) return;
      if (stopDiscarding) {
        // A consented leave, then the socket goes (the server's closing handshake cannot be read).
        stopDiscarding();
        void room.leave(true).catch(() => undefined);
        await sleep(300);
        ws.terminate();
        return;
      }
      await Promise.race([room.leave(true).catch(() => undefined), sleep(2000)]);
    },
    connected: () => open,
  };
}

/**
 * Read and drop everything that arrives on a client WebSocket, below the frame parser: the
 * server still sends every byte to a real TCP reader, but the generator spends almost
 * nothing on it. `keepalive` runs every 5 s to stand in for the pongs it no longer sends.
 * Returns the function that stops the keepalive.
 */
function discardIncoming(ws: WebSocket, keepalive?: () => void): () => void {
  const socket = (ws as unknown as { _socket: NetSocket })._socket;
  const counters = socket.listeners("data").filter((l) => (l as { countsBytes?: boolean }).countsBytes);
  socket.removeAllListeners("data");
  socket.on("data", () => undefined);
  for (const count of counters) socket.on("data", count as (chunk: Buffer) => void);
  socket.resume();
  const timer = keepalive ? setInterval(() => ws.readyState === ws.OPEN && keepalive(), 5000) : undefined;
  return () => clearInterval(timer);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function connectWs(a: ConnectArgs): Promise<SpaceClient> {
  return new Promise((resolve, reject) => {
    const url = `ws://127.0.0.1:${a.port}/?room=${encodeURIComponent(a.roomKey)}&id=${encodeURIComponent(a.member.id)}`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let open = false;
    ws.once("open", () => {
      open = true;
      if (!a.observe) discardIncoming(ws);
      resolve({
        move: (x, y, direction) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ x, y, d: direction }));
        },
        leave: async () => {
          if (!a.observe) return ws.terminate();
          if (ws.readyState === ws.CLOSED) return;
          await new Promise<void>((done) => {
            ws.once("close", () => done());
            ws.close();
            setTimeout(done, 2000);
          });
        },
        connected: () => open,
      });
    });
    ws.on("message", (data) => {
      const m = JSON.parse((data as Buffer).toString("utf8")) as { id: string; x: number; y: number };
      a.onPosition(m.id, m.x, m.y);
    });
    ws.on("close", () => void (open = false));
    ws.on("error", (e) => {
      if (!open) reject(e);
    });
  });
}

function connectSocketIo(a: ConnectArgs): Promise<SpaceClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(`http://127.0.0.1:${a.port}`, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      query: { room: a.roomKey, id: a.member.id },
    });
    let open = false;
    socket.once("connect", () => {
      open = true;
      if (!a.observe) {
        // Engine.IO pings every 25 s and waits 20 s for a pong: send one every 5 s instead.
        const engine = (
          socket.io as unknown as { engine: { transport: { ws: WebSocket }; _sendPacket(type: string): void } }
        ).engine;
        const stop = discardIncoming(engine.transport.ws, () => engine._sendPacket("pong"));
        engine.transport.ws.on("close", () => {
          open = false;
          stop();
        });
      }
      resolve({
        move: (x, y, direction) => {
          if (socket.connected) socket.emit("move", { x, y, d: direction });
        },
        leave: async () => {
          const ws = (socket.io as unknown as { engine?: { transport?: { ws?: WebSocket } } }).engine?.transport?.ws;
          socket.disconnect();
          if (!a.observe && ws) {
            // Its closing handshake cannot be read any more: drop the socket after the goodbye.
            await sleep(300);
            ws.terminate();
          }
        },
        connected: () => open && socket.connected,
      });
    });
    socket.on("moved", (m: { id: string; x: number; y: number }) => a.onPosition(m.id, m.x, m.y));
    socket.on("disconnect", () => void (open = false));
    socket.once("connect_error", (e) => {
      if (!open) reject(e);
    });
  });
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}
