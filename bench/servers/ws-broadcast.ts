import http from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { announceReady, serveRpc } from "../lib/ipc";
import { benchPort, commonCommands, exitOnSigterm } from "./common";

/**
 * The raw `ws` baseline: a client connects with `?room=<key>&id=<userId>`; each move it sends
 * (`{x, y, d}`) is stamped with its id, encoded once, and sent to the other clients of its room.
 * No state, no auth, no validation: the least a server can do per move.
 */

interface Peer {
  ws: WebSocket;
  id: string;
  room: Set<Peer>;
}

async function main(): Promise<void> {
  const port = benchPort();
  exitOnSigterm();
  const rooms = new Map<string, Set<Peer>>();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 });

  wss.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const key = url.searchParams.get("room") ?? "default";
    const id = url.searchParams.get("id") ?? "";
    let room = rooms.get(key);
    if (!room) rooms.set(key, (room = new Set()));
    const peer: Peer = { ws, id, room };
    room.add(peer);
    ws.on("message", (data) => {
      let move: { x: number; y: number; d: string };
      try {
        move = JSON.parse((data as Buffer).toString("utf8")) as typeof move;
      } catch {
        return;
      }
      const out = Buffer.from(JSON.stringify({ id, x: move.x, y: move.y, d: move.d }));
      for (const other of peer.room) {
        if (other !== peer && other.ws.readyState === other.ws.OPEN) other.ws.send(out, { binary: false });
      }
    });
    ws.on("close", () => {
      room.delete(peer);
      if (room.size === 0) rooms.delete(key);
    });
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  serveRpc({ ...commonCommands });
  announceReady({ port });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
