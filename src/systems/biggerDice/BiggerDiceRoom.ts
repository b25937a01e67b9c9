import crypto from "node:crypto";
import { ServerError } from "@colyseus/core";
import { authOf, RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import { appContext } from "../../context";
import type { AuthUser } from "../../auth/tokens";
import { logger } from "../../logger";
import { describeZodError } from "../../protocol/common";
import type { Timer } from "../../realtime/clock";
import {
  DiceCreateOptions,
  DiceMessage,
  NoPayload,
  parseDiceJoinOptions,
  quickRoomName,
  type DiceEvents,
  type DiceJoinOptions,
  type DiceRoomMetadata,
} from "./protocol";
import * as rules from "./rules";
import { PLAYER_SEATS, type DiceTable, type Env, type GameEnd, type Step } from "./rules";
import { gameResultOf } from "./games";
import { metadataOf, project } from "./projection";
import { BiggerDiceState } from "./BiggerDiceState";

export { MAX_SPECTATORS } from "./rules";

/** On shutdown the process is about to exit: a few attempts only to store a game in progress. */
const STORE_ATTEMPTS_ON_SHUTDOWN = 3;

/** What the room keeps per seat: a seat plays or watches. */
interface DiceSeat {
  role: "player" | "spectator";
}

/**
 * `bigger_dice` (docs/PROTOCOL.md §3): two players, spectators up to MAX_SPECTATORS. The game
 * is rules.ts's `DiceTable`; each callback validates, runs a transition, and `apply`s it
 * (projection.ts mirrors it into the schema and formats its events). A game's end is stored
 * (GamesService.recordUntilStored) before it is settled and announced; until then nothing more
 * happens in the game. Private rooms (GamesService.createPrivateRoom) are unlisted and admit
 * only their two invited users.
 */
export class BiggerDiceRoom extends RallyRoom<
  { state: BiggerDiceState; metadata: DiceRoomMetadata },
  DiceEvents,
  DiceSeat
> {
  /**
   * How long a private invitation room waits for its two players before it may close when
   * empty. (Colyseus closes an empty room after 15 s, or at once after a refused join: too
   * soon for an invitation.) Tests shorten it.
   */
  static privateRoomWaitSeconds = 300;

  protected override reconnectSeconds = this.ctx.config.DICE_RECONNECT_SECONDS;

  private table!: DiceTable;
  /** Set while a game's end is being stored: leaving and returning wait for it. */
  private ending: Promise<void> | null = null;
  /** The server is closing the room (shutdown, cleanup): players leaving then do not forfeit. */
  private closing = false;
  /** Aborted on dispose: stops the turn's timer and the retries of a store. */
  private readonly disposal = new AbortController();
  /** Fires at the table's turn deadline (ctx.clock, so tests drive it). */
  private turnTimer: Timer | null = null;
  private quick = false;
  private publishedMetadata = "";

  /** One open room per name; an invitation's private room is keyed apart, so its name never takes an open one's. */
  static override roomKey(options: Record<string, unknown>): string | null {
    if (typeof options.roomName !== "string") return null;
    return options.allowedPlayerIds ? `private:${options.roomName}` : options.roomName;
  }

  static override createdPerUser(): number {
    return appContext().config.DICE_ROOMS_PER_USER;
  }

  /** Quick match (`{quick: true}`): paired two by two by the room directory (RoomDirectory.pair). */
  static pairingPool(options: Record<string, unknown>): string | null {
    return options.quick === true ? "quick" : null;
  }

  /** The client's options, checked; the room is found by the trimmed name. */
  static override async route(_user: AuthUser, options: Record<string, unknown>): Promise<Record<string, unknown>> {
    return parseDiceJoinOptions(options);
  }

  async onCreate(options: unknown): Promise<void> {
    const given = (options ?? {}) as { quick?: unknown; roomName?: unknown };
    const named =
      given.quick === true && given.roomName === undefined ? { ...given, roomName: quickRoomName(this.roomId) } : given;
    const parsed = DiceCreateOptions.safeParse(named);
    if (!parsed.success) throw new ServerError(400, describeZodError(parsed.error)); // Colyseus answers a create with it
    const { roomName, targetScore, allowedPlayerIds, invitationId, quick } = parsed.data;
    const turnSeconds = parsed.data.turnSeconds ?? this.ctx.config.DICE_TURN_SECONDS;

    if (allowedPlayerIds) {
      await this.setPrivate(true);
      this.autoDispose = false;
      this.emptyRoomSeconds = 0; // it waits privateRoomWaitSeconds for its players instead
      this.clock.setTimeout(() => this.stopWaitingForPlayers(), BiggerDiceRoom.privateRoomWaitSeconds * 1000);
    }
    // A quick room is for its two players only: full (and so locked) once they are seated.
    this.quick = quick === true;
    this.maxClients = this.quick ? PLAYER_SEATS : PLAYER_SEATS + rules.MAX_SPECTATORS;
    const allowedUserIds = allowedPlayerIds ?? null;
    this.table = rules.openTable({ roomName, targetScore, turnSeconds, invitationId, allowedUserIds });
    this.state = new BiggerDiceState({ roomName, targetScore, turnSeconds });

    this.handle(DiceMessage.ready, NoPayload, (client) =>
      this.apply(rules.ready(this.table, this.player(client), this.env())),
    );
    this.handle(DiceMessage.roll, NoPayload, (client) => this.roll(client));
    this.handle(DiceMessage.rollAlias, NoPayload, (client) => this.roll(client));
    this.handle(DiceMessage.rematch, NoPayload, (client) =>
      this.apply(rules.rematch(this.table, this.player(client), this.env())),
    );
    await this.publishMetadata();
  }

  private roll(client: RallyClient): Promise<void> {
    return this.apply(rules.rollTurn(this.table, this.player(client), this.env()));
  }

  async onJoin(client: RallyClient, options?: unknown): Promise<void> {
    const user = authOf(client);
    // A joinById is not routed: its options are checked here.
    const { spectate }: DiceJoinOptions = parseDiceJoinOptions(options);
    rules.checkAdmitted(this.table, user.id);
    if (spectate) {
      const step = rules.watch(this.table, user.id, user.username, this.spectatorSeats());
      this.seats.setData(client.sessionId, { role: "spectator" });
      return this.apply(step);
    }
    const profile = await this.ctx.services.users.get(user.id);
    // From here on nothing awaits, so the seat check and the seat change cannot interleave.
    const player = { username: user.username, avatarUrl: profile?.avatarUrl ?? "" };
    const step = rules.seatPlayer(this.table, user.id, player); // 409 when taken, begun or full
    this.seats.setData(client.sessionId, { role: "player" });
    void this.apply(step);
    if (this.table.allowedUserIds && this.table.match.seats.length === PLAYER_SEATS) this.stopWaitingForPlayers();
  }

  /** A player keeps the seat for DICE_RECONNECT_SECONDS; their turn's clock stops meanwhile. */
  onDrop(client: RallyClient): void {
    if (this.closing) return;
    this.allowReconnection(client, this.reconnectSeconds).catch(() => undefined);
    if (this.seats.dataOf(client.sessionId)?.role !== "player") return;
    void this.apply(rules.drop(this.table, authOf(client).id, this.ctx.clock.now()));
  }

  /** Back in time: the state resyncs by itself, missed events are replayed by the base. */
  onReconnect(client: RallyClient): void {
    if (this.seats.dataOf(client.sessionId)?.role !== "player") return;
    const userId = authOf(client).id;
    void this.apply(rules.reconnect(this.table, userId, this.ctx.clock.now()));
    // If the opponent left for good while this player was away, this player has now won.
    this.afterEnding()
      .then(() => this.apply(rules.returned(this.table, userId)))
      .catch((err) => logger.error({ err, roomId: this.roomId }, "dice: settling a forfeit on reconnect failed"));
  }

  /** Left on purpose, or did not come back in time. */
  async onLeave(client: RallyClient): Promise<void> {
    const role = this.seats.dataOf(client.sessionId)?.role;
    const userId = authOf(client).id;
    if (role === "spectator") {
      const stillWatching = [...this.seats.ofUser(userId)].some(
        (s) => s.sessionId !== client.sessionId && s.data?.role === "spectator",
      );
      return this.apply(rules.unwatch(this.table, userId, stillWatching));
    }
    if (role !== "player" || this.closing) return;
    await this.afterEnding();
    await this.apply(rules.leave(this.table, userId), client);
  }

  onDispose(): void {
    this.disposal.abort();
    this.clearTurnTimer();
  }

  /** Whoever closes the room (shutdown, tests' cleanup), players leaving then are not forfeiting. */
  override disconnect(closeCode?: number): Promise<unknown> {
    this.closing = true;
    this.clearTurnTimer();
    return super.disconnect(closeCode);
  }

  /** Shutdown: a game in progress is stored as abandoned (`server_shutdown`) before the room closes. */
  protected override async beforeShutdown(): Promise<void> {
    await this.afterEnding();
    await this.apply(rules.shutdown(this.table), undefined, STORE_ATTEMPTS_ON_SHUTDOWN);
  }

  /**
   * Make a transition the room's: the table, the schema and the events (projection.ts), the
   * turn's timer and the listing. An end is then stored, settled and announced (see `finish`).
   */
  private async apply(step: Step, actor?: RallyClient, storeAttempts = Infinity): Promise<void> {
    this.table = step.table;
    for (const event of project(this.state, step.table, step.effects, this.roomId)) {
      this.broadcastEvent(event.name, event.payload as never, event.exceptActor ? actor : undefined);
    }
    this.scheduleTurn();
    void this.publishMetadata();
    if (step.end) await this.finish(step.end, storeAttempts);
  }

  /** Store the end (retried until stored, or the room is gone), then settle and announce it. */
  private async finish(end: GameEnd, maxAttempts: number): Promise<void> {
    this.clearTurnTimer();
    const run = async () => {
      const result = gameResultOf(this.table, end.match, this.roomId, new Date());
      const options = { maxAttempts, signal: this.disposal.signal };
      const stored = await this.ctx.services.games.recordUntilStored(result, options);
      await this.apply(stored ? rules.settle(this.table, end) : rules.unsettle(this.table));
    };
    const ending = run().finally(() => {
      if (this.ending === ending) this.ending = null;
    });
    this.ending = ending;
    await ending;
  }

  private async afterEnding(): Promise<void> {
    while (this.ending) await this.ending;
  }

  /** (Re)arm the timer for the table's turn deadline; none while no clock runs or an end is being stored. */
  private scheduleTurn(): void {
    this.clearTurnTimer();
    const endsAt = this.table.match.turnEndsAt;
    if (endsAt === null || this.table.settling || this.disposal.signal.aborted || this.closing) return;
    const fire = () => {
      this.turnTimer = null;
      if (this.ending || this.disposal.signal.aborted) return;
      const step = rules.expire(this.table, this.env(), this.ctx.config.DICE_MISSED_TURNS_FORFEIT);
      this.apply(step).catch((err) => logger.error({ err, roomId: this.roomId }, "dice: the turn clock failed"));
    };
    this.turnTimer = this.ctx.clock.setTimeout(fire, Math.max(0, endsAt - this.ctx.clock.now()));
  }

  private clearTurnTimer(): void {
    this.turnTimer?.clear();
    this.turnTimer = null;
  }

  private env(): Env {
    const { clock, dice } = this.ctx;
    return { now: clock.now(), dice, newGameId: () => crypto.randomUUID(), wallNow: Date.now() };
  }

  /** The user behind a player seat; spectators may only watch. */
  private player(client: RallyClient): string {
    if (this.seats.dataOf(client.sessionId)?.role !== "player") this.fail("SPECTATOR_CANNOT_ACT");
    return authOf(client).id;
  }

  private spectatorSeats(): number {
    let watching = 0;
    for (const seat of this.seats.values()) if (seat.data?.role === "spectator") watching++;
    return watching;
  }

  /** Listing metadata for GET /api/rooms/bigger_dice, published when it changes. */
  private publishMetadata(): Promise<void> {
    const metadata = metadataOf(this.table, this.quick);
    const published = JSON.stringify(metadata);
    if (published === this.publishedMetadata) return Promise.resolve();
    this.publishedMetadata = published;
    return this.setMetadata(metadata).catch((err) =>
      logger.warn({ err, roomId: this.roomId }, "dice: updating the room listing failed"),
    );
  }

  /** A private room stops waiting for its players: from now on it closes once empty, like any other. */
  private stopWaitingForPlayers(): void {
    if (!this.autoDispose) this.autoDispose = true;
  }
}
