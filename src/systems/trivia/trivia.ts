import { AppError } from "../../errors";
import type { AuthUser } from "../../auth/tokens";
import { jsonColumn, type Queryable } from "../../db";
import type { CreateSessionBody } from "./protocol";
import type { TriviaQuestion } from "./rules";
import type { Infra } from "../../services/infra";
import type { OrgsService } from "../identity/orgs";
import { isUuid } from "../../db/uuid";
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

const SESSION_COLUMNS = `s.id, s.org_id, s.host_id, s.title, s.status, s.created_at,
  (SELECT count(*)::int FROM trivia_questions q WHERE q.session_id = s.id) AS question_count`;

/**
 * Trivia sessions and their questions (results are TriviaResultsService's, chat
 * TriviaChatService's). Every read is scoped to the caller's
 * organization: another org's session is indistinguishable from an unknown one.
 */
export class TriviaService {
  constructor(private readonly deps: Pick<Infra, "db" | "rooms" | "now"> & { orgs: OrgsService }) {}

  /**
   * The org a trivia request is about: the token's `org_id`, and only while the caller is
   * still a member of it (membership, not the claim alone, grants access).
   */
  async requireOrg(user: AuthUser): Promise<string> {
    if (!user.orgId) throw new AppError("FORBIDDEN", "token has no org_id: trivia sessions belong to an organization");
    await this.deps.orgs.requireMember(user.orgId, user.id);
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
}
