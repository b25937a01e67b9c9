import type { Infra } from "../../services/infra";
import { teamTotals, type ScoredAnswer } from "./rules";
import type { TriviaService, TriviaSessionStatus } from "./trivia";

export interface TriviaResultItem {
  userId: string;
  username: string;
  team: string | null;
  score: number;
  rank: number;
}

export interface TriviaResults {
  id: string;
  status: TriviaSessionStatus;
  /** The scoreboard, best first; empty until the session has ended. */
  items: TriviaResultItem[];
  /** Team totals, best first (teams are optional, so often empty). */
  teams: Array<{ team: string; score: number }>;
}

/** What the room persists when a session ends. */
export interface TriviaOutcome {
  status: "finished" | "interrupted";
  scoreboard: TriviaResultItem[];
  answers: readonly ScoredAnswer[];
}

/** A trivia session's end as stored (scoreboard and scored answers) and its results as read back. */
export class TriviaResultsService {
  constructor(private readonly deps: Pick<Infra, "db" | "now"> & { trivia: TriviaService }) {}

  /**
   * Write the end of a session in one transaction: its status, the scoreboard and every
   * scored answer. Idempotent (rewrites a previous outcome), so a retry is safe.
   */
  async saveOutcome(sessionId: string, outcome: TriviaOutcome): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM trivia_participants WHERE session_id = $1`, [sessionId]);
      for (const p of outcome.scoreboard) {
        await tx.query(
          `INSERT INTO trivia_participants (session_id, user_id, username, team, score, rank) VALUES ($1, $2, $3, $4, $5, $6)`,
          [sessionId, p.userId, p.username, p.team, p.score, p.rank],
        );
      }
      for (const a of outcome.answers) {
        await tx.query(
          `INSERT INTO trivia_answers (question_id, user_id, session_id, choice_index, correct, points, elapsed_ms, answered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [a.questionId, a.userId, sessionId, a.choiceIndex, a.correct, a.points, a.elapsedMs, new Date(a.answeredAt)],
        );
      }
      await tx.query(`UPDATE trivia_sessions SET status = $2, ended_at = $3 WHERE id = $1`, [
        sessionId,
        outcome.status,
        this.deps.now(),
      ]);
    });
  }

  /** `GET /api/trivia/sessions/:id/results`: the scoreboard once the session has ended. */
  async results(orgId: string, sessionId: string): Promise<TriviaResults> {
    const session = await this.deps.trivia.require(orgId, sessionId);
    const { rows } = await this.deps.db.query<{
      user_id: string;
      username: string;
      team: string | null;
      score: number;
      rank: number;
    }>(
      `SELECT user_id, username, team, score, rank FROM trivia_participants WHERE session_id = $1 ORDER BY rank, username`,
      [sessionId],
    );
    const items = rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      team: r.team,
      score: r.score,
      rank: r.rank,
    }));
    const teams = teamTotals(items);
    return {
      id: session.id,
      status: session.status,
      items,
      teams: [...teams]
        .map(([team, score]) => ({ team, score }))
        .sort((a, b) => b.score - a.score || a.team.localeCompare(b.team)),
    };
  }
}
