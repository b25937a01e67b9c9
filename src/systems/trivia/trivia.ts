import { AppError } from "../../errors";
import type { AuthUser } from "../../auth/tokens";
import { jsonColumn, type Queryable } from "../../db";
import type { CreateSessionBody, TriviaChatMessage } from "./protocol";
import { teamTotals, type ScoredAnswer, type TriviaQuestion } from "./rules";
import type { ServiceDeps } from "../../services/deps";
import { isUuid } from "../identity/users";
import { decodeCursor, pageOf, timestampKey, type Page } from "../../http/paging";

/** A session's lifecycle in the database (the room's finer states live in its state). */
export type TriviaSessionStatus = "lobby" | "in_progress" | "finished" | "interrupted";

export interface TriviaSession {
  id: string;
  orgId: string;
  hostId: string;
  title: string;
  status: TriviaSessionStatus;
  questionCount: number;
  createdAt: string;
}

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

interface SessionRow {
  id: string;
  org_id: string;
  host_id: string;
  title: string;
  status: TriviaSessionStatus;
  question_count: number;
  created_at: Date | string;
}

interface QuestionRow {
  id: string;
  text: string;
  choices: string[] | string;
  answer_index: number;
  time_limit_sec: number;
}

const toSession = (r: SessionRow): TriviaSession => ({
  id: r.id,
  orgId: r.org_id,
  hostId: r.host_id,
  title: r.title,
  status: r.status,
  questionCount: Number(r.question_count),
  createdAt: new Date(r.created_at).toISOString(),
});

interface ChatRow {
  id: string | number;
  user_id: string;
  username: string;
  text: string;
  created_at: Date | string;
}

const toChat = (r: ChatRow): TriviaChatMessage => ({
  id: String(r.id),
  user_id: r.user_id,
  username: r.username,
  data: { text: r.text },
  created_at: new Date(r.created_at).toISOString(),
});

const SESSION_COLUMNS = `s.id, s.org_id, s.host_id, s.title, s.status, s.created_at,
  (SELECT count(*)::int FROM trivia_questions q WHERE q.session_id = s.id) AS question_count`;

/**
 * Trivia sessions, their questions and their results. Every read is scoped to the caller's
 * organization: another org's session is indistinguishable from an unknown one.
 */
export class TriviaService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * The org a trivia request is about: the token's `org_id`, and only while the caller is
   * still a member of it (membership, not the claim alone, grants access).
   */
  async requireOrg(user: AuthUser): Promise<string> {
    if (!user.orgId) throw new AppError("FORBIDDEN", "token has no org_id: trivia sessions belong to an organization");
    await this.deps.services.orgs.requireMember(user.orgId, user.id);
    return user.orgId;
  }

  /** Store a session with its questions in the creator's organization; the creator hosts it. */
  async create(creator: AuthUser, input: CreateSessionBody): Promise<TriviaSession> {
    const orgId = await this.requireOrg(creator);
    return this.deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO trivia_sessions (org_id, host_id, title, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
        [orgId, creator.id, input.title, this.deps.now()],
      );
      const sessionId = rows[0]!.id;
      for (const [i, q] of input.questions.entries()) {
        await tx.query(
          `INSERT INTO trivia_questions (session_id, position, text, choices, answer_index, time_limit_sec)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6)`,
          [sessionId, i + 1, q.text, JSON.stringify(q.choices), q.answerIndex, q.timeLimitSec],
        );
      }
      return (await this.find(orgId, sessionId, tx))!;
    });
  }

  /** The session if it exists in `orgId`; null for an unknown id, a malformed id or another org's. */
  async find(orgId: string, sessionId: string, db: Queryable = this.deps.db): Promise<TriviaSession | null> {
    if (!isUuid(sessionId)) return null;
    const { rows } = await db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM trivia_sessions s WHERE s.id = $1 AND s.org_id = $2`,
      [sessionId, orgId],
    );
    return rows[0] ? toSession(rows[0]) : null;
  }

  async require(orgId: string, sessionId: string): Promise<TriviaSession> {
    const session = await this.find(orgId, sessionId);
    if (!session) throw new AppError("NOT_FOUND", "Trivia session not found");
    return session;
  }

  /** The session and its questions, answers included: for the room only, never for a client. */
  async loadForRoom(
    orgId: string,
    sessionId: string,
  ): Promise<{ session: TriviaSession; questions: TriviaQuestion[] } | null> {
    const session = await this.find(orgId, sessionId);
    if (!session) return null;
    const { rows } = await this.deps.db.query<QuestionRow>(
      `SELECT id, text, choices, answer_index, time_limit_sec FROM trivia_questions WHERE session_id = $1 ORDER BY position`,
      [sessionId],
    );
    const questions = rows.map((r) => ({
      id: r.id,
      text: r.text,
      choices: jsonColumn(r.choices),
      answerIndex: r.answer_index,
      timeLimitSec: r.time_limit_sec,
    }));
    return { session, questions };
  }

  /**
   * The host started the session on this process (recorded, so that if the process dies the
   * session can be marked interrupted by another: see `interruptOrphaned`).
   */
  async markStarted(sessionId: string): Promise<void> {
    await this.deps.db.query(
      `UPDATE trivia_sessions SET status = 'in_progress', started_at = $2, process_id = $3
        WHERE id = $1 AND status IN ('lobby', 'in_progress')`,
      [sessionId, this.deps.now(), this.deps.rooms.processId],
    );
  }

  /**
   * Sessions left in_progress by a process that is gone (crashed, killed) will never finish:
   * mark them interrupted. Run at start and periodically by every process. Returns their ids.
   */
  async interruptOrphaned(aliveProcessIds: Set<string>): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ id: string }>(
      `UPDATE trivia_sessions SET status = 'interrupted', ended_at = $2
        WHERE status = 'in_progress' AND (process_id IS NULL OR NOT (process_id = ANY($1::text[])))
        RETURNING id`,
      [[...aliveProcessIds], this.deps.now()],
    );
    return rows.map((r) => r.id);
  }

  /** `GET /api/trivia/sessions?status=`: the org's sessions, newest first, paged. */
  async list(
    orgId: string,
    opts: { status?: TriviaSessionStatus; limit: number; cursor?: string },
  ): Promise<Page<TriviaSession>> {
    const after = decodeCursor(opts.cursor);
    const { rows } = await this.deps.db.query<SessionRow & { created_key: string }>(
      `SELECT ${SESSION_COLUMNS}, s.created_at::text AS created_key
         FROM trivia_sessions s
        WHERE s.org_id = $1 AND ($2::text IS NULL OR s.status = $2::text)
          AND ($3::timestamptz IS NULL OR (s.created_at, s.id) < ($3::timestamptz, $4::uuid))
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT $5`,
      [orgId, opts.status ?? null, timestampKey(after), after && isUuid(after.id) ? after.id : null, opts.limit + 1],
    );
    const page = pageOf(rows, opts.limit, (r) => ({ key: r.created_key, id: r.id }));
    return { items: page.items.map(toSession), nextCursor: page.nextCursor };
  }

  /** The host removed `userId`: they may not join this session again. */
  async kick(sessionId: string, userId: string): Promise<void> {
    await this.deps.db.query(`INSERT INTO trivia_kicked (session_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      sessionId,
      userId,
    ]);
  }

  async isKicked(sessionId: string, userId: string): Promise<boolean> {
    const { rows } = await this.deps.db.query(`SELECT 1 FROM trivia_kicked WHERE session_id = $1 AND user_id = $2`, [
      sessionId,
      userId,
    ]);
    return rows.length > 0;
  }

  /** Store a chat message (before it is broadcast). */
  async saveChat(sessionId: string, user: { id: string; username: string }, text: string): Promise<TriviaChatMessage> {
    const { rows } = await this.deps.db.query<ChatRow>(
      `INSERT INTO trivia_chat (session_id, user_id, username, text) VALUES ($1, $2, $3, $4)
       RETURNING id, user_id, username, text, created_at`,
      [sessionId, user.id, user.username, text],
    );
    return toChat(rows[0]!);
  }

  /** The last `count` chat messages of a session, oldest first. */
  async recentChat(sessionId: string, count: number): Promise<TriviaChatMessage[]> {
    const { rows } = await this.deps.db.query<ChatRow>(
      `SELECT id, user_id, username, text, created_at FROM trivia_chat WHERE session_id = $1 ORDER BY id DESC LIMIT $2`,
      [sessionId, count],
    );
    return rows.reverse().map(toChat);
  }

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
    const session = await this.require(orgId, sessionId);
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
