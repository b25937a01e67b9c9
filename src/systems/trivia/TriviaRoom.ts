import { ServerError, type AuthContext, type Room } from "@colyseus/core";
import { appContext } from "../../context";
import { AppError } from "../../errors";
import { logger } from "../../logger";
import type { AuthUser } from "../../auth/tokens";
import { authOf, CLOSE_ACCESS_ENDED, parseJoinOptions, RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import { withSafeKeys } from "../../realtime/safeMapKeys";
import {
  AnswerMessage,
  CHAT_HISTORY_SIZE,
  chatMessage,
  KickMessage,
  TriviaJoinOptions,
  type ChatMessage,
} from "./protocol";
import * as rules from "./rules";
import type { TriviaSession } from "./trivia";
import { TriviaParticipant, TriviaQuestionView, TriviaState } from "./TriviaState";

/** Join options after `onAuth`: the routing fields are the server's, never the client's. */
interface TriviaRoomOptions {
  orgId: string;
  sessionId: string;
  team?: string;
}

type Timer = ReturnType<Room["clock"]["setInterval"]>;

/** Refuse a session that can no longer be played (its results are written). */
function refuseEnded(session: Pick<TriviaSession, "status">): void {
  if (session.status === "finished") throw new ServerError(409, "The session has finished");
  if (session.status === "interrupted") throw new ServerError(409, "The session was interrupted");
}

/**
 * A live trivia session (docs/PROTOCOL.md §3 `trivia`), one room per (organization, session).
 * The game itself is the pure state machine in rules/trivia.ts; this room runs its clock,
 * publishes what the rules allow (never an answer or a score before its question closes) and
 * writes the outcome through the trivia service.
 */
export class TriviaRoom extends RallyRoom<{ state: TriviaState }> {
  private session!: Pick<TriviaSession, "id" | "orgId" | "hostId" | "title">;
  private game!: rules.TriviaGame;
  /** User id → Colyseus session id of everyone holding a seat (connected or held after a drop). */
  private readonly seated = new Map<string, string>();
  /** The open question's countdown: the room clock ticks it once a second and closes at zero. */
  private countdown?: Timer;
  private secondsLeft = 0;
  /** The final write in flight (finished or interrupted), and whether one succeeded. */
  private ending?: Promise<void>;
  private ended = false;
  /** Participants the host removed (also stored: they cannot rejoin after a restart either). */
  private readonly kicked = new Set<string>();

  /**
   * Token with an org, a session of that org that is still playable, and a room that is not
   * full. Routes by the caller's org: a client can never reach another org's room.
   */
  /** One room per (org, session); a full one refuses rather than opening a second (the directory). */
  static override roomKey(options: Record<string, unknown>): string | null {
    const { orgId, sessionId } = options;
    return typeof orgId === "string" && typeof sessionId === "string" ? `${orgId}:${sessionId}` : null;
  }

  static override fullMessage = "The session is full";

  static override async onAuth(token: string, options: unknown, context: AuthContext): Promise<AuthUser> {
    const user = await super.onAuth(token, options, context);
    if (!user.orgId) throw new ServerError(401, "token has no org_id");
    // A claim alone is not access: the caller must still be a member of the org.
    if (!(await appContext().services.orgs.isMember(user.orgId, user.id)))
      throw new ServerError(403, "You are not a member of this organization");
    const { sessionId, team } = parseJoinOptions(TriviaJoinOptions, options);
    const session = await appContext().services.trivia.find(user.orgId, sessionId);
    if (!session) throw new ServerError(404, "Trivia session not found");
    refuseEnded(session);
    if (await appContext().services.trivia.isKicked(session.id, user.id)) {
      throw new ServerError(403, "The host removed you from this session");
    }
    Object.assign(options as TriviaRoomOptions, { orgId: user.orgId, sessionId, team });
    return user;
  }

  async onCreate(options: TriviaRoomOptions): Promise<void> {
    const loaded = await this.ctx.services.trivia.loadForRoom(options.orgId, options.sessionId);
    if (!loaded) throw new ServerError(404, "Trivia session not found");
    refuseEnded(loaded.session);

    const { session, questions } = loaded;
    this.session = session;
    this.game = rules.newGame(session.hostId, questions);
    this.maxClients = this.ctx.config.TRIVIA_MAX_PARTICIPANTS;
    this.state = new TriviaState({
      sessionId: session.id,
      title: session.title,
      hostId: session.hostId,
      questionCount: questions.length,
    });
    withSafeKeys(this.state.teams); // keyed by names players choose

    this.handle("start", null, (client) => this.start(client));
    this.handle("next_question", null, (client) => this.nextQuestion(client));
    this.handle("answer", AnswerMessage, (client, msg) => this.answer(client, msg));
    this.handle("chat", chatMessage(this.ctx.config.CHAT_MAX_CHARS), (client, msg) => this.chat(client, msg));
    this.handle("kick", KickMessage, (client, msg) => this.kick(client, msg));
  }

  /** A member removed from the session's org loses their seat here (RallyRoom closes it with 4403). */
  protected override orgScope(): string | null {
    return this.session?.orgId ?? null;
  }

  // ---- message handlers -------------------------------------------------------------

  /** Host only, from the lobby: marks the session started, then opens the first question. */
  private async start(client: RallyClient): Promise<void> {
    rules.start(this.game, authOf(client).id, Date.now());
    await this.ctx.services.trivia.markStarted(this.session.id);
    // Checked again: another `start` may have won while the write was in flight.
    this.openQuestion(rules.start(this.game, authOf(client).id, Date.now()));
  }

  /** Host only, after a close: the next question, or the end of the session after the last. */
  private async nextQuestion(client: RallyClient): Promise<void> {
    if (this.ending) throw new AppError("SESSION_NOT_ACTIVE", "The session is finishing");
    const next = rules.nextQuestion(this.game, authOf(client).id, Date.now());
    if (next.status === "finished") return this.finish(next);
    this.openQuestion(next);
  }

  private answer(client: RallyClient, msg: AnswerMessage): void {
    this.game = rules.answer(this.game, authOf(client).id, msg, Date.now());
    const participant = this.state.participants.get(authOf(client).id);
    if (participant) participant.answered = true;
    this.closeIfEveryoneAnswered();
  }

  /** Stored first (late joiners get the last CHAT_HISTORY_SIZE in `chat_history`), then broadcast. */
  private async chat(client: RallyClient, msg: ChatMessage): Promise<void> {
    const user = authOf(client);
    await this.ctx.services.trivia.saveChat(this.session.id, user, msg.text);
    this.broadcastEvent("chat", { type: "chat", user_id: user.id, data: { text: msg.text } });
  }

  /** Host only: remove a participant, who is closed with CLOSE_ACCESS_ENDED and may not come back. */
  private async kick(client: RallyClient, { userId }: KickMessage): Promise<void> {
    const known = this.state.participants.has(userId) || this.seated.has(userId);
    rules.checkKick(this.game, authOf(client).id, userId, known);
    await this.ctx.services.trivia.kick(this.session.id, userId);
    this.kicked.add(userId);
    const seat = this.seated.get(userId);
    const target = seat ? this.clients.find((c) => c.sessionId === seat) : undefined;
    if (target) {
      this.sendTo(target, "kicked", { session_id: this.session.id, user_id: userId });
      target.leave(CLOSE_ACCESS_ENDED, "removed by the host");
    }
    this.broadcastEvent("participant_kicked", { session_id: this.session.id, user_id: userId });
  }

  // ---- seats --------------------------------------------------------------------------

  async onJoin(client: RallyClient, options: TriviaRoomOptions): Promise<void> {
    const user = authOf(client);
    // joinById skips the matchmaker's filter: the seat must still be this org's and session's.
    if (user.orgId !== this.session.orgId || options.sessionId !== this.session.id) {
      throw new ServerError(404, "Trivia session not found");
    }
    if (this.game.status === "finished" || this.ending) throw new ServerError(409, "The session has finished");
    if (this.seated.has(user.id)) throw new ServerError(409, "You are already in this session");
    if (this.kicked.has(user.id)) throw new ServerError(403, "The host removed you from this session");

    this.seated.set(user.id, client.sessionId);
    if (user.id !== this.session.hostId) this.seatParticipant(user, options.team);
    this.sendTo(client, "connection", {
      message: "Connected to session",
      session_id: this.session.id,
      user_id: user.id,
    });
    this.broadcastEvent("user_joined", this.presencePayload(user.id));
    this.sendTo(client, "session_update", this.sessionUpdate());
    await this.sendChatHistory(client);
  }

  private async sendChatHistory(client: RallyClient): Promise<void> {
    const messages = await this.ctx.services.trivia.recentChat(this.session.id, CHAT_HISTORY_SIZE);
    if (messages.length > 0) this.sendTo(client, "chat_history", { session_id: this.session.id, messages });
  }

  /** The seat is held for the reconnection window; the score stays. */
  onDrop(client: RallyClient, code?: number): void {
    if (!this.kicked.has(authOf(client).id)) super.onDrop(client, code); // a kicked seat is not held

    this.setConnected(authOf(client).id, false);
    this.closeIfEveryoneAnswered();
  }

  onReconnect(client: RallyClient): void {
    this.setConnected(authOf(client).id, true);
  }

  /** Gone for good: a participant stays on the scoreboard (connected=false) and may join again. */
  onLeave(client: RallyClient): void {
    const userId = authOf(client).id;
    if (this.seated.get(userId) !== client.sessionId) return;
    this.seated.delete(userId);
    this.setConnected(userId, false);
    this.broadcastEvent("user_left", this.presencePayload(userId), client);
    this.closeIfEveryoneAnswered();
  }

  async onDispose(): Promise<void> {
    this.stopCountdown();
    await this.interrupt();
  }

  /** Graceful shutdown: keep an in-progress session's scores (status interrupted); the base then closes. */
  protected override beforeShutdown(): Promise<void> {
    return this.interrupt();
  }

  // ---- game flow ---------------------------------------------------------------------

  private openQuestion(game: rules.TriviaGame): void {
    this.game = game;
    const question = rules.currentQuestion(game)!;
    const number = game.index + 1;
    this.state.status = game.status;
    this.state.questionNumber = number;
    this.state.timeRemaining = question.timeLimitSec;
    this.state.revealedAnswerIndex = -1;
    this.state.currentQuestion = new TriviaQuestionView({
      id: question.id,
      number,
      text: question.text,
      choices: [...question.choices] as never,
      deadline: game.deadline,
    });
    this.state.participants.forEach((p) => (p.answered = false));

    this.broadcastEvent("question_started", {
      data: {
        question_id: question.id,
        question_number: number,
        text: question.text,
        choices: question.choices,
        time_limit_sec: question.timeLimitSec,
      },
    });
    this.broadcastEvent("session_update", this.sessionUpdate());

    this.stopCountdown();
    this.secondsLeft = question.timeLimitSec;
    this.countdown = this.clock.setInterval(() => this.tick(), 1000);
  }

  /** Once a second while a question runs: the countdown, and the close at zero. */
  private tick(): void {
    if (this.game.status !== "question_active") return this.stopCountdown();
    this.secondsLeft--;
    if (this.secondsLeft <= 0) return this.closeQuestion();
    this.state.timeRemaining = this.secondsLeft;
    this.broadcastEvent("session_update", this.sessionUpdate());
  }

  private closeIfEveryoneAnswered(): void {
    const present = [...this.state.participants.values()].filter((p) => p.connected).map((p) => p.userId);
    if (rules.everyoneAnswered(this.game, present)) this.closeQuestion();
  }

  /** Score the question, then (only now) reveal its answer and the scores. */
  private closeQuestion(): void {
    // Once the outcome is saved (interrupted), nothing more is scored or announced.
    if (this.game.status !== "question_active" || this.ended) return;
    this.stopCountdown();
    const { game, question } = rules.closeQuestion(this.game);
    this.game = game;
    this.state.status = game.status;
    this.state.timeRemaining = 0;
    this.state.revealedAnswerIndex = question.answerIndex;
    this.state.participants.forEach((p) => (p.score = game.scores[p.userId] ?? 0));
    const teams = this.refreshTeams();

    this.broadcastEvent("question_closed", { data: { question_id: question.id, correct_index: question.answerIndex } });
    this.state.participants.forEach((p) =>
      this.broadcastEvent("score_update", {
        data: { user_id: p.userId, team: p.team || null, score: p.score, question_id: question.id },
      }),
    );
    for (const [team, score] of teams) {
      this.broadcastEvent("score_update", { data: { user_id: null, team, score, question_id: question.id } });
    }
    this.broadcastEvent("session_update", this.sessionUpdate());
  }

  /** The results are written before `finished` is announced; a failed write leaves the session as it was. */
  private async finish(finished: rules.TriviaGame): Promise<void> {
    this.ending = this.saveOutcome(finished, "finished");
    try {
      await this.ending;
    } catch (e) {
      this.ending = undefined;
      throw e;
    }
    this.ended = true;
    this.game = finished;
    this.state.status = finished.status;
    this.state.timeRemaining = 0;
    this.broadcastEvent("session_update", this.sessionUpdate());
  }

  /** A started session that ends without finishing keeps its scores so far, as `interrupted`. */
  private async interrupt(): Promise<void> {
    await this.ending?.catch(() => undefined);
    if (this.ended || !this.game || this.game.status === "lobby") return;
    this.ended = true;
    try {
      await this.saveOutcome(this.game, "interrupted");
    } catch (err) {
      logger.error({ err, sessionId: this.session.id }, "could not save an interrupted trivia session");
    }
  }

  private saveOutcome(game: rules.TriviaGame, status: "finished" | "interrupted"): Promise<void> {
    const entries = [...this.state.participants.values()].map((p) => ({
      userId: p.userId,
      username: p.username,
      team: p.team || null,
      score: game.scores[p.userId] ?? 0,
    }));
    return this.ctx.services.trivia.saveOutcome(this.session.id, {
      status,
      scoreboard: rules.rankScoreboard(entries),
      answers: game.answers,
    });
  }

  private stopCountdown(): void {
    this.countdown?.clear();
    this.countdown = undefined;
  }

  // ---- helpers ------------------------------------------------------------------------

  /** A new participant, or one coming back (their score and first team are kept). */
  private seatParticipant(user: AuthUser, team: string | undefined): void {
    const existing = this.state.participants.get(user.id);
    if (existing) {
      existing.connected = true;
      return;
    }
    this.state.participants.set(
      user.id,
      new TriviaParticipant({
        userId: user.id,
        username: user.username,
        team: team ?? "",
        score: 0,
        connected: true,
        answered: false,
      }),
    );
    this.refreshTeams();
  }

  private setConnected(userId: string, connected: boolean): void {
    const participant = this.state.participants.get(userId);
    if (participant) participant.connected = connected;
  }

  /** Team totals from the published scores (so they too change only when a question closes). */
  private refreshTeams(): Map<string, number> {
    const totals = rules.teamTotals(
      [...this.state.participants.values()].map((p) => ({ team: p.team, score: p.score })),
    );
    for (const [team, score] of totals) {
      if (this.state.teams.get(team) !== score) this.state.teams.set(team, score);
    }
    return totals;
  }

  private presencePayload(userId: string) {
    return { user_id: userId, session_id: this.session.id, participant_count: this.seated.size };
  }

  private sessionUpdate() {
    return {
      data: {
        state: this.game.status,
        question_number: this.state.questionNumber,
        time_remaining: this.state.timeRemaining,
      },
    };
  }
}
