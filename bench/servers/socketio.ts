import http from "node:http";
import { Server } from "socket.io";
import { announceReady, serveRpc } from "../lib/ipc";
import { benchPort, commonCommands, exitOnSigterm } from "./common";

/**
 * The Socket.IO 4 baseline, WebSocket transport only: a client connects with
 * `query: {room, id}` and joins that room; each `move` is re-emitted as `moved` (stamped with
 * the sender's id) to the others in the room with `socket.to(room).emit`.
 */
async function main(): Promise<void> {
  const port = benchPort();
  exitOnSigterm();
  const server = http.createServer();
  const io = new Server(server, { transports: ["websocket"], serveClient: false, maxHttpBufferSize: 64 * 1024 });

  io.on("connection", (socket) => {
    const room = String(socket.handshake.query.room ?? "default");
    const id = String(socket.handshake.query.id ?? "");
    void socket.join(room);
    socket.on("move", (move: { x: number; y: number; d: string }) => {
      if (!move || typeof move !== "object") return;
      socket.to(room).emit("moved", { id, x: move.x, y: move.y, d: move.d });
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
