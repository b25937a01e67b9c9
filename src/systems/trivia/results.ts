import { logger } from "../../logger";
import { rankScoreboard, scoreOf, type TriviaGame } from "./rules";
import type { TriviaOutcome, TriviaService } from "./trivia";

/** What a session's end stores: every player ranked by their closed questions' score, and every scored answer. */
export function outcomeOf(game: TriviaGame, status: TriviaOutcome["status"]): TriviaOutcome {
  const entries = game.players.map((p) => ({
    userId: p.userId,
    username: p.username,
    team: p.team || null,
    score: scoreOf(game, p.userId),
  }));
  return { status, scoreboard: rankScoreboard(entries), answers: game.answers };
}

/**
 * A session's end, stored once (one per room). `finish` writes `finished` and resolves only
 * when it is stored, so the room announces nothing before; a failed write leaves the session
 * as it was, for the host to retry. `interrupt` keeps a started session's scores so far when
 * the room closes first (shutdown, everyone gone), after any finish in flight.
 */
export class SessionEnding {
  /** The finish write in flight or done: the session takes no more moves or seats. */
  private finishing?: Promise<void>;
  private stored = false;
  private stoppedEarly = false;

  constructor(
    private readonly store: Pick<TriviaService, "saveOutcome">,
    private readonly sessionId: string,
  ) {}

  /** A finish is being written, or was. */
  get underway(): boolean {
    return this.finishing !== undefined;
  }

  /** The session was saved as interrupted: nothing more is scored or announced. */
  get interrupted(): boolean {
    return this.stoppedEarly;
  }

  async finish(game: TriviaGame): Promise<void> {
    this.finishing = this.store.saveOutcome(this.sessionId, outcomeOf(game, "finished"));
    try {
      await this.finishing;
    } catch (e) {
      this.finishing = undefined;
      throw e;
    }
    this.stored = true;
  }

  /** `current` is read after any finish in flight has settled. */
  async interrupt(current: () => TriviaGame | undefined): Promise<void> {
    await this.finishing?.catch(() => undefined);
    const game = current();
    if (this.stored || !game || game.status === "lobby") return;
    this.stored = this.stoppedEarly = true;
    try {
      await this.store.saveOutcome(this.sessionId, outcomeOf(game, "interrupted"));
    } catch (err) {
      logger.error({ err, sessionId: this.sessionId }, "could not save an interrupted trivia session");
    }
  }
}
