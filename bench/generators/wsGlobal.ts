import WebSocket from "ws";

/**
 * Node 22 has a global WebSocket (undici's), which the Colyseus SDK picks over the `ws`
 * package. The generators use `ws` for every client (Colyseus, raw ws, Socket.IO alike), so
 * the client side is the same library everywhere and `discardIncoming` can reach the socket.
 * Imported first by every generator, before the SDK is loaded.
 */
(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
