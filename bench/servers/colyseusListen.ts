import http from "node:http";
import {
  defineServer,
  matchMaker,
  type RegisteredHandler,
  type Router,
  type Server,
  type Transport,
} from "@colyseus/core";
import type { ConfigOptions } from "@colyseus/tools";
import { WebSocketTransport } from "@colyseus/ws-transport";

/**
 * Start a Colyseus server from the same `ConfigOptions` that `@colyseus/tools`' listen()
 * takes, but bound to 127.0.0.1 only (listen() binds every interface). The body mirrors
 * tools' buildServerFromOptions so rally runs exactly as `npm start` builds it.
 */
export async function listenOnLoopback(options: ConfigOptions, port: number): Promise<Server> {
  const httpServer = http.createServer();
  // As in tools, the hooks may be async although they are typed as returning plainly.
  const transport = options.initializeTransport
    ? await (options.initializeTransport({ server: httpServer }) as Transport | Promise<Transport>)
    : new WebSocketTransport({ server: httpServer });
  const server = defineServer({
    rooms: (options.rooms ?? {}) as Record<string, RegisteredHandler>,
    routes: options.routes as Router | undefined,
    ...(options.options ?? {}),
    express: options.initializeExpress,
    transport,
  });
  await (options.initializeGameServer?.(server) as void | Promise<void>);
  await matchMaker.onReady;
  await (options.beforeListen?.() as void | Promise<void>);
  await server.listen(port, "127.0.0.1");
  return server;
}
