import { jsonColumn } from "../../db";
import { AppError, rateLimited } from "../../errors";
import { pageOf, type Page } from "../../http/paging";
import type { ChatMessage } from "../conversation/protocol";
import type { ReportReason } from "./protocol";
import type { ServiceDeps } from "../../services/deps";
import { timeCursor, type PageRequest } from "../../http/keyset";
import { isUuid } from "../identity/users";

export type ReportStatus = "open" | "resolved" | "dismissed" | "withdrawn";

/** How many of the reported user's latest messages a report about a whole conversation keeps. */
export const REPORT_EVIDENCE_MESSAGES = 20;
const RATE_WINDOW_MS = 60 * 60 * 1000;

export interface NewReport {
  userId: string;
  reason: ReportReason;
  conversationId?: string;
  messageId?: number;
  note?: string;
}

/** A stored message, as it was when reported. */
export interface EvidenceMessage {
  id: number;
  conversationId: string;
  senderId: string;
  content: string;
  createdAt: string;
}

export interface Report {
  id: string;
  reporter: { id: string; username: string };
  reported: { id: string; username: string };
  reason: ReportReason;
  note: string | null;
  conversationId: string | null;
  messageId: number | null;
  evidence: EvidenceMessage[];
  status: ReportStatus;
  resolutionNote: string | null;
  resolvedBy: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

interface Row {
  id: string;
  reporter_id: string;
  reporter_username: string;
  reported_id: string;
  reported_username: string;
  reason: ReportReason;
  note: string | null;
  conversation_id: string | null;
  message_id: string | number | null;
  evidence: EvidenceMessage[] | string;
  status: ReportStatus;
  resolution_note: string | null;
  resolved_by: string | null;
  created_at: Date | string;
  resolved_at: Date | string | null;
  sort_key: string;
}

const SELECT = `
  SELECT r.*, r.created_at::text AS sort_key, a.username AS reporter_username, b.username AS reported_username
    FROM reports r JOIN users a ON a.id = r.reporter_id JOIN users b ON b.id = r.reported_id`;

const toReport = (r: Row): Report => ({
  id: r.id,
  reporter: { id: r.reporter_id, username: r.reporter_username },
  reported: { id: r.reported_id, username: r.reported_username },
  reason: r.reason,
  note: r.note,
  conversationId: r.conversation_id,
  messageId: r.message_id === null ? null : Number(r.message_id),
  evidence: jsonColumn(r.evidence),
  status: r.status,
  resolutionNote: r.resolution_note,
  resolvedBy: r.resolved_by,
  createdAt: new Date(r.created_at).toISOString(),
  resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
});

const toEvidence = (m: ChatMessage): EvidenceMessage => ({
  id: m.id,
  conversationId: m.conversation_id,
  senderId: m.sender.id,
  content: m.content,
  createdAt: m.created_at,
});

const notFound = () => new AppError("NOT_FOUND", "Report not found");

/**
 * Reports of users to the operators. A report keeps a snapshot of the reported message(s)
 * in `evidence`, so deleting them later erases nothing. Each reporter has a budget
 * (`REPORTS_PER_HOUR`) and one open report per target; operators list and resolve them.
 */
export class ReportsService {
  constructor(private readonly deps: ServiceDeps) {}

  async file(reporterId: string, input: NewReport): Promise<Report> {
    const { users } = this.deps.services;
    if (input.userId.toLowerCase() === reporterId.toLowerCase())
      throw new AppError("INVALID_REQUEST", "userId: you cannot report yourself");
    const reported = await users.require(input.userId);
    const evidence = await this.evidenceFor(reporterId, reported.id, input);
    const limit = this.deps.config.REPORTS_PER_HOUR;
    const now = this.deps.now();
    try {
      const id = await this.deps.db.transaction(async (tx) => {
        // One reporter's reports are decided one at a time, so the budget cannot be raced past.
        await tx.query("SELECT pg_advisory_xact_lock(727303, hashtext($1))", [reporterId]);
        if (limit > 0) {
          const { rows } = await tx.query<{ n: number; oldest: Date | null }>(
            "SELECT count(*)::int AS n, min(created_at) AS oldest FROM reports WHERE reporter_id = $1 AND created_at > $2",
            [reporterId, new Date(now.getTime() - RATE_WINDOW_MS)],
          );
          const { n = 0, oldest = null } = rows[0] ?? {};
          if (n >= limit) {
            // Room for one more when the oldest report of the window leaves it.
            const retryAfterMs = oldest ? new Date(oldest).getTime() + RATE_WINDOW_MS - now.getTime() : RATE_WINDOW_MS;
            throw rateLimited(retryAfterMs / 1000, `At most ${limit} reports an hour`);
          }
        }
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO reports (reporter_id, reported_id, reason, note, conversation_id, message_id, evidence, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING id`,
          [
            reporterId,
            reported.id,
            input.reason,
            input.note ?? null,
            input.conversationId ?? null,
            input.messageId ?? null,
            JSON.stringify(evidence),
            now,
          ],
        );
        return rows[0]!.id;
      });
      return (await this.get(id))!;
    } catch (e) {
      if ((e as { code?: string }).code === "23505") throw new AppError("DUPLICATE_REPORT");
      throw e;
    }
  }

  /** The reporter withdraws their own open report; anyone else's is NOT_FOUND. */
  async withdraw(reporterId: string, reportId: string): Promise<Report> {
    if (!isUuid(reportId)) throw notFound();
    const { rows } = await this.deps.db.query<{ id: string }>(
      "UPDATE reports SET status = 'withdrawn', resolved_at = $3 WHERE id = $1 AND reporter_id = $2 AND status = 'open' RETURNING id",
      [reportId, reporterId, this.deps.now()],
    );
    if (!rows[0]) {
      const current = await this.get(reportId);
      if (current && current.reporter.id === reporterId)
        throw new AppError("CONFLICT", `The report is already ${current.status}`);
      throw notFound();
    }
    return (await this.get(reportId))!;
  }

  /** Operators: reports newest first, optionally of one status, paged. */
  async list(filter: { status?: ReportStatus } & PageRequest): Promise<Page<Report>> {
    const after = timeCursor(filter.cursor);
    const { rows } = await this.deps.db.query<Row>(
      `${SELECT}
        WHERE ($2::text IS NULL OR r.status = $2::text)
          AND ($3::timestamptz IS NULL OR (r.created_at, r.id) < ($3::timestamptz, $4::uuid))
        ORDER BY r.created_at DESC, r.id DESC LIMIT $1`,
      [filter.limit + 1, filter.status ?? null, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, filter.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return { items: paged.items.map(toReport), nextCursor: paged.nextCursor };
  }

  /** Operators close an open report as `resolved` or `dismissed`. */
  async resolve(
    reportId: string,
    outcome: { status: "resolved" | "dismissed"; note?: string; by: string },
  ): Promise<Report> {
    if (!isUuid(reportId)) throw notFound();
    const { rows } = await this.deps.db.query<{ id: string }>(
      `UPDATE reports SET status = $2, resolution_note = $3, resolved_by = $4, resolved_at = $5
        WHERE id = $1 AND status = 'open' RETURNING id`,
      [reportId, outcome.status, outcome.note ?? null, outcome.by, this.deps.now()],
    );
    if (!rows[0]) {
      const current = await this.get(reportId);
      if (!current) throw notFound();
      throw new AppError("CONFLICT", `The report is already ${current.status}`);
    }
    return (await this.get(reportId))!;
  }

  async get(id: string): Promise<Report | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.deps.db.query<Row>(`${SELECT} WHERE r.id = $1`, [id]);
    return rows[0] ? toReport(rows[0]) : null;
  }

  /**
   * The snapshot: the named message, or the reported user's latest messages in the named
   * conversation. Both users must be in that conversation, and the message in it (else 404).
   */
  private async evidenceFor(reporterId: string, reportedId: string, input: NewReport): Promise<EvidenceMessage[]> {
    if (input.messageId !== undefined && input.conversationId === undefined) {
      throw new AppError("INVALID_REQUEST", "conversationId: required with messageId");
    }
    if (input.conversationId === undefined) return [];
    const conversationNotFound = () => new AppError("NOT_FOUND", "Conversation not found");
    const { rows: members } = await this.deps.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM conversation_participants WHERE conversation_id = $1 AND user_id = ANY($2::uuid[])",
      [input.conversationId, [reporterId, reportedId]],
    );
    if ((members[0]?.n ?? 0) < 2) throw conversationNotFound();
    if (input.messageId !== undefined) {
      const message = await this.deps.services.conversations.messageById(input.messageId);
      if (!message || message.conversation_id !== input.conversationId) {
        throw new AppError("NOT_FOUND", "messageId: no such message in this conversation");
      }
      return [toEvidence(message)];
    }
    const latest = await this.deps.services.conversations.latestFrom(
      input.conversationId,
      reportedId,
      REPORT_EVIDENCE_MESSAGES,
    );
    return latest.map(toEvidence);
  }
}
