import path from "node:path";
import express from "express";
import config, { type ConfigOptions } from "@colyseus/tools";
import {
  defineRoom,
  LocalDriver,
  LocalPresence,
  matchMaker,
  type Presence,
  type MatchMakerDriver,
} from "@colyseus/core";
import { WebSocketTransport, type TransportOptions } from "@colyseus/ws-transport";
import { loadConfig, type Config } from "./config";
import { migrate, openDb, type Db } from "./db";
import { resolveJwtSecret, TokenService } from "./auth/tokens";
import { ExternalVerifier, type ExternalIdentity, type Provision } from "./auth/external";
import type { Services } from "./services";
import { Delivery } from "./realtime/delivery";
import { systemClock } from "./realtime/clock";
import { cryptoDice } from "./systems/biggerDice/rules";
import { RoomDirectory } from "./realtime/roomDirectory";
import { sweepStaleProcesses } from "./realtime/staleProcesses";
import { createServices } from "./services";
import { installContext, type AppContext } from "./context";
import { logger } from "./logger";
import { errorHandler, notFound, requestId, requireAuth } from "./http/middleware";
import { basicAuth } from "./http/basicAuth";
import { CorsPolicy, edgeGuard, type MatchmakerCors, guardedServer, metricsAuth, monitorGuard } from "./http/edge";
import { AbuseLimits } from "./http/abuseLimits";
import { docsRoutes } from "./http/openapi";
import { authRoutes } from "./systems/identity/auth.routes";
import { opsRoutes } from "./http/ops.routes";
import { friendsRoutes } from "./systems/social/friends.routes";
import { notificationsRoutes } from "./systems/lobby/notifications.routes";
import { gameInvitationsRoutes } from "./systems/lobby/gameInvitations.routes";
import { roomsRoutes } from "./http/rooms.routes";
import { gamesRoutes } from "./systems/biggerDice/games.routes";
import { spacesRoutes } from "./systems/space/spaces.routes";
import { metaverseInvitesRoutes } from "./systems/space/invites.routes";
import { triviaRoutes } from "./systems/trivia/trivia.routes";
import { matchingRoutes } from "./systems/conversation/matching.routes";
import { conversationsRoutes } from "./systems/conversation/conversations.routes";
import { orgsRoutes } from "./systems/identity/orgs.routes";
import { safetyRoutes } from "./systems/social/safety.routes";
import { UserLobbyRoom } from "./systems/lobby/UserLobbyRoom";
import { BiggerDiceRoom } from "./systems/biggerDice/BiggerDiceRoom";
import { SpaceRoom } from "./systems/space/SpaceRoom";
import { TriviaRoom } from "./systems/trivia/TriviaRoom";
import { ConversationRoom } from "./systems/conversation/ConversationRoom";

export interface RallyApp {
  /** The Colyseus server configuration: pass to `listen()` or `@colyseus/testing`'s `boot()`. */
  options: ConfigOptions;
  ctx: AppContext;
  /** Close what the app opened (DB pool, Redis): the server itself is closed by Colyseus. */
  close(): Promise<void>;
}

/** Redis when REDIS_URL is set, else Colyseus' in-process presence and driver. */
async function presenceAndDriver(
  cfg: Config,
): Promise<{ presence: Presence; driver: MatchMakerDriver; redisPing?: () => Promise<void> }> {
  if (!cfg.REDIS_URL) return { presence: new LocalPresence(), driver: new LocalDriver() };
  const { RedisPresence } = await import("@colyseus/redis-presence");
  const { RedisDriver } = await import("@colyseus/redis-driver");
  const presence = new RedisPresence(cfg.REDIS_URL);
  const driver = new RedisDriver(cfg.REDIS_URL);
  const redisPing = async () => {
    await presence.hget("rally:ping", "x");
  };
  return { presence, driver, redisPing };
}

/** Provisioned identities seen recently: a join or request by a known user costs no query. */
const PROVISIONED_CACHE_SIZE = 10_000;

/** The external identity provider's verifier, when AUTH_MODE lets its tokens in. */
function externalVerifier(cfg: Config, services: Services): ExternalVerifier | null {
  if (cfg.AUTH_MODE === "local") return null;
  const seen = new Map<string, ReturnType<Provision> extends Promise<infer U> ? U : never>();
  const provision: Provision = async (identity: ExternalIdentity) => {
    const key = `${identity.subject}\u0000${identity.username}\u0000${identity.orgId ?? ""}`;
    const hit = seen.get(key);
    if (hit) return hit;
    const user = await services.users.provisionExternal(identity);
    if (seen.size >= PROVISIONED_CACHE_SIZE) seen.delete(seen.keys().next().value!);
    seen.set(key, user);
    return user;
  };
  return new ExternalVerifier(
    {
      publicKeyPem: cfg.JWT_PUBLIC_KEY,
      jwksUrl: cfg.JWKS_URL,
      issuer: cfg.JWT_ISSUER,
      audience: cfg.JWT_AUDIENCE,
      claimUsername: cfg.JWT_CLAIM_USERNAME,
      claimOrg: cfg.JWT_CLAIM_ORG,
      refetchCooldownSeconds: cfg.JWKS_REFETCH_COOLDOWN_SECONDS,
    },
    provision,
  );
}

/**
 * The one composition root: configuration, data layer, presence/driver, services, rooms and
 * HTTP routes. `npm start` and the tests build the server through here.
 */
export async function createApp(env: NodeJS.ProcessEnv = process.env): Promise<RallyApp> {
  const cfg = loadConfig(env);
  const db: Db = await openDb({
    databaseUrl: cfg.DATABASE_URL,
    pgliteDir:
      cfg.dataDir === "memory" || cfg.DATA_DIR.startsWith("memory://") ? "memory://" : path.join(cfg.dataDir, "pglite"),
    poolSize: cfg.DATABASE_POOL_SIZE,
    pgliteSharedBuffersMb: cfg.PGLITE_SHARED_BUFFERS_MB,
    // Beside the bundle only (npm run build); from src/ the first start runs initdb.
    pgliteSeed: path.join(__dirname, "pglite-seed.tar.gz"),
  });
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, "migrations applied");

  const { presence, driver, redisPing } = await presenceAndDriver(cfg);
  const rooms = new RoomDirectory(presence);
  const delivery = new Delivery(presence, () => rooms.processId);
  const services = createServices({ db, config: cfg, delivery, rooms, now: () => new Date() });
  const tokens = new TokenService(
    resolveJwtSecret(cfg.JWT_SECRET, cfg.dataDir),
    cfg.JWT_EXPIRES_IN,
    externalVerifier(cfg, services),
  );
  rooms.install((token) => tokens.authenticate(token));
  const ctx: AppContext = { config: cfg, db, tokens, delivery, rooms, services, clock: systemClock, dice: cryptoDice };
  installContext(ctx);
  const liveConfig = () => ctx.config;
  const cors = new CorsPolicy(liveConfig);
  cors.installOn(matchMaker.controller as unknown as MatchmakerCors);
  const limits = new AbuseLimits(presence, liveConfig);

  // The monitor (a React app and its server, ~18 MB resident) is loaded only when it is on.
  const monitorApp =
    cfg.MONITOR_USER && cfg.MONITOR_PASSWORD
      ? // require, not import(): a dynamic import loads the monitor's ESM build, which brings its
        // own copy of @colyseus/core whose matchMaker never started (every /monitor/api was a 500).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        ((require("@colyseus/monitor") as typeof import("@colyseus/monitor")).monitor() as express.RequestHandler)
      : undefined;

  const options = config({
    options: {
      presence,
      driver,
      publicAddress: cfg.PUBLIC_ADDRESS,
      // A room is created on the process that served its matchmaking request; the proxy in
      // front spreads requests, and tests can tell where a room lives.
      selectProcessIdToCreateRoom: () => Promise.resolve(matchMaker.processId),
      gracefullyShutdown: false, // src/index.ts owns signals so it can drain the pool last
      greet: false,
    },
    displayLogs: false,
    // Our own http.Server, so that every request passes the edge checks before Colyseus'
    // matchmaker or Express reads it (src/http/edge.ts).
    initializeTransport: (opts: TransportOptions) =>
      new WebSocketTransport({
        ...opts,
        server: guardedServer(edgeGuard(liveConfig, cors)),
        maxPayload: cfg.MAX_PAYLOAD_BYTES,
        pingInterval: 10_000,
        pingMaxRetries: 2,
      }),
    rooms: {
      user_lobby: defineRoom(UserLobbyRoom).filterBy(["ownerId"]),
      bigger_dice: defineRoom(BiggerDiceRoom).filterBy(["roomName"]),
      space: defineRoom(SpaceRoom).filterBy(["spaceId"]),
      trivia: defineRoom(TriviaRoom).filterBy(["orgId", "sessionId"]),
      conversation: defineRoom(ConversationRoom).filterBy(["conversationId"]),
    },
    initializeExpress: (app: express.Application) => {
      app.disable("x-powered-by");
      app.set("trust proxy", cfg.TRUST_PROXY);
      app.use(requestId);
      app.use(express.json({ limit: cfg.HTTP_MAX_BODY_BYTES }));
      const ops = opsRoutes(ctx, { redis: redisPing, metricsAuth: metricsAuth(liveConfig) });
      app.use(ops);
      if (monitorApp)
        app.use("/monitor", monitorGuard, basicAuth(cfg.MONITOR_USER!, cfg.MONITOR_PASSWORD!), monitorApp);
      // Every private route: the bearer token, then (for writes) the user's REST write budget.
      const auth = limits.withWriteBudget(requireAuth(ctx.tokens));
      const routers = [
        ops,
        authRoutes(ctx, limits),
        friendsRoutes(ctx, auth),
        notificationsRoutes(ctx, auth),
        gameInvitationsRoutes(ctx, auth),
        roomsRoutes(ctx, auth),
        gamesRoutes(ctx, auth),
        spacesRoutes(ctx, auth),
        metaverseInvitesRoutes(ctx, auth),
        triviaRoutes(ctx, auth),
        matchingRoutes(ctx, auth),
        conversationsRoutes(ctx, auth),
        orgsRoutes(ctx, auth),
        safetyRoutes(ctx, auth),
      ];
      for (const router of routers.slice(1)) app.use(router);
      // The OpenAPI document of exactly these routes, and its interactive docs.
      app.use(docsRoutes(routers));
      app.use(["/api", "/metaverse"], notFound);
      if (cfg.SERVE_DEMO || cfg.NODE_ENV !== "test") {
        app.use(express.static(path.resolve(__dirname, "../client-demo/dist")));
      }
      app.use(errorHandler);
    },
  });

  // Only several processes can leave stale registrations behind.
  // Every process sweeps: trivia sessions left in_progress by a dead process are interrupted
  // (within one interval of a process starting); only several processes can leave stale
  // presence registrations behind.
  const stopSweeping = sweepStaleProcesses(cfg.STALE_PROCESS_SWEEP_MS, rooms, async (alive) => {
    if (cfg.REDIS_URL) {
      const gone = await services.presence.pruneDeadProcesses(alive);
      if (gone.length) logger.info({ users: gone.length }, "users of dead processes went offline");
    }
    const interrupted = await services.trivia.interruptOrphaned(alive);
    if (interrupted.length)
      logger.info({ sessions: interrupted }, "trivia sessions of dead processes marked interrupted");
  });

  // After a restart, invitations whose receivers did not come back within the reconnection
  // window expire (a graceful restart expires nothing for users who reconnect). The window
  // opens when the server starts listening (beforeListen): a slow boot must not eat into it.
  let absentSweep: NodeJS.Timeout | undefined;
  const startAbsentSweep = () => {
    absentSweep ??= setTimeout(() => {
      services.gameInvitations
        .expireAbsentReceivers()
        .catch((err) => logger.warn({ err }, "expiring the invitations of absent users failed"));
    }, cfg.RECONNECT_SECONDS * 1000);
    absentSweep.unref();
  };
  options.beforeListen = startAbsentSweep; // @colyseus/testing's boot() calls it too

  return {
    options,
    ctx,
    async close() {
      clearTimeout(absentSweep);
      stopSweeping();
      await db.close().catch(() => undefined);
    },
  };
}
