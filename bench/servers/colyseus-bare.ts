import { defineRoom, LocalDriver, LocalPresence, Room, type Client } from "@colyseus/core";
import { BroadcastSpaceState as SpaceState, SpaceUser } from "../../src/systems/space/SpaceState";
import config from "@colyseus/tools";
import { WebSocketTransport, type TransportOptions } from "@colyseus/ws-transport";
import { announceReady, serveRpc } from "../lib/ipc";
import { listenOnLoopback } from "./colyseusListen";
import { benchPort, commonCommands, exitOnSigterm } from "./common";

/**
 * The bare Colyseus 0.18 baseline: the same state shape as rally's `space` room (users map
 * userId → {userId, username, x, y, direction, action}) and a MOVE handler that just sets the
 * fields. No auth, no validation, no rate limits: what a user would write with Colyseus alone.
 * It imports rally's own schema (the unfiltered one a space with an unlimited view uses), so
 * both servers encode exactly the same patches.
 */

interface JoinOptions {
  spaceId: string;
  userId: string;
  username?: string;
  initialPosition?: { x: number; y: number; direction: string };
}

class BareSpaceRoom extends Room<{ state: SpaceState }> {
  maxClients = 1000; // rally's largest space (scenario E)
  state = new SpaceState();

  onCreate(options: JoinOptions): void {
    this.state.spaceId = options.spaceId;
    this.state.name = options.spaceId;
    this.state.capacity = this.maxClients;
    this.state.width = 1000;
    this.state.height = 1000;
    this.onMessage("MOVE", (client: Client, m: { x: number; y: number; direction: string }) => {
      const user = this.state.users.get(client.userData as string);
      if (!user) return;
      user.x = m.x;
      user.y = m.y;
      user.direction = m.direction;
    });
  }

  onJoin(client: Client, options: JoinOptions): void {
    client.userData = options.userId;
    const user = new SpaceUser();
    user.userId = options.userId;
    user.username = options.username ?? options.userId;
    user.x = options.initialPosition?.x ?? 0;
    user.y = options.initialPosition?.y ?? 0;
    user.direction = options.initialPosition?.direction ?? "down";
    user.action = "";
    this.state.users.set(options.userId, user);
  }

  onLeave(client: Client): void {
    this.state.users.delete(client.userData as string);
  }
}

async function main(): Promise<void> {
  const port = benchPort();
  exitOnSigterm();
  const options = config({
    options: { presence: new LocalPresence(), driver: new LocalDriver(), greet: false, gracefullyShutdown: false },
    displayLogs: false,
    // The same transport settings as rally (src/app.config.ts), so only the room differs.
    initializeTransport: (opts: TransportOptions) =>
      new WebSocketTransport({ ...opts, maxPayload: 64 * 1024, pingInterval: 10_000, pingMaxRetries: 2 }),
    rooms: { space: defineRoom(BareSpaceRoom).filterBy(["spaceId"]) },
  });
  await listenOnLoopback(options, port);
  serveRpc({ ...commonCommands });
  announceReady({ port });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
