import type { Room } from "@colyseus/sdk";
import { RoomEvent, RoomMessage } from "./protocol";
import type {
  EventHandler,
  EventNameOf,
  EventsOf,
  MessageNameOf,
  PayloadArgs,
  RecoveryBase,
  ReplyOf,
  RoomSpec,
} from "./protocol";

/** What differs between room kinds: how to recover, and which messages are idempotent. */
export interface RoomKind<S extends RoomSpec, R extends RecoveryBase> {
  /** Re-read what the missed events would have told (docs/PROTOCOL.md §1 "Nothing missed across a drop"). */
  recover(room: RallyRoom<S, R>, base: RecoveryBase): Promise<R>;
  /** Messages that carry a `clientMessageId`: one is generated when absent, and they are retried after a reconnect. */
  idempotent?: ReadonlyArray<MessageNameOf<S>>;
  /** Sees every event before the app does (e.g. to remember the newest message id). */
  observe?(type: string, payload: unknown): void;
  /** Called when a loss is detected, before the event that showed it is observed: where recovery starts. */
  mark?(): void;
}

type Listener = (payload: never) => void;

/** A failed request: the server's `{ code, message }` (see `RallyRoom.request`). */
export class RequestRejection extends Error {
  constructor(
    /** An ErrorCode, or the framework's (`no_handler`), or UNAVAILABLE when the room was left. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RequestRejection";
  }
}

/**
 * One joined room, typed by its tables: `send`/`request` take exactly its messages, `on` its
 * events. Every event carries the seat's `seq`; a gap or `events_lost` starts a recovery whose
 * result reaches `onRecovered`. The SDK room stays reachable as `raw` (drop/reconnect/leave hooks).
 */
export class RallyRoom<S extends RoomSpec, R extends RecoveryBase = RecoveryBase> {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly recoveredListeners = new Set<(recovery: R) => void>();
  private lastSeq = 0;
  private connection: "open" | "dropped" | "left" = "open";
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private recovery: Promise<void> = Promise.resolve();

  constructor(
    /** The SDK room: lifecycle hooks (`onDrop`, `onReconnect`, `onLeave`, `onError`), `connection`. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's own default
    readonly raw: Room<any, S["state"]>,
    private readonly kind: RoomKind<S, R>,
    private readonly onClosed: (room: RallyRoom<S, R>) => void,
  ) {
    raw.onMessage("*", (type, payload) => this.receive(String(type), payload));
    raw.onDrop(() => {
      this.connection = "dropped";
    });
    raw.onReconnect(() => {
      this.connection = "open";
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w.resolve();
    });
    raw.onLeave(() => {
      this.connection = "left";
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w.reject(new Error("the room was left"));
      this.onClosed(this);
    });
  }

  get state(): S["state"] {
    return this.raw.state;
  }
  get roomId(): string {
    return this.raw.roomId;
  }
  get sessionId(): string {
    return this.raw.sessionId;
  }
  /** The seq of the last event delivered (0 before the first). */
  get seq(): number {
    return this.lastSeq;
  }
  /** True while the SDK is reconnecting a dropped connection. */
  get dropped(): boolean {
    return this.connection === "dropped";
  }

  /** Listen to one event; returns the function that stops listening. */
  on<K extends EventNameOf<S>>(type: K, handler: EventHandler<EventsOf<S>[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called after `events_lost` or a seq gap, once what could be recovered is in hand. */
  onRecovered(handler: (recovery: R) => void): () => void {
    this.recoveredListeners.add(handler);
    return () => this.recoveredListeners.delete(handler);
  }

  /** Fire and forget; a failure comes back as an `error` event. Idempotent messages are retried after a reconnect. */
  send<K extends MessageNameOf<S>>(type: K, ...[payload]: PayloadArgs<S["messages"][K]>): void {
    if (this.isIdempotent(type)) {
      this.reliably(type, this.withClientMessageId(payload)).catch((e: unknown) => this.reportFailure(type, e));
      return;
    }
    this.raw.send(type, payload);
  }

  /**
   * Send and await the reply; rejects with the server's reason (`{ code, message }`). An
   * idempotent message (a conversation `message`) gets a `clientMessageId` and, when the
   * connection drops before the reply, is sent again once the SDK has reconnected: the server
   * stores it once and answers the stored message.
   */
  request<K extends MessageNameOf<S>>(type: K, ...[payload]: PayloadArgs<S["messages"][K]>): Promise<ReplyOf<S, K>> {
    if (this.isIdempotent(type)) return this.reliably(type, this.withClientMessageId(payload));
    return this.raw.request(type, payload).catch((e: unknown) => Promise.reject(rejection(e))) as Promise<
      ReplyOf<S, K>
    >;
  }

  /** Leave for good (consented: the seat is given up at once). */
  async leave(consented = true): Promise<void> {
    if (this.connection === "left") return;
    await this.raw.leave(consented).catch(() => undefined);
  }

  /** Hand the seat a fresh access token (the client does this before the old one expires). */
  async renewToken(token: string): Promise<void> {
    if (this.connection === "left") return;
    // The SDK's automatic reconnection reuses the URL it joined with, token included.
    const url = this.raw.connection?.url;
    if (url) {
      const u = new URL(url);
      if (u.searchParams.has("_authToken")) {
        u.searchParams.set("_authToken", token);
        this.raw.connection.url = u.toString();
      }
    }
    if (this.connection === "dropped") await this.reconnected();
    await this.raw.request(RoomMessage.authRefresh, { token });
  }

  private receive(type: string, payload: unknown): void {
    const seq = (payload as { seq?: unknown } | null)?.seq;
    let missed = 0;
    if (typeof seq === "number") {
      if (seq <= this.lastSeq) return; // already delivered (a replay overlapping what arrived)
      missed = seq - this.lastSeq - 1;
      this.lastSeq = seq;
    }
    const lost = type === RoomEvent.eventsLost;
    if (lost || missed > 0) this.kind.mark?.();
    this.kind.observe?.(type, payload);
    this.emit(type, payload);
    if (lost) {
      this.startRecovery({ reason: "events_lost", missed: (payload as { count?: number }).count ?? missed });
    } else if (missed > 0) {
      this.startRecovery({ reason: "gap", missed });
    }
  }

  private emit(type: string, payload: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) {
      try {
        (listener as (p: unknown) => void)(payload);
      } catch (e) {
        console.error(`@rally/client: a "${type}" listener threw`, e);
      }
    }
  }

  /** Recoveries run one after another, after the events that triggered them were delivered. */
  private startRecovery(base: RecoveryBase): void {
    this.recovery = this.recovery.then(async () => {
      try {
        const recovered = await this.kind.recover(this, base);
        for (const listener of this.recoveredListeners) listener(recovered);
      } catch (e) {
        console.warn("@rally/client: recovery failed", e);
      }
    });
  }

  private isIdempotent(type: string): boolean {
    return this.kind.idempotent?.includes(type as MessageNameOf<S>) ?? false;
  }

  private withClientMessageId<P>(payload: P): P {
    const p = (payload ?? {}) as { clientMessageId?: string };
    return (p.clientMessageId ? p : { ...p, clientMessageId: newClientMessageId() }) as P;
  }

  /** Request until answered: a drop before the reply waits for the SDK's reconnection and sends again. */
  private async reliably<T>(type: string, payload: unknown): Promise<T> {
    for (;;) {
      if (this.connection === "dropped") await this.reconnected();
      if (this.isLeft()) throw new RequestRejection("UNAVAILABLE", "the room was left");
      try {
        return await this.raw.request(type, payload);
      } catch (e) {
        if (isServerRejection(e) || this.isLeft()) throw rejection(e);
        // The connection went before the reply: the server may or may not have stored it;
        // the clientMessageId makes sending again safe.
        if (this.connection === "open") await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private isLeft(): boolean {
    return this.connection === "left";
  }

  private reconnected(): Promise<void> {
    if (this.connection === "open") return Promise.resolve();
    if (this.connection === "left") return Promise.reject(new Error("the room was left"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** A `send` that the client turned into a request reports its refusal like the server would. */
  private reportFailure(type: string, e: unknown): void {
    const { code, message } = rejection(e);
    this.emit(RoomEvent.error, { code, message, type, seq: this.lastSeq });
  }
}

function isServerRejection(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === "rejected";
}

/** The server's `{ code, message }` out of the SDK's rejection (or a local one). */
export function rejection(e: unknown): RequestRejection {
  if (e instanceof RequestRejection) return e;
  const reason = (e as { reason?: unknown } | null)?.reason;
  const source = reason && typeof reason === "object" ? reason : e;
  const { code, message } = (source ?? {}) as { code?: unknown; message?: unknown };
  return new RequestRejection(
    typeof code === "string" ? code : "UNAVAILABLE",
    typeof message === "string" ? message : String(e),
  );
}

/** A `clientMessageId`: unique per sender (docs/PROTOCOL.md §3 `conversation`), at most 64 characters. */
export function newClientMessageId(): string {
  return globalThis.crypto.randomUUID();
}
