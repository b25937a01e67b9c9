import { ServerError, type AuthContext, type Client, type Room } from "@colyseus/core";
import type { AuthUser } from "../auth/tokens";
import { appContext, type AppContext } from "../context";
import { AppError } from "../errors";
import { securityEvent } from "../security";
import { SessionEvent, userSessionsTopic } from "../systems/identity/protocol";
import { toServerError } from "./joinErrors";
import type { ReconnectionCheck } from "./roomDirectory";
import type { Seats } from "./seats";

/** Close code for a seat whose access token expired without an in-band `auth:refresh`. */
export const CLOSE_TOKEN_EXPIRED = 4401;
/**
 * Close code for a seat whose access ended, whatever ended it: signed out everywhere, removed
 * from the room's organization or space, kicked by a trivia host, unmatched or blocked.
 */
export const CLOSE_ACCESS_ENDED = 4403;

/** The user behind a seat: every seat passed onAuth, so its AuthUser is always there. */
export const authOf = (client: Client): AuthUser => client.auth as AuthUser;

/**
 * Verify a join: the SDK's `client.auth.token`, or a `token` join option. Refuses with 401
 * naming the reason, before the client gets a seat.
 */
export async function authenticateJoin(token: unknown, options: unknown): Promise<AuthUser> {
  const fromOptions = options && typeof options === "object" ? (options as { token?: unknown }).token : undefined;
  try {
    return await appContext().tokens.authenticate(token || fromOptions);
  } catch (e) {
    const err = toServerError(e);
    securityEvent("join_refused", err.message); // "missing token", "invalid token", "token expired"
    throw err;
  }
}

interface Timer {
  clear(): void;
}

/** What seat access needs from its room. */
export interface SeatAccessHost {
  readonly room: Room;
  readonly ctx: Pick<AppContext, "tokens" | "delivery">;
  readonly seats: Seats<unknown>;
  /** The organization the room's seats belong to, or null (see RallyRoom.orgScope). */
  orgScope(): string | null;
}

/** Colyseus' own records of held seats (no public API reads them). */
interface ReconnectionInternals {
  _reconnections: Record<string, [string, unknown] | undefined>;
  _reservedSeats: Record<string, [unknown, AuthUser | undefined] | undefined>;
  _onJoin: (
    client: Client,
    auth: AuthContext | undefined,
    options?: { reconnectionToken?: string | null },
  ) => Promise<unknown>;
}

/**
 * How long a seat's access lasts, for every rally room: the token's expiry (a timer closes the
 * seat with 4401, `auth:refresh` moves it), and revocations (signed out everywhere, removed
 * from the room's organization) that close the user's seats with 4403 wherever they are,
 * heard on the user's sessions topic while they hold a seat here.
 */
export class SeatAccess {
  /** Per seat: the timer that closes it with 4401 when its token expires. */
  private readonly expiryTimers = new Map<string, Timer>();
  /** Per user seated here: the unsubscribe of their sessions topic. */
  private readonly revocations = new Map<string, Promise<() => void>>();

  constructor(private readonly host: SeatAccessHost) {
    this.guardReconnectingSockets();
  }

  /** A seat was granted: its expiry is armed and its user's revocations are heard. */
  granted(client: Client): void {
    this.armExpiry(client);
    const userId = authOf(client).id;
    if (!this.revocations.has(userId)) {
      this.revocations.set(
        userId,
        this.host.ctx.delivery.onTopic(userSessionsTopic(userId), (event) => {
          if (event.type === SessionEvent.signedOut) this.closeSeatsOf(userId, "signed out");
          else if (event.type === SessionEvent.orgMembershipEnded && event.payload.orgId === this.host.orgScope()) {
            this.closeSeatsOf(userId, "removed from the organization");
          }
        }),
      );
    }
  }

  /**
   * A seat is gone (left, or refused before it was granted): its timer stops, and the user's
   * revocations are no longer heard once the room's seat registry holds none of theirs.
   */
  ended(client: Client): void {
    this.expiryTimers.get(client.sessionId)?.clear();
    this.expiryTimers.delete(client.sessionId);
    const userId = authOf(client).id;
    if (!this.host.seats.hasUser(userId)) this.unwatch(userId);
  }

  /** The room is disposed: nothing more is heard. */
  dispose(): void {
    for (const userId of [...this.revocations.keys()]) this.unwatch(userId);
  }

  /**
   * `auth:refresh {token}`: a new access token for the same user moves the seat's expiry.
   * The seat's identity (and org) stays what it joined with.
   */
  async refresh(client: Client, token: string): Promise<{ expiresAt: number | null }> {
    const seat = authOf(client);
    const next = await this.host.ctx.tokens.authenticate(token);
    if (next.id !== seat.id) throw new AppError("UNAUTHORIZED", "token is for another user");
    seat.expiresAt = next.expiresAt;
    this.armExpiry(client);
    return { expiresAt: seat.expiresAt ?? null };
  }

  /** A reconnected seat: the reconnect guard gave it its new token's expiry. */
  reconnected(client: Client): void {
    this.armExpiry(client);
  }

  /**
   * Before a reconnect is allowed (also called across processes): is the held seat of
   * `reconnectionToken` this user's? If so it takes the new token's expiry.
   */
  authorizeReconnection(reconnectionToken: string, userId: string, expiresAt: number | null): ReconnectionCheck {
    const held = this.host.room as unknown as ReconnectionInternals;
    const sessionId = held._reconnections[reconnectionToken]?.[0];
    const auth = sessionId
      ? held._reservedSeats[sessionId]?.[1]
      : (this.host.room.clients.find((c) => c.reconnectionToken === reconnectionToken)?.auth as AuthUser | undefined);
    if (!auth) return "unknown";
    if (auth.id !== userId) return "other user";
    auth.expiresAt = expiresAt ?? undefined;
    return "ok";
  }

  /** (Re)start the timer that closes the seat with 4401 when its token expires. */
  private armExpiry(client: Client): void {
    this.expiryTimers.get(client.sessionId)?.clear();
    const expiresAt = authOf(client).expiresAt;
    if (expiresAt === undefined) return;
    // setTimeout's delay is a 32-bit int: a far expiry is re-armed when the first timer fires.
    const delay = Math.min(Math.max(expiresAt - Date.now(), 0), 2 ** 31 - 1);
    const timer = this.host.room.clock.setTimeout(() => {
      this.expiryTimers.delete(client.sessionId);
      if ((authOf(client).expiresAt ?? Infinity) > Date.now()) return this.armExpiry(client);
      // A held seat is not closed here: its reconnect needs a fresh token anyway.
      if (this.host.seats.isConnected(client.sessionId)) client.leave(CLOSE_TOKEN_EXPIRED, "token expired");
    }, delay);
    this.expiryTimers.set(client.sessionId, timer);
  }

  /**
   * A socket that reconnects to a held seat (the SDK's automatic reconnection goes straight
   * to the WebSocket with the reconnection token, never through the matchmaker) must carry a
   * valid access token of the seat's user: Colyseus asks for none. The seat then takes the
   * new token's expiry.
   */
  private guardReconnectingSockets(): void {
    const room = this.host.room as unknown as ReconnectionInternals;
    const onJoin = room._onJoin.bind(room);
    room._onJoin = async (client, authContext, options) => {
      const reconnectionToken = options?.reconnectionToken;
      if (reconnectionToken) {
        const user = await authenticateJoin(authContext?.token, undefined);
        if (this.authorizeReconnection(reconnectionToken, user.id, user.expiresAt ?? null) === "other user") {
          throw new ServerError(401, "token is for another user");
        }
      }
      return onJoin(client, authContext, options);
    };
  }

  private unwatch(userId: string): void {
    const unsubscribe = this.revocations.get(userId);
    if (!unsubscribe) return;
    this.revocations.delete(userId);
    void unsubscribe.then((stop) => stop()).catch(() => undefined);
  }

  private closeSeatsOf(userId: string, reason: string): void {
    for (const seat of [...this.host.seats.ofUser(userId)]) {
      if (seat.connected) seat.client.leave(CLOSE_ACCESS_ENDED, reason);
    }
  }
}
