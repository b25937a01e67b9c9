import { Client, type Room } from "@colyseus/sdk";
import { callApi, RallyApiError, tokenLifetime } from "./http";
import { ConversationEvent, ConversationMessage } from "./protocol";
import type {
  ChatMessage,
  ConversationRecovery,
  ConversationSpec,
  DiceJoin,
  DiceSpec,
  LobbyRecovery,
  LobbySpec,
  Notification,
  Page,
  Position,
  RecoveryBase,
  RoomSpec,
  SpaceSpec,
  StateRecovery,
  TriviaSpec,
} from "./protocol";
import { RallyRoom, type RoomKind } from "./room";

export interface ConnectOptions {
  /** The current access token (from the app's store). Called before every join and REST call. */
  getToken: () => string | Promise<string>;
  /**
   * A new access token, e.g. by spending the refresh token (`POST /api/auth/refresh`; see
   * `sessionAuth`). Called before the current one expires; the client then hands it to every
   * joined room in-band (`auth:refresh`), so no seat is closed with 4401.
   */
  refresh: () => Promise<string>;
  /** When a refresh fails (it is retried every 5 s until `close`): e.g. the refresh token was revoked. */
  onRefreshError?: (error: unknown) => void;
  /** Refresh when this share of the token's lifetime has passed (default 0.7). */
  refreshAt?: number;
  /** An SDK client to use (e.g. the load tester's); by default one is made for `url`. */
  sdk?: Client;
}

export type LobbyRoom = RallyRoom<LobbySpec, LobbyRecovery>;
export type DiceRoom = RallyRoom<DiceSpec, StateRecovery<DiceSpec["state"]>>;
export type SpaceRoom = RallyRoom<SpaceSpec, StateRecovery<SpaceSpec["state"]>>;
export type TriviaRoom = RallyRoom<TriviaSpec, StateRecovery<TriviaSpec["state"]>>;
export type ConversationRoom = RallyRoom<ConversationSpec, ConversationRecovery>;

/** Connect to a rally server (`http(s)://` or `ws(s)://`). Nothing is opened until a join. */
export function connect(url: string, options: ConnectOptions): RallyClient {
  return new RallyClient(url, options);
}

export class RallyClient {
  /** The underlying `@colyseus/sdk` client. */
  readonly sdk: Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rooms of every kind
  private readonly rooms = new Set<RallyRoom<any, any>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<string> | null = null;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly options: ConnectOptions,
  ) {
    this.sdk = options.sdk ?? new Client(url.replace(/^ws(s?):\/\//, "http$1://"));
  }

  /** The user's own lobby: invitations, notifications, presence. */
  joinLobby(): Promise<LobbyRoom> {
    return this.join(() => this.sdk.joinOrCreate("user_lobby", {}), {
      recover: async (room, base) => {
        const page = await this.api<Page<Notification>>("GET", "/api/notifications?status=unread&limit=100");
        return { ...base, notifications: page.items, invitations: [...room.state.invitations.values()] };
      },
    });
  }

  /** A metaverse space, at `position` (the centre, facing down, when absent). */
  joinSpace(spaceId: string, position?: Position): Promise<SpaceRoom> {
    const options = position ? { spaceId, initialPosition: position } : { spaceId };
    return this.join(() => this.sdk.joinOrCreate("space", options), stateRecovery());
  }

  /** `bigger_dice`: quick match, a room by id (an invitation's `game_ready`), by name, or a new one. */
  joinDice(how: DiceJoin): Promise<DiceRoom> {
    const open = (): Promise<Room> => {
      if ("quick" in how) return this.sdk.joinOrCreate("bigger_dice", { quick: true });
      if ("roomId" in how) return this.sdk.joinById(how.roomId, how.spectate ? { spectate: true } : {});
      if ("create" in how) return this.sdk.create("bigger_dice", how.create);
      return this.sdk.join("bigger_dice", how.spectate ? { roomName: how.roomName, spectate: true } : how);
    };
    return this.join(open, stateRecovery());
  }

  /** A trivia session of the token's organization, optionally in a team. */
  joinTrivia(sessionId: string, options: { team?: string } = {}): Promise<TriviaRoom> {
    return this.join(() => this.sdk.joinOrCreate("trivia", { sessionId, ...options }), stateRecovery());
  }

  /**
   * A conversation. `lastMessageId`: the newest message the app already shows, so that a
   * recovery `sync`s from there (otherwise from the first `message` event of this seat).
   */
  joinConversation(conversationId: string, options: { lastMessageId?: number } = {}): Promise<ConversationRoom> {
    let lastMessageId = options.lastMessageId ?? 0;
    /** The newest message seen when the loss was noticed (events after it may be replays of the newest). */
    let from = lastMessageId;
    const seen = (m: ChatMessage) => (lastMessageId = Math.max(lastMessageId, m.id));
    const kind: RoomKind<ConversationSpec, ConversationRecovery> = {
      idempotent: [ConversationMessage.message],
      observe(type, payload) {
        if (type === ConversationEvent.message) seen((payload as { message: ChatMessage }).message);
      },
      mark() {
        from = lastMessageId;
      },
      async recover(room, base) {
        const messages: ChatMessage[] = [];
        if (from === 0) return { ...base, messages }; // nothing seen yet: nothing to catch up on
        for (let after = from; ;) {
          const reply = await room.request(ConversationMessage.sync, { afterMessageId: after });
          messages.push(...reply.messages);
          reply.messages.forEach(seen);
          if (!reply.hasMore || reply.messages.length === 0) return { ...base, messages };
          after = reply.messages[reply.messages.length - 1].id;
        }
      },
    };
    return this.join(() => this.sdk.joinOrCreate("conversation", { conversationId }), kind);
  }

  /** An authenticated REST call (docs/PROTOCOL.md §2); a 401 refreshes the token once and retries. */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await callApi<T>(this.url, method, path, { token: await this.options.getToken(), body });
    } catch (e) {
      if (!(e instanceof RallyApiError) || e.status !== 401) throw e;
      return callApi<T>(this.url, method, path, { token: await this.refreshNow(), body });
    }
  }

  /**
   * Get a new access token now and hand it to every joined room (`auth:refresh`). Runs by
   * itself before expiry; call it yourself e.g. when a page wakes up from sleep.
   */
  refreshNow(): Promise<string> {
    this.refreshing ??= (async () => {
      try {
        const token = await this.options.refresh();
        this.sdk.auth.token = token;
        await Promise.allSettled([...this.rooms].map((room) => room.renewToken(token)));
        this.schedule(token);
        return token;
      } catch (e) {
        this.options.onRefreshError?.(e);
        this.later(() => void this.refreshNow().catch(() => undefined), 5000);
        throw e;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Leave every room and stop refreshing. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.rooms].map((room) => room.leave()));
  }

  private async join<S extends RoomSpec, R extends RecoveryBase>(
    open: () => Promise<Room>,
    kind: RoomKind<S, R>,
  ): Promise<RallyRoom<S, R>> {
    if (this.closed) throw new Error("@rally/client: this client was closed");
    let token = await this.options.getToken();
    const life = tokenLifetime(token);
    if (life && life.expiresAt - Date.now() < 10_000) token = await this.refreshNow();
    this.sdk.auth.token = token;
    if (!this.refreshing) this.schedule(token);
    const raw = (await open()) as Room<unknown, S["state"]>;
    const room = new RallyRoom<S, R>(raw, kind, (gone) => this.rooms.delete(gone));
    this.rooms.add(room);
    return room;
  }

  /** Refresh once `refreshAt` of the token's life has passed (at least 1 s from now). */
  private schedule(token: string): void {
    const life = tokenLifetime(token);
    if (!life) return;
    const at = life.issuedAt + (life.expiresAt - life.issuedAt) * (this.options.refreshAt ?? 0.7);
    this.later(() => void this.refreshNow().catch(() => undefined), Math.max(1000, at - Date.now()));
  }

  private later(run: () => void, ms: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(run, ms);
    // In Node, a pending refresh alone does not keep the process alive (open rooms do).
    (this.timer as { unref?: () => void }).unref?.();
  }
}

/** Dice, space and trivia: the state is the whole truth, and the SDK resends it on reconnect. */
function stateRecovery<S extends RoomSpec>(): RoomKind<S, StateRecovery<S["state"]>> {
  return { recover: (room, base) => Promise.resolve({ ...base, state: room.state }) };
}
