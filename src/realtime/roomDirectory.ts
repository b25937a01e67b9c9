import {
  ErrorCode,
  matchMaker,
  ServerError,
  type AuthContext,
  type IRoomCache,
  type Presence,
  type Room,
} from "@colyseus/core";
import type { ISeatReservation } from "@colyseus/shared-types";
import { AppError, isAppError, toAppError } from "../errors";
import { logger } from "../logger";
import type { AuthUser } from "../auth/tokens";
import { ConnectionLimits } from "./connectionLimits";
import type { ReconnectionCheck } from "./RallyRoom";
import { toServerError } from "./joinErrors";
import { presenceDel } from "./presenceDel";

/** Verifies a reconnect's access token (the TokenService's `authenticate`). */
export type ReconnectAuthenticator = (token: unknown) => AuthUser | Promise<AuthUser>;

/** Join options as the matchmaker passes them around (the room's static `route` returns them). */
export type JoinOptions = Record<string, unknown>;

/**
 * What the directory needs from a room class: its static hooks (RallyRoom declares both).
 * - `onAuth` authenticates; `route` returns the options to act on (validated, with the fields
 *   the key is made of normalised);
 * - `roomKey` names the one live room these routed options belong to, or null for "any room".
 */
export interface RoutedRoomClass {
  onAuth(token: string, options: unknown, context: AuthContext): Promise<unknown>;
  roomKey(options: JoinOptions): string | null;
  /** Routes a join: the options to act on, from the authenticated user and the client's options. */
  route?(user: unknown, options: JoinOptions): Promise<object>;
  /** Refusal when the room for a key holds as many clients as it admits. */
  fullMessage?: string;
  /** Open rooms of this kind one user may have created at once (0: no limit). */
  createdPerUser?(): number;
  /**
   * Pairing (dice quick match): the pool these options ask to be paired in, or null for no
   * pairing. Rooms of a pool hold two players: see `pair`.
   */
  pairingPool?(options: JoinOptions): string | null;
}

/** Who asked for a room: counted against DICE_ROOMS_PER_USER-style limits (0 = unlimited). */
export interface Creator {
  userId: string;
  /** Open rooms of this kind the creator may hold at once; 0 or undefined means no limit. */
  limit?: number;
}

type ClientMethod = "create" | "join" | "joinOrCreate";

/** How long a key lock is held at most (a process that died holding it frees it after this). */
const LOCK_TTL_SECONDS = 10;
/** How long a caller waits for a lock before answering 503. */
const LOCK_WAIT_MS = 8_000;
/** Seat reservations that fail because the keyed room is disposing or busy are retried this often. */
const SEAT_ATTEMPTS = 5;

const KEYS_HASH = (roomName: string) => `rally:room-keys:${roomName}`;
const INFO_HASH = "rally:room-info";
/** Pairing pools (quick match): `${roomName}:${pool}` → the room where one player waits. */
const PAIRING_HASH = "rally:pairing";
const CREATED_HASH = (roomName: string, userId: string) => `rally:rooms-created:${roomName}:${userId}`;
const LOCK = (name: string) => `rally:lock:${name}`;
const localKey = (roomName: string, key: string) => `${roomName}\u0000${key}`;

/** What the directory remembers about a room it created, to release it on dispose. */
interface RoomInfo {
  roomName: string;
  key: string | null;
  creatorId: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
const isSeatReservationError = (e: unknown) => e instanceof Error && e.constructor?.name === "SeatReservationError";

/**
 * The one place that finds or creates rooms (docs/PROTOCOL.md §1 "One room per key").
 *
 * Every room kind names, through its static `roomKey(options)`, the key its one live room is
 * for (a space per spaceId, a conversation per conversationId, a trivia room per session, a
 * lobby per user, an open dice room per name). Each key is claimed in presence (Redis across
 * processes) by the room created for it, under a presence lock, and released when that room
 * is disposed, so whatever a client calls — `create`, `joinOrCreate`, `join` — and on whichever
 * process, there is never a second live room for a key:
 * - `joinOrCreate` / `join` seat the client in the claimed room (`join` finds nothing → 521);
 * - `create` for a claimed key is refused with 409 `ROOM_EXISTS`;
 * - a room holding as many clients as it admits refuses with 409 rather than opening another.
 * `joinById` and `reconnect` go to the named room; each room's onJoin checks the seat is for it.
 *
 * API for services (e.g. quick match):
 * - `create(roomName, options, creator?)`: a new room, refused with ROOM_EXISTS if its key is taken;
 * - `findOrCreate(roomName, options)`: the live room for the options' key, or a new one;
 * - `findOpenOrCreate(roomName, match, options)`: the first listed open room that `match`
 *   accepts, or a new one, atomically (under a lock per room kind);
 * - `withLock(name, fn)`: run `fn` while holding a cross-process lock;
 * - `claim(roomName, key, roomId)` / `release(roomName, key, roomId)`: the key table itself;
 * - `query(conditions)`: listings, from every process.
 */
export class RoomDirectory {
  /** Connections per user and room kind, across processes (RallyRoom takes one per seat). */
  readonly connections: ConnectionLimits;
  private authenticateReconnect?: ReconnectAuthenticator;
  /** Keyed rooms created on this process: `localKey(roomName, key)` → roomId, until disposed. */
  private readonly localRooms = new Map<string, string>();

  constructor(private readonly presence: Presence) {
    this.connections = new ConnectionLimits(
      presence,
      () => this.processId,
      () => this.aliveProcesses(),
    );
  }

  /**
   * Route every client matchmaking call (`POST /matchmake/:method/:roomName`) through here.
   * `authenticate` verifies the access token a reconnect must carry (see `authorizeReconnect`).
   */
  install(authenticate: ReconnectAuthenticator): void {
    this.authenticateReconnect = authenticate;
    const controller = matchMaker.controller;
    controller.invokeMethod = async (
      method: string,
      roomName: string,
      clientOptions: unknown = {},
      authContext?: AuthContext,
    ) => {
      if (!controller.exposedMethods.includes(method)) {
        throw new ServerError(ErrorCode.MATCHMAKE_NO_HANDLER, `invalid method "${method}"`);
      }
      try {
        return await this.matchmake(method, roomName, clientOptions, authContext);
      } catch (e) {
        throw asServerError(e);
      }
    };
  }

  /** A client's `create` / `join` / `joinOrCreate` / `joinById` / `reconnect`. */
  async matchmake(
    method: string,
    roomName: string,
    clientOptions: unknown,
    authContext?: AuthContext,
  ): Promise<ISeatReservation> {
    if (method === "reconnect") {
      await this.authorizeReconnect(roomName, clientOptions, authContext);
      return matchMaker.reconnect(roomName, clientOptions);
    }
    if (method === "joinById") return this.joinById(roomName, clientOptions, authContext);
    const klass = this.roomClass(roomName);
    const auth = await this.authenticate(klass, joinOptions(clientOptions), authContext);
    const options = await this.route(klass, auth, clientOptions as JoinOptions);
    return this.seat(method as ClientMethod, roomName, klass, options, auth);
  }

  /** `joinById` (the method's "room name" is the room id): routed like any join, then seated in that room. */
  private async joinById(roomId: string, clientOptions: unknown, authContext?: AuthContext): Promise<ISeatReservation> {
    const room = await matchMaker.getRoomById(roomId);
    if (!room) throw new ServerError(ErrorCode.MATCHMAKE_INVALID_ROOM_ID, `room "${roomId}" not found`);
    if (room.locked) throw new ServerError(ErrorCode.MATCHMAKE_INVALID_ROOM_ID, `room "${roomId}" is locked`);
    const klass = this.roomClass(room.name);
    const auth = await this.authenticate(klass, joinOptions(clientOptions), authContext);
    const options = await this.route(klass, auth, clientOptions as JoinOptions);
    return matchMaker.reserveSeatFor(room, options, auth);
  }

  /**
   * Colyseus' `reconnect` needs only the reconnection token; rally also wants a valid access
   * token of the seat's own user, or a dropped client would outlive its token forever: 401 for
   * a missing or expired token, and the held seat, wherever its room lives, takes the new
   * token's expiry. A room no longer listed (disposed, or its process died and was swept) is
   * Colyseus' to refuse at once; asking it would wait out the cross-process call's timeout.
   */
  private async authorizeReconnect(roomId: string, clientOptions: unknown, authContext?: AuthContext): Promise<void> {
    const options = (clientOptions ?? {}) as JoinOptions;
    const user = await this.authenticateReconnect!(authContext?.token || options.token);
    const reconnectionToken = options.reconnectionToken;
    if (typeof reconnectionToken !== "string" || !(await matchMaker.getRoomById(roomId))) return;
    let check: ReconnectionCheck;
    try {
      check = (await matchMaker.remoteRoomCall(roomId, "authorizeReconnection" as never, [
        reconnectionToken,
        user.id,
        user.expiresAt ?? null,
      ])) as ReconnectionCheck;
    } catch {
      return; // gone meanwhile, or not a rally room: Colyseus answers as it always does
    }
    if (check === "other user") throw new ServerError(401, "token is for another user");
  }

  /**
   * A new room for `options` (server side, e.g. an invitation's private game). Refused with
   * ROOM_EXISTS when its key already has a live room, and with TOO_MANY_ROOMS when `creator`
   * already holds `creator.limit` open rooms of this kind.
   */
  async create(roomName: string, options: JoinOptions, creator?: Creator): Promise<IRoomCache> {
    const key = this.roomClass(roomName).roomKey(options);
    return this.createFor(roomName, key, options, creator);
  }

  /** The live room for the options' key, or a new one (never a second one). */
  async findOrCreate(roomName: string, options: JoinOptions, creator?: Creator): Promise<IRoomCache> {
    const key = this.roomClass(roomName).roomKey(options);
    if (key === null) throw new Error(`${roomName}: findOrCreate needs a keyed room`);
    return this.withLock(`key:${roomName}:${key}`, async () => {
      return (await this.liveRoom(roomName, key)) ?? (await this.createClaimed(roomName, key, options, creator));
    });
  }

  /**
   * The first listed, unlocked, public room of `roomName` that `match` accepts (in listing
   * order), or a new one made with `createOptions`. One caller at a time per room kind, across
   * processes, so two callers racing for "an open room" never both create one.
   */
  async findOpenOrCreate(
    roomName: string,
    match: (room: IRoomCache) => boolean,
    createOptions: JoinOptions,
    creator?: Creator,
  ): Promise<IRoomCache> {
    return this.withLock(`open:${roomName}`, async () => {
      const open = await matchMaker.query({ name: roomName, locked: false, private: false });
      return open.find(match) ?? (await this.create(roomName, createOptions, creator));
    });
  }

  /** Live rooms matching `conditions`, from every process. */
  query(conditions: Partial<IRoomCache> & Record<string, unknown>): Promise<IRoomCache[]> {
    return matchMaker.query(conditions);
  }

  /**
   * The live room for `key` when this process created it and still holds it, else undefined:
   * for checks a live room can answer from memory, such as a space's members. No presence
   * call: the directory remembers the keyed rooms it created here.
   */
  localRoom(roomName: string, key: string): Room | undefined {
    const roomId = this.localRooms.get(localKey(roomName, key));
    return roomId === undefined ? undefined : matchMaker.getLocalRoomById(roomId);
  }

  /** This process's id, as the matchmaker knows it. */
  get processId(): string {
    return matchMaker.processId;
  }

  /** Health-check the other processes (removing dead ones' rooms) and return the live ids. */
  async aliveProcesses(): Promise<Set<string>> {
    await matchMaker.healthCheckAllProcesses();
    const alive = new Set((await this.presence.channels("p:*")).map((c) => c.substring(2)));
    alive.add(matchMaker.processId);
    return alive;
  }

  /**
   * Claim `key` for `roomId`: true when it was free (or already this room's). Call under
   * `withLock(\`key:${roomName}:${key}\`)`; the directory does for the rooms it creates.
   */
  async claim(roomName: string, key: string, roomId: string): Promise<boolean> {
    const holder = await this.presence.hget(KEYS_HASH(roomName), key);
    if (holder && holder !== roomId && (await matchMaker.getRoomById(holder))) return false;
    await this.presence.hset(KEYS_HASH(roomName), key, roomId);
    return true;
  }

  /** Give `key` up, if `roomId` still holds it. */
  async release(roomName: string, key: string, roomId: string): Promise<void> {
    await this.withLock(`key:${roomName}:${key}`, async () => {
      if ((await this.presence.hget(KEYS_HASH(roomName), key)) === roomId)
        await this.presence.hdel(KEYS_HASH(roomName), key);
    });
  }

  /** A room is gone: free its key and its creator's count. Called by RallyRoom on dispose. */
  async disposed(roomId: string): Promise<void> {
    const raw = await this.presence.hget(INFO_HASH, roomId);
    if (!raw) return;
    await this.presence.hdel(INFO_HASH, roomId);
    const info = JSON.parse(raw) as RoomInfo;
    if (info.key !== null && this.localRooms.get(localKey(info.roomName, info.key)) === roomId)
      this.localRooms.delete(localKey(info.roomName, info.key));
    if (info.creatorId) await this.presence.hdel(CREATED_HASH(info.roomName, info.creatorId), roomId);
    if (info.key !== null) await this.release(info.roomName, info.key, roomId);
  }

  /**
   * Run `fn` holding the presence lock `name` (Redis across processes). A lock whose holder
   * died expires after LOCK_TTL_SECONDS; a caller that cannot get it within LOCK_WAIT_MS gets 503.
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = LOCK(name);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      // Only a caller that saw it free increments it, so waiters never keep a dead holder's lock alive.
      if (!(await this.presence.exists(key)) && (await this.presence.hincrbyex(key, "n", 1, LOCK_TTL_SECONDS)) === 1)
        break;
      if (Date.now() > deadline) throw new AppError("UNAVAILABLE", "The room directory is busy: try again");
      await sleep(wait + Math.random() * wait);
    }
    try {
      return await fn();
    } finally {
      await presenceDel(this.presence, key);
    }
  }

  // ---------------------------------------------------------------------------------------

  private roomClass(roomName: string): RoutedRoomClass {
    matchMaker.getHandler(roomName); // 520 for an unknown room name
    return matchMaker.getRoomClass(roomName) as unknown as RoutedRoomClass;
  }

  /** The room's static onAuth (it also routes the options); what it returns is the client's auth. */
  private async authenticate(
    klass: RoutedRoomClass,
    options: JoinOptions,
    authContext?: AuthContext,
  ): Promise<unknown> {
    if (!authContext) return undefined;
    const result = await klass.onAuth(authContext.token as string, options, authContext);
    if (result === false || result === null || result === undefined)
      throw new ServerError(ErrorCode.AUTH_FAILED, "onAuth failed");
    return result === true ? undefined : result;
  }

  /**
   * The room's static `route(user, options)`: the options the server will act on (validated,
   * normalised, the key fields resolved), returned rather than mutated in place. A refusal it
   * throws (an AppError) becomes the join's error here, the one place that converts them.
   */
  private async route(klass: RoutedRoomClass, auth: unknown, options: JoinOptions): Promise<JoinOptions> {
    if (!klass.route || auth === undefined) return options;
    try {
      return (await klass.route(auth, options)) as JoinOptions;
    } catch (e) {
      throw toServerError(e);
    }
  }

  private async seat(
    method: ClientMethod,
    roomName: string,
    klass: RoutedRoomClass,
    options: JoinOptions,
    auth: unknown,
  ): Promise<ISeatReservation> {
    const key = klass.roomKey(options);
    const creator = creatorOf(klass, auth);
    const pool = klass.pairingPool?.(options) ?? null;
    if (pool !== null) return this.pair(roomName, pool, options, auth, creator);
    for (let attempt = 1; ; attempt++) {
      const room =
        key === null
          ? await this.anyRoom(method, roomName, options, creator)
          : await this.keyedRoom(method, roomName, key, options, creator);
      try {
        return await matchMaker.reserveSeatFor(room, options, auth);
      } catch (e) {
        if (!isSeatReservationError(e)) throw e;
        // Full, or disposing: a disposing room is gone (and its key free) by the next attempt.
        const still = await matchMaker.getRoomById(room.roomId);
        if (still || attempt >= SEAT_ATTEMPTS) throw new ServerError(409, klass.fullMessage ?? "The room is full");
        await sleep(20 * attempt);
      }
    }
  }

  /**
   * Pairing (quick match), whatever method the client called: each pool has at most one
   * waiting room, remembered in presence. Under the pool's lock a caller either takes the
   * waiting room (and clears it, so nobody else will) or creates a room and becomes the one
   * waiting. The lock covers only that hand-off, so it stays short however many arrive; the
   * seat is reserved after it. Racing callers therefore pair up exactly, on one process or
   * many: never a room of three, never two players waiting apart. A waiting room that went
   * away meanwhile (its player left) is skipped and the caller tries again.
   */
  private async pair(
    roomName: string,
    pool: string,
    options: JoinOptions,
    auth: unknown,
    creator?: Creator,
  ): Promise<ISeatReservation> {
    const userId = (auth as { id?: unknown } | undefined)?.id;
    const field = `${roomName}:${pool}`;
    for (let attempt = 1; ; attempt++) {
      const room = await this.withLock(`pair:${field}`, async () => {
        const waiting = await this.presence.hget(PAIRING_HASH, field);
        if (waiting) {
          const { roomId, waiterId } = JSON.parse(waiting) as { roomId: string; waiterId: unknown };
          const live = await matchMaker.getRoomById(roomId);
          if (live && waiterId === userId) throw new AppError("CONFLICT", "You are already waiting for a match");
          await this.presence.hdel(PAIRING_HASH, field);
          if (live) return live;
        }
        const created = await this.createFor(roomName, null, options, creator);
        await this.presence.hset(
          PAIRING_HASH,
          field,
          JSON.stringify({ roomId: created.roomId, waiterId: userId ?? null }),
        );
        return created;
      });
      try {
        return await matchMaker.reserveSeatFor(room, options, auth);
      } catch (e) {
        if (!isSeatReservationError(e) || attempt >= SEAT_ATTEMPTS) throw e;
      }
    }
  }

  /** Keyless joins (a dice room without a name): any open room, as the matchmaker finds it. */
  private async anyRoom(
    method: ClientMethod,
    roomName: string,
    options: JoinOptions,
    creator?: Creator,
  ): Promise<IRoomCache> {
    if (method !== "create") {
      const room = await matchMaker.findOneRoomAvailable(roomName, options);
      if (room) return room;
      if (method === "join")
        throw new ServerError(ErrorCode.MATCHMAKE_INVALID_CRITERIA, "no rooms found with provided criteria");
    }
    return this.createFor(roomName, null, options, creator);
  }

  private async keyedRoom(
    method: ClientMethod,
    roomName: string,
    key: string,
    options: JoinOptions,
    creator?: Creator,
  ): Promise<IRoomCache> {
    // Joining a live room needs no lock: only a missing room is created under one.
    const known = await this.lookup(roomName, key);
    if (known && method === "create") throw roomExists(roomName);
    if (known) return known;
    return this.withLock(`key:${roomName}:${key}`, async () => {
      const live = await this.liveRoom(roomName, key);
      if (live && method === "create") throw roomExists(roomName);
      if (live) return live;
      if (method === "join")
        throw new ServerError(ErrorCode.MATCHMAKE_INVALID_CRITERIA, "no rooms found with provided criteria");
      return this.createClaimed(roomName, key, options, creator);
    });
  }

  private createFor(
    roomName: string,
    key: string | null,
    options: JoinOptions,
    creator?: Creator,
  ): Promise<IRoomCache> {
    if (key === null) return this.createClaimed(roomName, null, options, creator);
    return this.withLock(`key:${roomName}:${key}`, async () => {
      if (await this.liveRoom(roomName, key)) throw roomExists(roomName);
      return this.createClaimed(roomName, key, options, creator);
    });
  }

  /** The room holding `key`, if it is listed (read only: no lock needed). */
  private async lookup(roomName: string, key: string): Promise<IRoomCache | undefined> {
    const roomId = await this.presence.hget(KEYS_HASH(roomName), key);
    return roomId ? await matchMaker.getRoomById(roomId) : undefined;
  }

  /** The room holding `key`, if it is still listed (a claim left by a dead process is dropped). Under the key's lock. */
  private async liveRoom(roomName: string, key: string): Promise<IRoomCache | undefined> {
    const roomId = await this.presence.hget(KEYS_HASH(roomName), key);
    if (!roomId) return undefined;
    const room = await matchMaker.getRoomById(roomId);
    if (room) return room;
    await this.presence.hdel(KEYS_HASH(roomName), key);
    return undefined;
  }

  /** Create the room (the caller holds the key's lock), then claim its key and count it for its creator. */
  private async createClaimed(
    roomName: string,
    key: string | null,
    options: JoinOptions,
    creator?: Creator,
  ): Promise<IRoomCache> {
    const create = async () => {
      const room = await matchMaker.createRoom(roomName, options);
      const info: RoomInfo = { roomName, key, creatorId: creator?.limit ? creator.userId : null };
      await this.presence.hset(INFO_HASH, room.roomId, JSON.stringify(info));
      if (key !== null) await this.presence.hset(KEYS_HASH(roomName), key, room.roomId);
      if (key !== null && matchMaker.getLocalRoomById(room.roomId))
        this.localRooms.set(localKey(roomName, key), room.roomId);
      if (info.creatorId) await this.presence.hset(CREATED_HASH(roomName, info.creatorId), room.roomId, "1");
      return room;
    };
    if (!creator?.limit) return create();
    const limit = creator.limit;
    const refuse = () =>
      new AppError("TOO_MANY_ROOMS", `TOO_MANY_ROOMS: you already have ${limit} open ${roomName} rooms`);
    // A user at the limit is refused without the lock: a flood of creates costs two reads each.
    if ((await this.openRoomsCreatedBy(roomName, creator.userId, false)) >= limit) throw refuse();
    return this.withLock(`creator:${roomName}:${creator.userId}`, async () => {
      if ((await this.openRoomsCreatedBy(roomName, creator.userId, true)) >= limit) throw refuse();
      return create();
    });
  }

  /** Rooms of `roomName` that `userId` created and that are still listed (`prune`: drop the others). */
  private async openRoomsCreatedBy(roomName: string, userId: string, prune: boolean): Promise<number> {
    const hash = CREATED_HASH(roomName, userId);
    const ids = Object.keys((await this.presence.hgetall(hash)) ?? {});
    if (ids.length === 0) return 0;
    const live = await matchMaker.findRoomsByIds(ids);
    if (prune) for (const id of ids) if (!live.has(id)) await this.presence.hdel(hash, id);
    return live.size;
  }
}

/** The signed-in client as a creator, with the room kind's per-user limit. */
function creatorOf(klass: RoutedRoomClass, auth: unknown): Creator | undefined {
  const userId = (auth as { id?: unknown } | undefined)?.id;
  if (typeof userId !== "string") return undefined;
  return { userId, limit: klass.createdPerUser?.() ?? 0 };
}

/** The matchmaker answers with ServerError (HTTP status + message); AppErrors keep their status. */
/** Join options must be an object (400 otherwise): routing reads fields from them. */
function joinOptions(clientOptions: unknown): JoinOptions {
  if (!clientOptions || typeof clientOptions !== "object" || Array.isArray(clientOptions)) {
    throw new ServerError(400, "join options must be an object");
  }
  return clientOptions as JoinOptions;
}

function asServerError(e: unknown): ServerError {
  if (e instanceof ServerError) return e;
  if (isAppError(e)) return new ServerError(e.status, e.message);
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "number") return new ServerError(code, (e as Error).message);
  const err = toAppError(e);
  if (err.code === "INTERNAL") logger.error({ err: e }, "matchmaking failed");
  return new ServerError(err.status, err.message);
}

function roomExists(roomName: string): AppError {
  return new AppError("ROOM_EXISTS", `ROOM_EXISTS: a ${roomName} room for this key is already open: join it`);
}

/** Log and swallow: releasing a key must never fail a dispose. */
export function releaseQuietly(directory: RoomDirectory, roomId: string): Promise<void> {
  return directory
    .disposed(roomId)
    .catch((err) => logger.warn({ err, roomId }, "room directory: releasing a room failed"));
}
