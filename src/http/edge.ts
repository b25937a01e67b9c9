import crypto from "node:crypto";
import http from "node:http";
import type { RequestHandler } from "express";
import helmet from "helmet";
import type { Config } from "../config";
import { AppError } from "../errors";
import { securityEvent, type SecurityEvent } from "../security";

/**
 * The HTTP edge, in front of everything the server answers: Colyseus' matchmaker
 * (`POST /matchmake/*`, served by Colyseus' own `request` listener before Express sees it),
 * the REST API, the monitor, /metrics and the demo page. Config is read per request, so a
 * test may tighten a limit on the running server.
 */
export type EdgeConfig = Pick<
  Config,
  | "NODE_ENV"
  | "CORS_ORIGINS"
  | "MATCHMAKE_MAX_BODY_BYTES"
  | "HTTP_MAX_BODY_BYTES"
  | "HTTP_BODY_TIMEOUT_MS"
  | "METRICS_TOKEN"
>;

/**
 * An http.Server whose `request` listeners (Colyseus' CORS + matchmaker, then Express) only
 * see requests `admit` lets through. Colyseus prepends its listener when it starts listening,
 * so ordering listeners cannot put a check in front of it; intercepting the event can.
 */
export function guardedServer(admit: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): http.Server {
  const server = http.createServer();
  const emit = server.emit.bind(server) as (event: string, ...args: unknown[]) => boolean;
  server.emit = ((event: string, ...args: unknown[]) => {
    if (event === "request" && !admit(args[0] as http.IncomingMessage, args[1] as http.ServerResponse)) return true;
    return emit(event, ...args);
  }) as typeof server.emit;
  return server;
}

const pathOf = (req: http.IncomingMessage) => (req.url ?? "/").split("?")[0]!;
const isMatchmake = (path: string) => path.startsWith("/matchmake/");

/** The peer address (the edge runs before Express, so this is never X-Forwarded-For). */
const peerOf = (req: http.IncomingMessage) => req.socket.remoteAddress;

/**
 * Answer `err` in the REST envelope and close the connection: the rest of a refused body is
 * never read. Used before Express runs, so it writes the response itself.
 */
function refuse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  err: AppError,
  event: SecurityEvent,
  reason: string,
): void {
  securityEvent(event, reason, { method: req.method, path: pathOf(req), ip: peerOf(req) });
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  const body = JSON.stringify({ status: "failed", error: err.message, code: err.code });
  res.writeHead(err.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  res.end(body);
}

/** Origins allowed to call the API from a browser: CORS_ORIGINS, the page's own, localhost in development. */
/** The CORS hooks of Colyseus' matchmaker controller (app.config.ts hands it over). */
export interface MatchmakerCors {
  DEFAULT_CORS_HEADERS: Record<string, string>;
  getCorsHeaders(headers: Headers): Record<string, string>;
}

export class CorsPolicy {
  constructor(private readonly cfg: () => EdgeConfig) {}

  /** `host`: the request's Host header (nginx keeps it: `proxy_set_header Host $host`). */
  allows(origin: string, host: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (host && url.host === host.toLowerCase()) return true;
    const cfg = this.cfg();
    if (cfg.CORS_ORIGINS.includes(url.origin)) return true;
    return cfg.NODE_ENV === "development" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  }

  /** CORS headers for a request: the origin itself (never `*`, never an unlisted one) when allowed. */
  headers(origin: string | null | undefined, host: string | null | undefined): Record<string, string> {
    if (!origin || !this.allows(origin, host ?? undefined)) return { Vary: "Origin" };
    return { "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", Vary: "Origin" };
  }

  /**
   * Colyseus answers preflights and sets CORS headers on every response in its own `request`
   * listener, by default echoing any Origin with credentials: make it use this policy.
   */
  installOn(controller: MatchmakerCors): void {
    // Typed as carrying Allow-Origin and Allow-Credentials; without them, getCorsHeaders decides.
    controller.DEFAULT_CORS_HEADERS = {
      "Access-Control-Allow-Headers": "Origin, X-Requested-With, Content-Type, Accept, Authorization",
      "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
      "Access-Control-Max-Age": "600",
    };
    controller.getCorsHeaders = (headers: Headers) => this.headers(headers.get("origin"), headers.get("host"));
  }
}

/** The demo page's policy: everything from this origin only, nothing inline, never framed. */
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: "deny" },
  // Plain HTTP is served as is; TLS, and so HSTS, belongs to the proxy in front.
  strictTransportSecurity: false,
});

/** The monitor's bundle loads Google's icon font and sets inline styles. */
const monitorHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'", "https://fonts.googleapis.com"],
      fontSrc: ["'self'", "https://fonts.gstatic.com"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: "deny" },
  strictTransportSecurity: false,
});

/**
 * The checks every HTTP request passes before anything else reads it:
 * - a browser Origin that is not allowed → 403 (so a page elsewhere cannot drive the API or
 *   the monitor, whose basic-auth credentials a browser sends by itself);
 * - a body larger than the limit (MATCHMAKE_MAX_BODY_BYTES on /matchmake/*,
 *   HTTP_MAX_BODY_BYTES elsewhere) → 413 as soon as Content-Length says so, or as soon as the
 *   streamed bytes pass it;
 * - a body still incomplete after HTTP_BODY_TIMEOUT_MS → 408;
 * and it puts the security headers on every response.
 */
export function edgeGuard(
  cfg: () => EdgeConfig,
  cors: CorsPolicy,
): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const path = pathOf(req);
    (path.startsWith("/monitor") ? monitorHeaders : securityHeaders)(req, res, () => undefined);
    const origin = req.headers.origin;
    if (origin !== undefined && !cors.allows(origin, req.headers.host)) {
      refuse(req, res, new AppError("FORBIDDEN", "origin not allowed"), "origin_refused", "origin");
      return false;
    }
    const config = cfg();
    const limit = isMatchmake(path) ? config.MATCHMAKE_MAX_BODY_BYTES : config.HTTP_MAX_BODY_BYTES;
    const tooLarge = () => new AppError("PAYLOAD_TOO_LARGE", `Request body over ${limit} bytes`);
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      refuse(req, res, tooLarge(), "payload_too_large", "content-length");
      return false;
    }
    if (!(declared > 0) && req.headers["transfer-encoding"] === undefined) return true;

    // Count the bytes as the parser hands them over, before any reader buffers them.
    let received = 0;
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      refuse(req, res, new AppError("REQUEST_TIMEOUT"), "request_timeout", "body");
    }, config.HTTP_BODY_TIMEOUT_MS);
    const push = req.push.bind(req);
    req.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (stopped) return false;
      if (chunk === null) clearTimeout(timer);
      else {
        received += (chunk as Buffer).length;
        if (received > limit) {
          stopped = true;
          clearTimeout(timer);
          refuse(req, res, tooLarge(), "payload_too_large", "stream");
          return false;
        }
      }
      return push(chunk, encoding);
    };
    res.once("close", () => clearTimeout(timer));
    return true;
  };
}

/** `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
export function metricsAuth(cfg: () => EdgeConfig): RequestHandler {
  return (req, _res, next) => {
    const expected = cfg().METRICS_TOKEN;
    if (!expected) return next();
    const given = /^Bearer\s+(.+)$/i.exec(req.header("authorization") ?? "")?.[1] ?? "";
    const a = crypto.createHash("sha256").update(given).digest();
    const b = crypto.createHash("sha256").update(expected).digest();
    if (crypto.timingSafeEqual(a, b)) return next();
    securityEvent("metrics_refused", given ? "wrong token" : "missing token", { ip: req.ip });
    next(new AppError("UNAUTHORIZED", "metrics token required"));
  };
}

/** The monitor's own room calls; anything else could read a room's private fields (a trivia answer). */
const MONITOR_ROOM_CALLS = new Set([
  "_forceClientDisconnect",
  "_sendMessageToClient",
  "_editStateProperty",
  "_deleteStateProperty",
  "disconnect",
]);

/**
 * The monitor is driven only from its own page: a request another site's page makes (a
 * `Sec-Fetch-Site` other than same-origin or none) is refused even with the browser's cached
 * credentials, and its room calls are limited to the monitor's own.
 */
export const monitorGuard: RequestHandler = (req, _res, next) => {
  const site = req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    securityEvent("origin_refused", "monitor", { ip: req.ip, site });
    return next(new AppError("FORBIDDEN", "the monitor is served to its own page only"));
  }
  const method = req.query.method;
  if (req.path === "/api/room/call" && !(typeof method === "string" && MONITOR_ROOM_CALLS.has(method))) {
    return next(new AppError("FORBIDDEN", "not a monitor action"));
  }
  next();
};
