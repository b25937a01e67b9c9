import crypto from "node:crypto";
import { authOf, RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import { appContext } from "../../context";
import type { AuthUser } from "../../auth/tokens";
import { logger } from "../../logger";
import type { Timer } from "../../realtime/clock";
import {
  DiceMessage,
  NoPayload,
  parseDiceCreateOptions,
  parseDiceJoinOptions,
  type DiceEvents,
  type DiceJoinOptions,
  type DiceRoomMetadata,
} from "./protocol";
import * as rules from "./rules";
import { gameResultOf, SHUTDOWN_STORE_ATTEMPTS } from "./games";
import { metadataOf, project } from "./projection";
import { BiggerDiceState } from "./BiggerDiceState";
import { spectatorSeats, watchesElsewhere, type DiceSeat } from "./seating";

export { MAX_SPECTATORS } from "./rules"; // what tests count against

/**
 * `bigger_dice` (docs/PROTOCOL.md §3). The game is rules.ts's `DiceTable`: each callback runs a
 * transition and `apply`s it (projection.ts mirrors it into the schema and formats its events).
 * A game's end is stored before it is settled and announced.
 */
export class BiggerDiceRoom extends RallyRoom<
  { state: BiggerDiceState; metadata: DiceRoomMetadata },
  DiceEvents,
  DiceSeat
> {
  /** How long an invitation's private room waits for its players (Colyseus' 15 s is too soon). Tests shorten it. */
  static privateRoomWaitSeconds = 300;

  protected override reconnectSeconds = this.ctx.config.DICE_RECONNECT_SECONDS;

  private table!: rules.DiceTable;
  /** Set while a game's end is being stored: leaving and returning wait for it. */
  private ending: Promise<void> | null = null;
  /** The server is closing the room (shutdown, cleanup): players leaving then do not forfeit. */
  private closing = false;
  /** Aborted on dispose: no more turn timers, and a store stops retrying. */
  private readonly disposal = new AbortController();
  /** Fires at the table's turn deadline (ctx.clock, so tests drive it). */
  private turnTimer?: Timer;

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
  static override route(_user: AuthUser, options: Record<string, unknown>): Promise<Record<string, unknown>> {
    return Promise.resolve(options).then(parseDiceJoinOptions);
  }

  async onCreate(options: unknown): Promise<void> {
    const created = parseDiceCreateOptions(options, this.roomId, this.ctx.config.DICE_TURN_SECONDS);
    const { roomName, targetScore, turnSeconds } = created;
    if (created.allowedPlayerIds) {
      await this.setPrivate(true);
      this.autoDispose = false;
      this.emptyRoomSeconds = 0; // it waits privateRoomWaitSeconds for its players instead
      // Once both came, or the wait is over, it closes once empty like any other.
      this.clock.setTimeout(() => (this.autoDispose = true), BiggerDiceRoom.privateRoomWaitSeconds * 1000);
    }
    // A quick room is for its two players only: full (and so locked) once they are seated.
    this.maxClients = created.quick ? rules.PLAYER_SEATS : rules.PLAYER_SEATS + rules.MAX_SPECTATORS;
    this.table = rules.openTable(created);
    this.state = new BiggerDiceState({ roomName, targetScore, turnSeconds });

    const act = (move: rules.Move) => (client: RallyClient) =>
      this.apply(move(this.table, this.player(client), this.env()));
    this.handle(DiceMessage.ready, NoPayload, act(rules.ready));
    this.handle(DiceMessage.roll, NoPayload, act(rules.rollTurn));
    this.handle(DiceMessage.rollAlias, NoPayload, act(rules.rollTurn));
    this.handle(DiceMessage.rematch, NoPayload, act(rules.rematch));
    await this.publishMetadata();
  }

  /** `options` as `route` returned them. */
  async onJoin(client: RallyClient, options?: DiceJoinOptions): Promise<void> {
    const user = authOf(client);
    rules.checkAdmitted(this.table, user.id);
    if (options?.spectate) {
      const step = rules.watch(this.table, user.id, user.username, spectatorSeats(this.seats.values()));
      this.seats.setData(client.sessionId, { role: "spectator" });
      return this.apply(step);
    }
    const profile = await this.ctx.services.users.get(user.id);
    // From here on nothing awaits, so the seat check and the seat change cannot interleave.
    const player = { username: user.username, avatarUrl: profile?.avatarUrl ?? "" };
    const step = rules.seatPlayer(this.table, user.id, player); // 409 when taken, begun or full
    this.seats.setData(client.sessionId, { role: "player" });
    void this.apply(step);
    if (this.table.allowedUserIds && this.table.match.seats.length === rules.PLAYER_SEATS) this.autoDispose = true;
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
      const stillWatching = watchesElsewhere(this.seats.ofUser(userId), userId, client.sessionId);
      return this.apply(rules.unwatch(this.table, userId, stillWatching));
    }
    if (role !== "player" || this.closing) return;
    await this.afterEnding();
    await this.apply(rules.leave(this.table, userId), client);
  }

  onDispose(): void {
    this.disposal.abort();
    this.turnTimer?.clear();
  }

  /** Whoever closes the room (shutdown, tests' cleanup), players leaving then are not forfeiting. */
  override disconnect(closeCode?: number): Promise<unknown> {
    this.closing = true;
    this.turnTimer?.clear();
    return super.disconnect(closeCode);
  }

  /** Shutdown: a game in progress is stored as abandoned (`server_shutdown`) before the room closes. */
  protected override async beforeShutdown(): Promise<void> {
    await this.afterEnding();
    await this.apply(rules.shutdown(this.table), undefined, SHUTDOWN_STORE_ATTEMPTS);
  }

  /**
   * Make a transition the room's: the table, the schema and the events (projection.ts), the
   * turn's timer and the listing. An end is then stored, settled and announced (see `finish`).
   */
  private async apply(step: rules.Step, actor?: RallyClient, storeAttempts = Infinity): Promise<void> {
    this.table = step.table;
    for (const event of project(this.state, step.table, step.effects, this.roomId)) {
      this.broadcastEvent(event.name, event.payload, event.exceptActor ? actor : undefined);
    }
    this.scheduleTurn();
    void this.publishMetadata();
    if (step.end) await this.finish(step.end, storeAttempts);
  }

  /** Store the end (retried until stored, or the room is gone), then settle and announce it. */
  private finish(end: rules.GameEnd, maxAttempts: number): Promise<void> {
    const result = gameResultOf(this.table, end.match, this.roomId, new Date());
    const ending: Promise<void> = this.ctx.services.games
      .recordUntilStored(result, { maxAttempts, signal: this.disposal.signal })
      .then((stored) => this.apply(stored ? rules.settle(this.table, end) : rules.unsettle(this.table)))
      .finally(() => void (this.ending === ending && (this.ending = null)));
    return (this.ending = ending);
  }

  private async afterEnding(): Promise<void> {
    while (this.ending) await this.ending;
  }

  /** (Re)arm the timer for the table's turn deadline; none while no clock runs or an end is being stored. */
  private scheduleTurn(): void {
    this.turnTimer?.clear();
    const endsAt = this.table.match.turnEndsAt;
    if (endsAt === null || this.table.settling || this.disposal.signal.aborted || this.closing) return;
    const expire = () =>
      void this.apply(rules.expire(this.table, this.env(), this.ctx.config.DICE_MISSED_TURNS_FORFEIT)).catch((err) =>
        logger.error({ err, roomId: this.roomId }, "dice: the turn clock failed"),
      );
    this.turnTimer = this.ctx.clock.setTimeout(expire, Math.max(0, endsAt - this.ctx.clock.now()));
  }

  private env(): rules.Env {
    return { now: this.ctx.clock.now(), dice: this.ctx.dice, newGameId: crypto.randomUUID, wallNow: Date.now() };
  }

  /** The user behind a player seat; spectators may only watch. */
  private player(client: RallyClient): string {
    if (this.seats.dataOf(client.sessionId)?.role !== "player") this.fail("SPECTATOR_CANNOT_ACT");
    return authOf(client).id;
  }

  /** Listing metadata for GET /api/rooms/bigger_dice, published when it changes. */
  private async publishMetadata(): Promise<void> {
    const metadata = metadataOf(this.table);
    if (JSON.stringify(metadata) === JSON.stringify(this.metadata)) return;
    await this.setMetadata(metadata).catch((err) =>
      logger.warn({ err, roomId: this.roomId }, "dice: updating the room listing failed"),
    );
  }
}
