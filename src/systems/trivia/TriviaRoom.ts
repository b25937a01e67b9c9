import type { Client } from "@colyseus/core";
import type { AuthUser } from "../../auth/tokens";
import { appContext } from "../../context";
import { AppError } from "../../errors";
import type { Timer } from "../../realtime/clock";
import { authOf, CLOSE_ACCESS_ENDED, RallyRoom, toServerError, type RallyClient } from "../../realtime/RallyRoom";
import { admit, loadPlayable, type TriviaRoomOptions } from "./access";
import * as engine from "./engine";
import * as view from "./projection";
import {
  AnswerMessage,
  CHAT_HISTORY_SIZE,
  chatMessage,
  KickMessage,
  TriviaEvent,
  TriviaMessage,
  type ChatMessage,
  type TriviaBroadcast,
  type TriviaEvents,
} from "./protocol";
import { SessionEnding } from "./results";
import { newGame, type TriviaGame } from "./rules";
import type { TriviaSession } from "./trivia";
import type { TriviaState } from "./TriviaState";

/** Set on a seat once the room has seated it (a refused join never gets it). */
interface TriviaSeat {
  host: boolean;
}

/**
 * A live trivia session (docs/PROTOCOL.md §3 `trivia`), one room per (organization, session).
 * Callbacks validate, run a step of the pure engine (engine.ts over rules.ts), and apply it:
 * the projection syncs the state and words the events (never an answer or a score before its
 * question closes), and SessionEnding stores the outcome before `finished` is announced.
 */
export class TriviaRoom extends RallyRoom<{ state: TriviaState }, TriviaEvents, TriviaSeat> {
  private session!: Pick<TriviaSession, "id" | "orgId" | "hostId" | "title">;
  private game!: TriviaGame;
  private ending!: SessionEnding;
  /** Wakes the engine when it next needs the time (the countdown's seconds, the deadline). */
  private wake?: Timer;

  /** One room per (org, session); a full one refuses rather than opening a second (the directory). */
  static override roomKey(options: Record<string, unknown>): string | null {
    const { orgId, sessionId } = options;
    return typeof orgId === "string" && typeof sessionId === "string" ? `${orgId}:${sessionId}` : null;
  }

  static override fullMessage = "The session is full";

  /** Routes by the caller's org, so a client never reaches another org's room (see access.ts). */
  static override async route(user: AuthUser, options: Record<string, unknown>): Promise<Record<string, unknown>> {
    return { ...options, ...(await admit(appContext().services, user, options)) };
  }

  async onCreate(options: TriviaRoomOptions): Promise<void> {
    const { session, questions } = await loadPlayable(this.ctx.services.trivia, options).catch((e: unknown) => {
      throw toServerError(e);
    });
    this.session = session;
    this.game = newGame(session.hostId, questions);
    this.ending = new SessionEnding(this.ctx.services.trivia, session.id);
    this.maxClients = this.ctx.config.TRIVIA_MAX_PARTICIPANTS;
    this.state = view.newState(session, this.game);

    this.handle(TriviaMessage.start, null, (client) => this.start(client));
    this.handle(TriviaMessage.nextQuestion, null, (client) => this.nextQuestion(client));
    this.handle(TriviaMessage.answer, AnswerMessage, (client, msg) => this.answer(client, msg));
    const chat = chatMessage(this.ctx.config.CHAT_MAX_CHARS);
    this.handle(TriviaMessage.chat, chat, (client, msg) => this.chat(client, msg));
    this.handle(TriviaMessage.kick, KickMessage, (client, msg) => this.kick(client, msg));
  }

  /** A member removed from the session's org loses their seat here (RallyRoom closes it with 4403). */
  protected override orgScope(): string | null {
    return this.session?.orgId ?? null;
  }

  // ---- message handlers -------------------------------------------------------------

  /** Host only, from the lobby: marks the session started, then opens the first question. */
  private async start(client: RallyClient): Promise<void> {
    const hostId = authOf(client).id;
    engine.start(this.game, hostId, this.now());
    await this.ctx.services.trivia.markStarted(this.session.id);
    // Checked again: another `start` may have won while the write was in flight.
    this.run(engine.start(this.game, hostId, this.now()));
  }

  /** Host only, after a close: the next question, or the end (stored before it is announced). */
  private async nextQuestion(client: RallyClient): Promise<void> {
    if (this.ending.underway) throw new AppError("SESSION_NOT_ACTIVE", "The session is finishing");
    const hostId = authOf(client).id;
    const step = engine.next(this.game, hostId, this.now());
    if (step.game.status !== "finished") return this.run(step);
    await this.ending.finish(step.game);
    this.run(engine.next(this.game, hostId, this.now()));
  }

  private answer(client: RallyClient, msg: AnswerMessage): void {
    this.run(engine.answer(this.game, authOf(client).id, msg, this.now()));
  }

  /** Stored first (late joiners get the last CHAT_HISTORY_SIZE in `chat_history`), then broadcast. */
  private async chat(client: RallyClient, msg: ChatMessage): Promise<void> {
    const user = authOf(client);
    await this.ctx.services.trivia.saveChat(this.session.id, user, msg.text);
    this.publish([[TriviaEvent.chat, view.chat(user.id, msg.text)]]);
  }

  /** Host only: remove a participant, who is closed with CLOSE_ACCESS_ENDED and may not come back. */
  private async kick(client: RallyClient, { userId }: KickMessage): Promise<void> {
    const hostId = authOf(client).id;
    engine.kick(this.game, hostId, userId);
    await this.ctx.services.trivia.kick(this.session.id, userId);
    this.run(engine.kick(this.game, hostId, userId));
    for (const seat of this.seats.ofUser(userId)) {
      if (!seat.data || !seat.connected) continue;
      this.sendTo(seat.client, TriviaEvent.kicked, view.kick(this.session.id, userId));
      seat.client.leave(CLOSE_ACCESS_ENDED, "removed by the host");
    }
    this.publish([[TriviaEvent.participantKicked, view.kick(this.session.id, userId)]]);
  }

  // ---- seats --------------------------------------------------------------------------

  /** Routed (joinById too), so admitted; the seat must still be for this org's session. */
  async onJoin(client: RallyClient, options: TriviaRoomOptions): Promise<void> {
    const user = authOf(client);
    if (user.orgId !== this.session.orgId || options.sessionId !== this.session.id)
      throw new AppError("NOT_FOUND", "Trivia session not found");
    if (this.ending.underway) throw new AppError("SESSION_NOT_ACTIVE", "The session has finished");
    if (this.seatedUsers().has(user.id)) throw new AppError("CONFLICT", "You are already in this session");
    const step = engine.join(this.game, user, options.team);

    this.seats.setData(client.sessionId, { host: user.id === this.session.hostId });
    this.run(step);
    this.sendTo(client, TriviaEvent.connection, view.connection(this.session.id, user.id));
    const count = this.seatedUsers().size;
    this.publish([[TriviaEvent.userJoined, view.presence(this.session.id, user.id, count)]]);
    this.sendTo(client, TriviaEvent.sessionUpdate, view.sessionUpdate(this.game, this.now()));
    const messages = await this.ctx.services.trivia.recentChat(this.session.id, CHAT_HISTORY_SIZE);
    if (messages.length > 0) this.sendTo(client, TriviaEvent.chatHistory, { session_id: this.session.id, messages });
  }

  /** The seat is held for the reconnection window (not a removed participant's); the score stays. */
  onDrop(client: RallyClient, code?: number): void {
    const userId = authOf(client).id;
    if (!this.game.kicked.includes(userId)) void super.onDrop(client, code);
    this.run(engine.setConnected(this.game, userId, false));
  }

  onReconnect(client: RallyClient): void {
    this.run(engine.setConnected(this.game, authOf(client).id, true));
  }

  /** Gone for good: a participant stays on the scoreboard (connected=false) and may join again. */
  onLeave(client: RallyClient): void {
    if (!this.seats.dataOf(client.sessionId)) return; // never admitted
    const userId = authOf(client).id;
    this.run(engine.setConnected(this.game, userId, false));
    const count = this.seatedUsers().size;
    this.publish([[TriviaEvent.userLeft, view.presence(this.session.id, userId, count)]], client);
  }

  async onDispose(): Promise<void> {
    this.wake?.clear();
    await this.ending?.interrupt(() => this.game); // no ending when onCreate failed
  }

  /** Graceful shutdown: keep an in-progress session's scores (status interrupted); the base then closes. */
  protected override beforeShutdown(): Promise<void> {
    return this.ending.interrupt(() => this.game);
  }

  // ---- applying the engine ---------------------------------------------------------------

  private now(): number {
    return this.ctx.clock.now();
  }

  /** Apply a step: sync the state, announce its effects, and wake the engine when it next needs the time. */
  private run(step: engine.Step, now = this.now()): void {
    if (this.ending.interrupted) return; // saved as interrupted: nothing more is scored or announced
    this.game = step.game;
    view.syncState(this.state, this.game, now);
    this.publish(view.eventsOf(this.game, step.effects, now));
    this.wake?.clear();
    const at = engine.nextWake(this.game, now);
    this.wake = at === undefined ? undefined : this.ctx.clock.setTimeout(() => this.wakeAt(at), at - now);
  }

  private wakeAt(at: number): void {
    const now = Math.max(this.now(), at); // never before the moment it was set for
    this.run(engine.tick(this.game, now), now);
  }

  private publish(events: TriviaBroadcast[], except?: Client): void {
    for (const [type, payload] of events) this.broadcastEvent(type, payload, except);
  }

  /** Users holding an admitted seat that is not leaving (the host included). */
  private seatedUsers(): Set<string> {
    const users = [...this.seats.values()].filter((s) => s.data && !s.leaving).map((s) => s.userId);
    return new Set(users);
  }
}
