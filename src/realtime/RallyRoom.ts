import { CloseCode, Room, ServerError, type AuthContext, type Client, type RoomOptions } from "@colyseus/core";
import type { MessageContext } from "@colyseus/shared-types";
import { z } from "zod";
import { appContext, type AppContext } from "../context";
import { AppError, toAppError, type ErrorCode } from "../errors";
import { logger } from "../logger";
import { messagesInTally, metrics } from "../metrics";
import type { AuthUser } from "../auth/tokens";
import { describeZodError } from "../protocol/common";
import { ClientLimiter, UserLimiters, type ClientLimiterOptions } from "./rateLimit";
import { Seats } from "./seats";
import { toServerError } from "./joinErrors";

export { toServerError };
import {
  RoomEvent,
  RoomMessage,
  type EventName,
  type EventPayload,
  type RoomEvents,
  type UntypedEvents,
} from "./events";
import { securityEvent } from "../security";
import { releaseQuietly, type ReconnectionCheck } from "./roomDirectory";
import { authenticateJoin, authOf, SeatAccess } from "./seatAccess";

export { authenticateJoin, authOf, CLOSE_ACCESS_ENDED, CLOSE_TOKEN_EXPIRED } from "./seatAccess";

/** Close code for a client that kept flooding past its rate limit (docs/PROTOCOL.md §1). */
export const CLOSE_FLOODING = 4008;

/** Close code of every room when the server shuts down (SIGTERM/SIGINT; docs/PROTOCOL.md §1). */
export const CLOSE_SERVER_SHUTDOWN = CloseCode.SERVER_SHUTDOWN;
/** Close code for every seat of a space that was deleted. */
export const CLOSE_SPACE_DELETED = 4404;

const AuthRefreshMessage = z.object({ token: z.string().min(1).max(8192) }).strict();

export type RallyClient = Client<{ auth: AuthUser }>;

export interface HandlerOptions {
  /** The rate-limit bucket this message spends; "general" unless it has its own budget. */
  bucket?: string;
}

/** `isRequest`: sent with `room.request` (the return value is the reply) rather than `room.send`. */
/** A room's `handle`, handed to a module that registers one feature's messages on it. */
export type Handle = <S extends z.ZodType>(type: string, schema: S | null, fn: Handler<z.infer<S>>) => void;

export type Handler<T> = (client: RallyClient, payload: T, meta: { isRequest: boolean }) => unknown;

/** Parse join options with a zod schema; a bad value refuses the join with 400 naming the field. */
export function parseJoinOptions<S extends z.ZodType>(schema: S, options: unknown): z.infer<S> {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) throw new ServerError(400, describeZodError(parsed.error));
  return parsed.data;
}

/**
 * The base of every rally room. It gives each room, once:
 * - authentication (`static onAuth`, shared; rooms add their own checks on top);
 * - `handle(type, schema, fn)`: rate limit, validate, run, and answer errors at the edge
 *   (`room.request` rejects with `{code, message}`, `room.send` gets an `error` event);
 * - `sendTo` / `broadcastEvent`: events with a per-seat `seq`, buffered while a seat is held
 *   for a dropped client and replayed on reconnect;
 * - `ping` → `pong`, and `UNKNOWN_MESSAGE` for anything unregistered.
 * The room's own lifecycle methods (onJoin, onDrop, onReconnect, onLeave) are wrapped in
 * the constructor so that seat bookkeeping happens around them without each room repeating it.
 */
export abstract class RallyRoom<
  T extends RoomOptions = RoomOptions,
  /** The room's event table (see realtime/events.ts): name → payload. */
  E extends object = UntypedEvents,
  /** What the room keeps per seat in `seats` (a role, a team…). */
  D = undefined,
> extends Room<T & { client: RallyClient }> {
  protected readonly ctx: AppContext = appContext();
  /** The one registry of this room's seats: user, connection, the room's data, events. */
  protected readonly seats: Seats<D>;
  /** Message budgets per user and room kind, shared by the user's connections in this process. */
  private static readonly userLimiters = new UserLimiters();
  /** Each seat's budget: its user's (by session id). */
  private readonly limiters = new Map<string, ClientLimiter>();
  /** Token expiry and revocations of the seats (seatAccess.ts). */
  private readonly access: SeatAccess;
  /**
   * A room nobody has joined this many seconds after its creation is disposed (and its key
   * freed). 0 turns it off: e.g. an invitation's private room waits for its players longer.
   */
  protected emptyRoomSeconds = this.ctx.config.EMPTY_ROOM_SECONDS;
  private everJoined = false;
  /** Seconds a dropped client keeps its seat. */
  protected reconnectSeconds = this.ctx.config.RECONNECT_SECONDS;
  /** Rate-limit buckets; rooms may add their own (space adds MOVE). */
  protected rateLimits: Record<string, ClientLimiterOptions> = {
    general: {
      perSecond: this.ctx.config.RATE_LIMIT_PER_SECOND,
      burst: this.ctx.config.RATE_LIMIT_BURST,
      reportEvery: true,
    },
  };

  static override async onAuth(token: string, options: unknown, _context: AuthContext): Promise<AuthUser> {
    return authenticateJoin(token, options);
  }

  /**
   * The RoomDirectory's routing hook, after `onAuth`: the options this join acts on, from the
   * authenticated user and the client's options (validated, normalised, with the fields the
   * room key is made of resolved by the server). Returned, never mutated in place; a refusal
   * is thrown as an AppError and answered by the directory. Runs before any room is chosen,
   * so a refused join creates nothing.
   */
  static route(_user: AuthUser, options: Record<string, unknown>): Promise<object> {
    return Promise.resolve(options);
  }

  /**
   * The RoomDirectory's routing hook: the key of the one live room that these join options
   * (as onAuth routed them) belong to, or null when any room of the kind will do.
   */
  static roomKey(_options: Record<string, unknown>): string | null {
    return null;
  }

  /** The refusal (409) when the room for a key holds as many clients as it admits. */
  static fullMessage = "The room is full";

  /** Open rooms of this kind one user may have created at once (0: no limit). */
  static createdPerUser(): number {
    return 0;
  }

  /** Connections one user may hold to rooms of this kind at once, across processes (0: no limit). */
  static connectionsPerUser(): number {
    return appContext().config.MAX_CONNECTIONS_PER_USER;
  }

  constructor() {
    super();
    this.seats = new Seats<D>(this.ctx.config.EVENT_BUFFER_SIZE, (type) =>
      metrics.messagesOut.inc({ room: this.roomName, type }),
    );
    this.access = new SeatAccess({
      room: this,
      ctx: this.ctx,
      seats: this.seats as Seats<unknown>,
      orgScope: () => this.orgScope(),
    });
    this.wrapLifecycle();
    this.handle(RoomMessage.authRefresh, AuthRefreshMessage, (client, msg) => this.access.refresh(client, msg.token));
    this.handle(RoomMessage.ping, null, (client, _payload, { isRequest }) => {
      const t = Date.now();
      if (isRequest) return { t };
      this.seats.send(client.sessionId, RoomEvent.pong, { t } satisfies RoomEvents[typeof RoomEvent.pong]);
    });
    this.onMessage("*", (client: RallyClient, type: unknown, third?: unknown) => {
      messagesInTally(this.roomName, "unknown").count++;
      // A message whose type is literally "*" is dispatched to this handler directly, as
      // (client, payload, context), not as (client, type, payload). A decoded payload never
      // holds a function, so `reject` tells the two apart; a request has an id.
      const direct =
        typeof (third as MessageContext | undefined)?.reject === "function" ? (third as MessageContext) : undefined;
      const mctx = direct?.id !== undefined ? direct : undefined;
      const name = direct ? "*" : String(type);
      if (!this.admit(client, "general", name, mctx)) return;
      const err = this.report(new AppError("UNKNOWN_MESSAGE", `Unknown message type: ${name.slice(0, 64)}`), name);
      if (mctx) return mctx.reject({ code: err.code, message: err.message });
      this.sendError(client, name, err);
    });
  }

  /**
   * Register a client message. The payload is validated with `schema` (pass `null` for
   * messages without one); the handler's return value is the request's reply
   * (`{ ok: true }` when it returns nothing).
   */
  protected handle<S extends z.ZodType>(
    type: string,
    schema: S | null,
    fn: Handler<z.infer<S>>,
    opts: HandlerOptions = {},
  ): void {
    const bucket = opts.bucket ?? "general";
    const SEND = { isRequest: false };
    const REQUEST = { isRequest: true };
    // Resolved on first use: roomName is not known yet when the base registers ping and "*".
    let received: { count: number } | undefined;
    this.onMessage(type, (client: RallyClient, raw: unknown, mctx: MessageContext) => {
      (received ??= messagesInTally(this.roomName, type)).count++;
      const isRequest = mctx.id !== undefined;
      if (!this.admit(client, bucket, type, isRequest ? mctx : undefined)) return;
      let payload: unknown = raw;
      if (schema) {
        const parsed = schema.safeParse(raw ?? {});
        if (!parsed.success) {
          return this.answerError(client, type, mctx, new AppError("INVALID_MESSAGE", describeZodError(parsed.error)));
        }
        payload = parsed.data;
      }
      try {
        const result = fn(client, payload as z.infer<S>, isRequest ? REQUEST : SEND);
        if (result instanceof Promise) {
          return (result as Promise<unknown>).then(
            (value) => (isRequest ? (value ?? { ok: true }) : undefined),
            (e) => this.answerError(client, type, mctx, e),
          );
        }
        return isRequest ? (result ?? { ok: true }) : undefined;
      } catch (e) {
        return this.answerError(client, type, mctx, e);
      }
    });
  }

  /** The room edge for errors: a request rejects with `{code, message}`, a send gets `error`. */
  private answerError(client: RallyClient, type: string, mctx: MessageContext, e: unknown): void {
    const err = this.report(e, type);
    if (mctx.id !== undefined) return void mctx.reject({ code: err.code, message: err.message });
    this.sendError(client, type, err);
  }

  /** Send an event to one client (buffered while its seat is held after a drop). */
  protected sendTo<K extends EventName<E>>(client: Client | string, type: K, payload: EventPayload<E, K>): void {
    this.seats.send(typeof client === "string" ? client : client.sessionId, type, payload as object);
  }

  /** Send an event to every seat in the room, connected or held. */
  protected broadcastEvent<K extends EventName<E>>(
    type: K,
    payload: EventPayload<E, K>,
    except?: Client | Client[],
  ): void {
    const skip = except === undefined ? undefined : (Array.isArray(except) ? except : [except]).map((c) => c.sessionId);
    this.seats.broadcast(type, payload as object, skip);
  }

  protected sendError(client: Client, type: string, err: AppError): void {
    this.sendTo(client, RoomEvent.error, { code: err.code, message: err.message, type } as EventPayload<
      E,
      typeof RoomEvent.error
    >);
  }

  /** Throw the typed error from rules and services; the handler wrapper answers it. */
  protected fail(code: ErrorCode, message?: string): never {
    throw new AppError(code, message);
  }

  /**
   * The organization this room's seats belong to (trivia: the session's org), or null. A
   * member removed from it loses their seats here.
   */
  protected orgScope(): string | null {
    return null;
  }

  /**
   * Called across processes (remoteRoomCall) before a reconnect is allowed: is the held seat
   * of `reconnectionToken` this user's? If so it takes the new token's expiry.
   */
  authorizeReconnection(reconnectionToken: string, userId: string, expiresAt: number | null): ReconnectionCheck {
    return this.access.authorizeReconnection(reconnectionToken, userId, expiresAt);
  }

  /** True once the server has begun shutting down this room. */
  protected shuttingDown = false;

  /**
   * Graceful shutdown, the same for every room: let the room store what it must
   * (`beforeShutdown`), then close every client with CLOSE_SERVER_SHUTDOWN.
   */
  override onBeforeShutdown(): void {
    this.shuttingDown = true;
    void Promise.resolve()
      .then(() => this.beforeShutdown())
      .catch((err) =>
        logger.error({ err, room: this.roomName, roomId: this.roomId }, "storing a room's state on shutdown failed"),
      )
      .finally(() => this.disconnect(CLOSE_SERVER_SHUTDOWN).catch(() => undefined));
  }

  /** What a room stores before the shutdown closes it (a game in progress, a session's scores). */
  protected beforeShutdown(): void | Promise<void> {}

  /** The default on a drop: keep the seat for `reconnectSeconds`. Rooms may override. */
  onDrop(client: RallyClient, _code?: number): void | Promise<void> {
    this.allowReconnection(client, this.reconnectSeconds).catch(() => undefined);
  }

  private newLimiter(): ClientLimiter {
    return new ClientLimiter(this.rateLimits, this.ctx.config.FLOOD_DISCONNECT_SECONDS);
  }

  private admit(client: RallyClient, bucket: string, type: string, mctx?: MessageContext): boolean {
    let limiter = this.limiters.get(client.sessionId);
    if (!limiter) {
      limiter = this.newLimiter();
      this.limiters.set(client.sessionId, limiter);
    }
    const verdict = limiter.check(bucket, Date.now());
    if (verdict.allowed) return true;
    metrics.errors.inc({ code: "RATE_LIMITED", edge: "room" });
    const who = { room: this.roomName, roomId: this.roomId, userId: client.auth?.id };
    securityEvent(verdict.disconnect ? "flood_disconnect" : "rate_limited", `room_${bucket}`, who);
    if (verdict.disconnect) {
      client.leave(CLOSE_FLOODING, "rate limit exceeded for too long");
      return false;
    }
    const err = new AppError("RATE_LIMITED", "Too many messages: slow down");
    if (mctx) mctx.reject({ code: err.code, message: err.message });
    else if (verdict.report) this.sendError(client, type, err);
    return false;
  }

  private report(e: unknown, type: string): AppError {
    const err = toAppError(e);
    metrics.errors.inc({ code: err.code, edge: "room" });
    if (err.code === "INTERNAL") logger.error({ err: e, room: this.roomName, type }, "room handler failed");
    return err;
  }

  /** Seat bookkeeping around the room's own lifecycle methods (see the class comment). */
  private wrapLifecycle(): void {
    const room = this as unknown as {
      onCreate?: (o: unknown) => unknown;
      onDispose?: () => unknown;
      onJoin?: (c: RallyClient, o?: unknown, a?: unknown) => unknown;
      onDrop?: (c: RallyClient, code?: number) => unknown;
      onReconnect?: (c: RallyClient) => unknown;
      onLeave?: (c: RallyClient, code?: number) => unknown;
    };
    const { onCreate, onDispose, onJoin, onDrop, onReconnect, onLeave } = room;
    room.onCreate = async (options) => {
      metrics.rooms.inc({ room: this.roomName });
      await onCreate?.call(this, options);
      this.disposeIfNobodyJoins();
    };
    room.onDispose = () => {
      metrics.rooms.dec({ room: this.roomName });
      this.access.dispose();
      void releaseQuietly(this.ctx.rooms, this.roomId);
      return onDispose?.call(this);
    };
    room.onJoin = async (client, options, auth) => {
      const userId = authOf(client).id;
      this.seats.join(client, userId);
      this.limiters.set(
        client.sessionId,
        RallyRoom.userLimiters.acquire(this.roomName, userId, () => this.newLimiter()),
      );
      metrics.connectedClients.inc({ room: this.roomName });
      const refuse = (e: unknown) => {
        // A refused join never held a seat: the drop/leave hooks below skip it.
        this.seats.leave(client.sessionId);
        this.access.ended(client);
        this.releaseConnection(client);
        metrics.connectedClients.dec({ room: this.roomName });
        const refusal = e instanceof ServerError ? String(e.code) : toAppError(e).code;
        securityEvent("join_refused", refusal, { room: this.roomName, userId: client.auth?.id });
        return toServerError(e);
      };
      try {
        // The room's own checks first: they decide synchronously (capacity, one seat), so a
        // refused client never lingers in `clients` while the connection count is asked.
        await onJoin?.call(this, client, options, auth);
      } catch (e) {
        throw refuse(e);
      }
      try {
        await this.takeConnection(client);
      } catch (e) {
        // Past the user's connection limit: undo the room's join as a leave, then refuse.
        await Promise.resolve(onLeave?.call(this, client, CloseCode.WITH_ERROR)).catch(() => undefined);
        throw refuse(e);
      }
      this.everJoined = true;
      this.access.granted(client);
    };
    room.onDrop = async (client, code) => {
      if (!this.seats.has(client.sessionId)) return;
      this.seats.drop(client.sessionId);
      metrics.connectedClients.dec({ room: this.roomName });
      await onDrop?.call(this, client, code);
    };
    room.onReconnect = async (client) => {
      this.seats.reconnect(client, authOf(client).id);
      this.access.reconnected(client);
      metrics.connectedClients.inc({ room: this.roomName });
      await onReconnect?.call(this, client);
    };
    room.onLeave = async (client, code) => {
      if (!this.seats.has(client.sessionId)) return;
      if (this.seats.isConnected(client.sessionId)) metrics.connectedClients.dec({ room: this.roomName });
      this.seats.markLeaving(client.sessionId);
      try {
        await onLeave?.call(this, client, code);
      } finally {
        this.seats.leave(client.sessionId);
        this.access.ended(client);
        this.releaseConnection(client);
      }
    };
  }

  /** Rooms nobody asked for (created, never joined) do not stay listed: see emptyRoomSeconds. */
  private disposeIfNobodyJoins(): void {
    if (this.emptyRoomSeconds <= 0) return;
    this.clock.setTimeout(() => {
      if (this.everJoined || this.clients.length > 0) return;
      logger.info({ room: this.roomName, roomId: this.roomId }, "disposing a room nobody joined");
      this.disconnect().catch(() => undefined);
    }, this.emptyRoomSeconds * 1000);
  }

  /** Count the connection against its user's per-kind limit (refused with 429 TOO_MANY_CONNECTIONS). */
  private async takeConnection(client: RallyClient): Promise<void> {
    const limit = (this.constructor as typeof RallyRoom).connectionsPerUser();
    const userId = authOf(client).id;
    if (await this.ctx.rooms.connections.take(this.roomName, userId, client.sessionId, limit)) return;
    metrics.errors.inc({ code: "TOO_MANY_CONNECTIONS", edge: "room" });
    logger.warn({ room: this.roomName, userId, limit }, "join refused: too many connections");
    throw toServerError(
      new AppError(
        "TOO_MANY_CONNECTIONS",
        `TOO_MANY_CONNECTIONS: at most ${limit} connections to ${this.roomName} rooms per user`,
      ),
    );
  }

  /** The seat is gone: its connection no longer counts, and its budget goes with the user's last seat here. */
  private releaseConnection(client: RallyClient): void {
    const userId = authOf(client).id;
    if (this.limiters.delete(client.sessionId)) RallyRoom.userLimiters.release(this.roomName, userId);
    this.ctx.rooms.connections
      .release(this.roomName, userId, client.sessionId)
      .catch((err) => logger.warn({ err, room: this.roomName, userId }, "releasing a connection count failed"));
  }
}
