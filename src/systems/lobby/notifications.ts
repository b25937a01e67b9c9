import { AppError } from "../../errors";
import { LobbyEvent } from "./protocol";
import { jsonColumn, type Queryable } from "../../db";
import type { ServiceDeps } from "../../services/deps";
import { pageOf, type Page } from "../../http/paging";
import { timeCursor, type PageRequest } from "../../http/keyset";
import { isUuid } from "../identity/users";

export type NotificationStatus = "unread" | "read" | "dismissed";
export type NotificationType = "invites" | "updates";

export interface Notification {
  id: string;
  userId: string;
  type: NotificationType;
  kind: string;
  title: string;
  message: string;
  data: Record<string, unknown>;
  status: NotificationStatus;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

export interface NewNotification {
  userId: string;
  type: NotificationType;
  /** What it is about: game_invitation, space_invite, new_match, … */
  kind: string;
  title: string;
  message: string;
  data?: Record<string, unknown>;
  expiresAt?: Date | null;
  /** Shown in the live `notification` event (the source format). */
  sender?: { username: string; avatarUrl: string | null };
}

interface Row {
  id: string;
  user_id: string;
  type: NotificationType;
  kind: string;
  title: string;
  message: string;
  data: Record<string, unknown> | string;
  status: NotificationStatus;
  is_active: boolean;
  created_at: Date | string;
  updated_at: Date | string;
  expires_at: Date | string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export const toNotification = (r: Row): Notification => ({
  id: r.id,
  userId: r.user_id,
  type: r.type,
  kind: r.kind,
  title: r.title,
  message: r.message,
  data: jsonColumn(r.data),
  status: r.status,
  isActive: r.is_active,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  expiresAt: r.expires_at ? iso(r.expires_at) : null,
});

/**
 * The one notification store (lobby, space invites, matches all write here). `create` takes
 * an optional transaction so the row commits with the thing it announces; `push` tells the
 * user's lobby afterwards (the lobby recounts `unread` and forwards `notification`).
 */
export class NotificationsService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(n: NewNotification, db: Queryable = this.deps.db): Promise<Notification> {
    const { rows } = await db.query<Row>(
      `INSERT INTO notifications (user_id, type, kind, title, message, data, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING *`,
      [n.userId, n.type, n.kind, n.title, n.message, JSON.stringify(n.data ?? {}), n.expiresAt ?? null],
    );
    return toNotification(rows[0]!);
  }

  /** Push a stored notification live, in the source's `notification` format. */
  async push(n: Notification, sender?: { username: string; avatarUrl: string | null }): Promise<void> {
    await this.deps.delivery.toUser(n.userId, LobbyEvent.notification, {
      id: n.id,
      type: n.kind,
      avatar: sender?.avatarUrl ?? null,
      message: n.message,
      timestamp: n.createdAt,
      isNew: n.status === "unread",
      senderUsername: sender?.username ?? null,
    });
  }

  /** The user's notifications, newest first, optionally of one status; paged. */
  async list(userId: string, opts: { status?: NotificationStatus } & PageRequest): Promise<Page<Notification>> {
    const after = timeCursor(opts.cursor);
    const { rows } = await this.deps.db.query<Row & { sort_key: string }>(
      `SELECT *, created_at::text AS sort_key FROM notifications
        WHERE user_id = $1 AND ($3::text IS NULL OR status = $3::text)
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [userId, opts.limit + 1, opts.status ?? null, after?.key ?? null, after?.id ?? null],
    );
    const paged = pageOf(rows, opts.limit, (r) => ({ key: r.sort_key, id: r.id }));
    return { items: paged.items.map(toNotification), nextCursor: paged.nextCursor };
  }

  async get(id: string, db: Queryable = this.deps.db): Promise<Notification | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<Row>("SELECT * FROM notifications WHERE id = $1", [id]);
    return rows[0] ? toNotification(rows[0]) : null;
  }

  async unreadCount(userId: string): Promise<number> {
    const { rows } = await this.deps.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND status = 'unread'",
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Set the status of the caller's own notifications. Ids that are not the caller's are
   * NOT_FOUND, and then nothing changes. Returns the updated rows and tells the lobby.
   */
  async setStatus(userId: string, ids: string[], status: "read" | "dismissed"): Promise<Notification[]> {
    if (ids.some((id) => !isUuid(id))) throw new AppError("NOT_FOUND", "Notification not found");
    const updated = await this.deps.db.transaction(async (tx) => {
      const { rows: owned } = await tx.query<{ id: string }>(
        "SELECT id FROM notifications WHERE user_id = $1 AND id = ANY($2::uuid[]) FOR UPDATE",
        [userId, ids],
      );
      if (owned.length !== new Set(ids).size) throw new AppError("NOT_FOUND", "Notification not found");
      const { rows } = await tx.query<Row>(
        "UPDATE notifications SET status = $3, updated_at = now() WHERE user_id = $1 AND id = ANY($2::uuid[]) RETURNING *",
        [userId, ids, status],
      );
      return rows.map(toNotification);
    });
    await this.deps.delivery.toUser(userId, LobbyEvent.notificationsChanged, { ids, status });
    return updated;
  }

  /**
   * Mark as read the user's unread notifications of `kind` whose data contains `ref` (e.g.
   * `{invitationId}`): answering what a notification announces reads it. Tells the lobby
   * when anything changed; returns the ids.
   */
  async readByReference(userId: string, kind: string, ref: Record<string, unknown>): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ id: string }>(
      `UPDATE notifications SET status = 'read', updated_at = now()
        WHERE user_id = $1 AND kind = $2 AND status = 'unread' AND data @> $3::jsonb
        RETURNING id`,
      [userId, kind, JSON.stringify(ref)],
    );
    const ids = rows.map((r) => r.id);
    if (ids.length) await this.deps.delivery.toUser(userId, LobbyEvent.notificationsChanged, { ids, status: "read" });
    return ids;
  }
}
