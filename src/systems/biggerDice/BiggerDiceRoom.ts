import crypto from "node:crypto";
import { ServerError, type AuthContext } from "@colyseus/core";
import { authOf, RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import { appContext } from "../../context";
import type { AuthUser } from "../../auth/tokens";
import { logger } from "../../logger";
import { describeZodError } from "../../protocol/common";
import type { Timer } from "../../realtime/clock";
import {
  DiceCreateOptions,
  NoPayload,
  parseDiceJoinOptions,
  quickRoomName,
  rolledEvent,
  roundResultEvent,
  type DiceJoinOptions,
  type DiceRoomMetadata,
  type FinalScores,
  type WirePlayer,
} from "./protocol";
import {
  abandon,
  armTurn,
  markReady,
  newGame,
  opponentOf,
  playerGone,
  playerReturned,
  PLAYER_SEATS,
  requestRematch,
  roll,
  seat,
  turnExpired,
  type DiceGame,
  type RollOutcome,
} from "./rules";
import type { GameResult } from "./games";
import { BiggerDiceState, DicePlayer, DiceRound, DiceSpectator } from "./BiggerDiceState";

/** Spectators a room admits, counted apart from the two player seats. */
export const MAX_SPECTATORS = 50;

/** Storing a finished game: retried with doubling delays up to this cap, until it is stored. */
const STORE_RETRY_FIRST_MS = 200;
const STORE_RETRY_MAX_MS = 10_000;
/** On shutdown the process is about to exit: a few attempts only. */
const STORE_ATTEMPTS_ON_SHUTDOWN = 3;

type Role = "player" | "spectator";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * `bigger_dice` (docs/PROTOCOL.md §3): two players, any number of spectators up to
 * MAX_SPECTATORS, the rules in src/systems/biggerDice/rules.ts. The room keeps the game as an
 * immutable `DiceGame` and mirrors it into the schema state after every change.
 *
 * A game's end (win, forfeit, abandonment, server shutdown) is stored in the history before
 * it is announced: until the write succeeds (retried with backoff) nothing more can happen
 * in the game, and `game_ended` is not sent.
 *
 * Private rooms (from an accepted game invitation, created by GamesService.createPrivateRoom)
 * are unlisted and admit only the two invited users, as players (or as spectators of their own
 * game); anyone else is refused with 403.
 */
export class BiggerDiceRoom extends RallyRoom<{ state: BiggerDiceState; metadata: DiceRoomMetadata }> {
  /**
   * How long a private invitation room waits for its two players before it may close when
   * empty. (Colyseus closes an empty room after 15 s, or at once after a refused join: too
   * soon for an invitation.) Tests shorten it.
   */
  static privateRoomWaitSeconds = 300;

  protected override reconnectSeconds = this.ctx.config.DICE_RECONNECT_SECONDS;

  private game: DiceGame = newGame();
  /** Made when the game starts: the history row's id. */
  private gameId = "";
  private startedAt = new Date();
  private invitationId: string | null = null;
  /** Set for a private invitation room: the only users it admits. */
  private allowedUserIds: readonly string[] | null = null;
  /** Who holds each seat (connection), and as what. Kept until the seat is given up. */
  private readonly sessions = new Map<string, { userId: string; role: Role }>();
  /** Set while a game's end is being stored; everything else that touches the game waits for it. */
  private ending: Promise<void> | null = null;
  /** The server is closing the room (shutdown, cleanup): players leaving then do not forfeit. */
  private closing = false;
  private disposed = false;
  /** Fires when the current turn runs out (ctx.clock, so tests drive it); cleared on dispose. */
  private turnTimer: Timer | null = null;
  private quick = false;

  /**
   * One open room per name, so join by name is unambiguous; an invitation's private room is
   * keyed apart, so its name never takes an open one's.
   */
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

  static override async onAuth(token: string, options: unknown, context: AuthContext): Promise<AuthUser> {
    const user = await super.onAuth(token, options, context);
    const parsed: DiceJoinOptions = parseDiceJoinOptions(options);
    // The matchmaker filters and creates with this same object: route by the trimmed name.
    if (parsed.roomName !== undefined) (options as { roomName: string }).roomName = parsed.roomName;
    return user;
  }

  async onCreate(options: unknown): Promise<void> {
    const given = (options ?? {}) as { quick?: unknown; roomName?: unknown };
    const named =
      given.quick === true && given.roomName === undefined ? { ...given, roomName: quickRoomName(this.roomId) } : given;
    const parsed = DiceCreateOptions.safeParse(named);
    if (!parsed.success) throw new ServerError(400, describeZodError(parsed.error));
    const { roomName, targetScore, allowedPlayerIds, invitationId, quick } = parsed.data;
    const turnSeconds = parsed.data.turnSeconds ?? this.ctx.config.DICE_TURN_SECONDS;

    if (allowedPlayerIds) {
      this.allowedUserIds = allowedPlayerIds;
      this.invitationId = invitationId ?? null;
      await this.setPrivate(true);
      this.autoDispose = false;
      this.emptyRoomSeconds = 0; // it waits privateRoomWaitSeconds for its players instead
      this.clock.setTimeout(() => this.stopWaitingForPlayers(), BiggerDiceRoom.privateRoomWaitSeconds * 1000);
    }
    // A quick room is for its two players only: full (and so locked) once they are seated.
    this.quick = quick === true;
    this.maxClients = this.quick ? PLAYER_SEATS : PLAYER_SEATS + MAX_SPECTATORS;
    this.game = newGame(targetScore, turnSeconds);
    this.state = new BiggerDiceState({ roomName, targetScore, turnSeconds });

    this.handle("ready", NoPayload, (client) => this.ready(client));
    this.handle("roll", NoPayload, (client) => this.roll(client));
    this.handle("bigger_dice.roll", NoPayload, (client) => this.roll(client));
    this.handle("rematch", NoPayload, (client) => this.rematch(client));

    await this.publishMetadata();
  }

  private ready(client: RallyClient): void {
    const userId = this.requirePlayer(client);
    const { game, started } = markReady(this.game, userId, this.ctx.dice);
    this.game = game;
    this.syncState();
    this.broadcastEvent("player_ready", { room_id: this.roomId, user_id: userId, username: this.usernameOf(userId) });
    if (started) this.beginGame();
  }

  /** After game_ended: when both players have asked, a fresh game starts in this room. */
  private rematch(client: RallyClient): void {
    const userId = this.requirePlayer(client);
    if (this.ending) this.fail("REMATCH_NOT_AVAILABLE", "The game's result is still being saved");
    const { game, started } = requestRematch(this.game, userId, this.ctx.dice);
    this.game = game;
    this.broadcastEvent("rematch_requested", {
      room_id: this.roomId,
      user_id: userId,
      username: this.usernameOf(userId),
    });
    if (started) this.beginGame();
  }

  /** A game (the first, or a rematch) has started: its own history id, and the first turn's clock. */
  private beginGame(): void {
    this.gameId = crypto.randomUUID();
    this.startedAt = new Date();
    this.game = armTurn(this.game, this.ctx.clock.now(), this.isConnected(this.game.currentTurn));
    this.syncState();
    this.broadcastEvent("game_started", {
      room_id: this.roomId,
      players: this.wirePlayers(),
      first_turn: this.game.currentTurn,
    });
    this.scheduleTurn();
    void this.publishMetadata();
  }

  private async roll(client: RallyClient): Promise<void> {
    const userId = this.requirePlayer(client);
    if (this.ending) this.fail("GAME_NOT_IN_PROGRESS", "The game is over; its result is being saved");
    await this.applyRoll(userId, roll(this.game, userId, this.ctx.dice), false);
  }

  /** The clock ran out: the server rolls for the player, who forfeits after too many in a row. */
  private async turnRanOut(): Promise<void> {
    this.turnTimer = null;
    if (this.ending || this.disposed) return;
    const forfeitAfter = this.ctx.config.DICE_MISSED_TURNS_FORFEIT;
    const expiry = turnExpired(this.game, this.ctx.clock.now(), this.ctx.dice, forfeitAfter);
    if (!expiry) return this.scheduleTurn();
    await this.applyRoll(expiry.userId, expiry.outcome, true);
  }

  /** Announce a roll (the player's own or the server's), then end the game or pass the turn. */
  private async applyRoll(userId: string, outcome: RollOutcome, auto: boolean): Promise<void> {
    const announceRoll = () => {
      this.broadcastEvent(
        "bigger_dice.rolled",
        rolledEvent(this.roomId, userId, this.usernameOf(userId), outcome, auto),
      );
      if (outcome.completedRound)
        this.broadcastEvent("bigger_dice.round_result", roundResultEvent(this.roomId, outcome.completedRound));
    };
    if (outcome.game.status !== "in_progress") {
      // The deciding roll is announced with the result, once both are stored.
      this.clearTurnTimer();
      await this.finish(outcome.game, announceRoll);
      return;
    }
    this.game = armTurn(outcome.game, this.ctx.clock.now(), this.isConnected(outcome.game.currentTurn));
    this.syncState();
    announceRoll();
    this.broadcastEvent("turn_changed", {
      room_id: this.roomId,
      current_turn: this.game.currentTurn,
      turn_number: this.game.turnNumber,
      turn_ends_at: this.game.turnEndsAt,
    });
    this.scheduleTurn();
  }

  /** (Re)arm the timer for the current turn's deadline, or stop it when no clock runs. */
  private scheduleTurn(): void {
    this.clearTurnTimer();
    const endsAt = this.game.turnEndsAt;
    if (endsAt === null || this.disposed || this.closing) return;
    this.turnTimer = this.ctx.clock.setTimeout(
      () => {
        this.turnRanOut().catch((err) => logger.error({ err, roomId: this.roomId }, "dice: the turn clock failed"));
      },
      Math.max(0, endsAt - this.ctx.clock.now()),
    );
  }

  private clearTurnTimer(): void {
    this.turnTimer?.clear();
    this.turnTimer = null;
  }

  /** The clock of the player whose turn it is runs only while they are connected. */
  private rearmTurnFor(userId: string, connected: boolean): void {
    if (this.game.status !== "in_progress" || this.game.currentTurn !== userId || this.ending) return;
    this.game = armTurn(this.game, this.ctx.clock.now(), connected);
    this.syncState();
    this.scheduleTurn();
  }

  private isConnected(userId: string | null): boolean {
    return userId !== null && this.state.players.get(userId)?.connected === true;
  }

  async onJoin(client: RallyClient, options?: DiceJoinOptions): Promise<void> {
    const user = authOf(client);
    if (this.allowedUserIds && !this.allowedUserIds.includes(user.id)) {
      throw new ServerError(403, "This game is reserved for its two invited players");
    }
    if (options?.spectate) return this.admitSpectator(client);

    const profile = await this.ctx.services.users.get(user.id);
    // From here on nothing awaits, so the seat check and the seat change cannot interleave.
    this.game = seat(this.game, user.id); // 409 when the user has a seat, the game began, or it is full
    this.sessions.set(client.sessionId, { userId: user.id, role: "player" });
    this.state.players.set(
      user.id,
      new DicePlayer({ userId: user.id, username: user.username, avatarId: profile?.avatarUrl ?? "", connected: true }),
    );
    if (!this.state.hostId) this.state.hostId = user.id;
    this.syncState();
    this.broadcastEvent("room_joined", {
      room_id: this.roomId,
      room_name: this.state.roomName,
      player: this.wirePlayer(user.id),
    });
    void this.publishMetadata();
    if (this.allowedUserIds && this.game.seats.length === PLAYER_SEATS) this.stopWaitingForPlayers();
  }

  private admitSpectator(client: RallyClient): void {
    const user = authOf(client);
    const watching = [...this.sessions.values()].filter((s) => s.role === "spectator").length;
    if (watching >= MAX_SPECTATORS) throw new ServerError(409, "This game has as many spectators as it admits");
    this.sessions.set(client.sessionId, { userId: user.id, role: "spectator" });
    if (this.state.spectators.has(user.id)) return; // another device of a spectator already here
    this.state.spectators.set(user.id, new DiceSpectator({ username: user.username }));
    this.broadcastEvent("spectator_joined", { room_id: this.roomId, user_id: user.id, username: user.username });
    void this.publishMetadata();
  }

  /**
   * A player keeps the seat for DICE_RECONNECT_SECONDS. Their turn clock stops meanwhile: the
   * reconnection window, not auto-rolls, covers a player who is away.
   */
  onDrop(client: RallyClient): void {
    if (this.closing) return;
    this.allowReconnection(client, this.reconnectSeconds).catch(() => undefined);
    const seatHolder = this.sessions.get(client.sessionId);
    if (seatHolder?.role !== "player") return;
    const player = this.state.players.get(seatHolder.userId);
    if (player) player.connected = false;
    this.rearmTurnFor(seatHolder.userId, false);
    this.broadcastEvent("player_disconnected", { room_id: this.roomId, user_id: seatHolder.userId });
  }

  /** Back in time: the full state resyncs by itself, missed events are replayed by the base. */
  onReconnect(client: RallyClient): void {
    const seatHolder = this.sessions.get(client.sessionId);
    if (seatHolder?.role !== "player") return;
    const player = this.state.players.get(seatHolder.userId);
    if (player) player.connected = true;
    this.rearmTurnFor(seatHolder.userId, true);
    this.broadcastEvent("player_rejoined", {
      room_id: this.roomId,
      user_id: seatHolder.userId,
      username: this.usernameOf(seatHolder.userId),
    });
    // If the opponent left for good while this player was away, this player has now won.
    void this.afterEnding()
      .then(() => {
        const back = playerReturned(this.game, seatHolder.userId);
        if (back.ended) return this.finish(back.game);
      })
      .catch((err) => logger.error({ err, roomId: this.roomId }, "dice: settling a forfeit on reconnect failed"));
  }

  /** Left on purpose, or did not come back in time. */
  async onLeave(client: RallyClient): Promise<void> {
    const seatHolder = this.sessions.get(client.sessionId);
    this.sessions.delete(client.sessionId);
    if (!seatHolder) return;
    if (seatHolder.role === "spectator") return this.spectatorLeft(seatHolder.userId);
    if (this.closing) return;
    await this.afterEnding();

    const userId = seatHolder.userId;
    this.broadcastEvent(
      "player_left",
      { room_id: this.roomId, user_id: userId, username: this.usernameOf(userId) },
      client,
    );
    const opponent = opponentOf(this.game, userId);
    const opponentPresent = opponent !== null && this.state.players.get(opponent)?.connected === true;
    const wasWaiting = this.game.status === "waiting";
    const rematchWasAsked = this.game.rematchRequests.length > 0;
    const { game, ended } = playerGone(this.game, userId, opponentPresent);
    if (rematchWasAsked && game.rematchClosed)
      this.broadcastEvent("rematch_lapsed", { room_id: this.roomId, user_id: userId });

    if (wasWaiting) {
      // Before the game the seat is simply freed.
      this.game = game;
      this.state.players.delete(userId);
      if (this.state.hostId === userId) this.state.hostId = game.seats[0] ?? "";
    } else {
      // During or after the game the player stays on the scoreboard.
      const player = this.state.players.get(userId);
      if (player) player.connected = false;
      if (ended) await this.finish(game);
      else this.game = game;
    }
    this.syncState();
    void this.publishMetadata();
  }

  private spectatorLeft(userId: string): void {
    const stillWatching = [...this.sessions.values()].some((s) => s.role === "spectator" && s.userId === userId);
    const spectator = this.state.spectators.get(userId);
    if (stillWatching || !spectator) return;
    this.state.spectators.delete(userId);
    this.broadcastEvent("spectator_left", { room_id: this.roomId, user_id: userId, username: spectator.username });
    void this.publishMetadata();
  }

  onDispose(): void {
    this.disposed = true;
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
    if (this.game.status === "in_progress") {
      await this.finish(abandon(this.game, "server_shutdown"), undefined, STORE_ATTEMPTS_ON_SHUTDOWN);
    }
  }

  /**
   * Store the ended game, then make it the room's game and announce it (`announceFirst`, then
   * `game_ended`). Nothing is announced if it could not be stored.
   */
  private async finish(ended: DiceGame, announceFirst?: () => void, maxAttempts = Infinity): Promise<void> {
    const run = async () => {
      if (!(await this.store(this.resultOf(ended), maxAttempts))) return;
      this.game = ended;
      this.clearTurnTimer();
      this.syncState();
      announceFirst?.();
      const winnerId = ended.winnerId;
      this.broadcastEvent("game_ended", {
        room_id: this.roomId,
        winner_id: winnerId,
        winner_username: winnerId ? this.usernameOf(winnerId) : null,
        final_scores: this.finalScores(ended),
        reason: ended.endReason,
      });
      void this.publishMetadata();
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

  /** Write the result, retrying with backoff while the room lives (or `maxAttempts` times). */
  private async store(result: GameResult, maxAttempts: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.services.games.record(result);
        return true;
      } catch (err) {
        const giveUp = attempt >= maxAttempts || this.disposed;
        const log = { err, roomId: this.roomId, gameId: result.id, attempt };
        if (giveUp) {
          logger.error({ ...log, result }, "dice: a game result could not be stored and was not announced");
          return false;
        }
        if (attempt >= 5) logger.error(log, "dice: storing a game result keeps failing; retrying");
        else logger.warn(log, "dice: storing a game result failed; retrying");
        await sleep(Math.min(STORE_RETRY_FIRST_MS * 2 ** (attempt - 1), STORE_RETRY_MAX_MS));
      }
    }
  }

  private resultOf(game: DiceGame): GameResult {
    return {
      id: this.gameId,
      roomId: this.roomId,
      roomName: this.state.roomName,
      invitationId: this.invitationId,
      targetScore: game.targetScore,
      status: game.status === "abandoned" ? "abandoned" : "finished",
      reason: game.endReason ?? "abandoned",
      winnerId: game.winnerId,
      players: game.seats.map((id) => ({ userId: id, username: this.usernameOf(id), score: game.scores[id] ?? 0 })),
      rolls: [...game.rolls],
      pendingTurn: game.pendingTurn,
      startedAt: this.startedAt,
      endedAt: new Date(),
    };
  }

  /** The user id behind a player seat; spectators may only watch. */
  private requirePlayer(client: RallyClient): string {
    const seatHolder = this.sessions.get(client.sessionId);
    if (seatHolder?.role !== "player") this.fail("SPECTATOR_CANNOT_ACT");
    return seatHolder.userId;
  }

  /** Mirror the game into the schema state (player names, avatars and connection live only there). */
  private syncState(): void {
    const { state, game } = this;
    state.status = game.status;
    state.targetScore = game.targetScore;
    state.currentTurn = game.currentTurn ?? "";
    state.turnNumber = game.turnNumber;
    state.turnEndsAt = game.turnEndsAt ?? 0;
    state.winnerId = game.winnerId ?? "";
    for (const id of game.seats) {
      const player = state.players.get(id);
      if (!player) continue;
      player.score = game.scores[id] ?? 0;
      player.isReady = game.ready.includes(id);
    }
    const round = game.round;
    if (round) {
      state.round.number = round.number;
      state.round.player1Id = round.player1Id;
      state.round.player1Roll = round.player1Roll;
      state.round.player2Id = round.player2Id;
      state.round.player2Roll = round.player2Roll ?? 0;
      state.round.winnerId = round.winnerId ?? "";
      state.round.isTie = round.isTie;
      state.round.complete = round.complete;
    } else if (state.round.number !== 0) {
      state.round = new DiceRound(); // a rematch starts without a round
    }
  }

  /**
   * Listing metadata for GET /api/rooms/bigger_dice, kept current on every change. Never
   * rejects (a failure is logged), so the room's handlers fire and forget it.
   */
  private publishMetadata(): Promise<void> {
    const metadata: DiceRoomMetadata = {
      roomName: this.state.roomName,
      status: this.game.status,
      players: this.game.seats.length,
      spectators: this.state.spectators.size,
      ...(this.quick ? { quick: true as const } : {}),
    };
    return this.setMetadata(metadata).catch((err) =>
      logger.warn({ err, roomId: this.roomId }, "dice: updating the room listing failed"),
    );
  }

  /** A private room stops waiting for its players: from now on it closes once empty, like any other. */
  private stopWaitingForPlayers(): void {
    if (!this.autoDispose) this.autoDispose = true;
  }

  private usernameOf(userId: string): string {
    return this.state.players.get(userId)?.username ?? "";
  }

  private wirePlayer(userId: string): WirePlayer {
    const player = this.state.players.get(userId);
    return {
      user_id: userId,
      username: player?.username ?? "",
      avatar_id: player?.avatarId || null,
      score: this.game.scores[userId] ?? 0,
      is_ready: this.game.ready.includes(userId),
    };
  }

  private wirePlayers(): WirePlayer[] {
    return this.game.seats.map((id) => this.wirePlayer(id));
  }

  private finalScores(game: DiceGame): FinalScores {
    return game.seats.map((id) => [id, this.usernameOf(id), game.scores[id] ?? 0]);
  }
}
