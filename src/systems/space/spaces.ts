import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import type { Infra } from "../../services/infra";
import { isUuid } from "../../db/uuid";
import type { SpaceRole } from "./rules";
import type { CreateSpaceInput } from "./protocol";
import { decodeCursor, pageOf, timestampKey, type Page } from "../../http/paging";

export interface Space {
  id: string;
  name: string;
  capacity: number;
  width: number;
  height: number;
  /** Half the side of each avatar's square view; null = the server's SPACE_VIEW_RADIUS; 0 = unlimited. */
  viewRadius: number | null;
  ownerId: string;
  createdAt: string;
}

/** A space as its member sees it in `/api/spaces`. */
export interface MySpace extends Space {
  role: SpaceRole;
  memberCount: number;
}

interface SpaceRow {
  id: string;
  name: string;
  capacity: number;
  width: number;
  height: number;
  view_radius: number | null;
  owner_id: string;
  created_at: Date | string;
}

const SPACE_COLUMNS = "s.id, s.name, s.capacity, s.width, s.height, s.view_radius, s.owner_id, s.created_at";

const iso = (d: Date | string) => new Date(d).toISOString();

const toSpace = (r: SpaceRow): Space => ({
  id: r.id,
  name: r.name,
  capacity: r.capacity,
  width: r.width,
  height: r.height,
  viewRadius: r.view_radius,
  ownerId: r.owner_id,
  createdAt: iso(r.created_at),
});

/**
 * Spaces themselves, shared by the REST routes and the `space` room: creating one, a user's
 * list, and who may enter. Members are SpaceMembersService's (members.ts), invites
 * SpaceInvitesService's and SpaceInviteAnswersService's.
 */
export class SpacesService {
  constructor(private readonly deps: Pick<Infra, "db">) {}

  /** Create a space; its creator becomes its admin and first member, in one transaction. */
  async create(ownerId: string, input: CreateSpaceInput): Promise<MySpace> {
    return this.deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<SpaceRow>(
        `INSERT INTO spaces (name, capacity, width, height, view_radius, owner_id)
         VALUES ($1, $2, COALESCE($3, 1000), COALESCE($4, 1000), $5, $6)
         RETURNING id, name, capacity, width, height, view_radius, owner_id, created_at`,
        [input.name, input.capacity, input.width ?? null, input.height ?? null, input.viewRadius ?? null, ownerId],
      );
      const space = toSpace(rows[0]!);
      await tx.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'admin')", [
        space.id,
        ownerId,
      ]);
      return { ...space, role: "admin", memberCount: 1 };
    });
  }

  /**
   * The spaces the user is a member of, newest first, paged. The cursor keeps created_at as
   * Postgres prints it (microseconds), so a page boundary never repeats or skips a row.
   */
  async listForUser(userId: string, page: { limit: number; cursor?: string }): Promise<Page<MySpace>> {
    const after = decodeCursor(page.cursor);
    const { rows } = await this.deps.db.query<
      SpaceRow & { role: SpaceRole; member_count: number; created_key: string }
    >(
      `SELECT ${SPACE_COLUMNS}, s.created_at::text AS created_key, m.role,
              (SELECT count(*)::int FROM space_members c WHERE c.space_id = s.id) AS member_count
         FROM space_members m JOIN spaces s ON s.id = m.space_id
        WHERE m.user_id = $1 AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2::timestamptz, $3::uuid))
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT $4`,
      [userId, timestampKey(after), after && isUuid(after.id) ? after.id : null, page.limit + 1],
    );
    const keyed = rows.map((r) => ({
      space: { ...toSpace(r), role: r.role, memberCount: r.member_count },
      key: r.created_key,
    }));
    const paged = pageOf(keyed, page.limit, (r) => ({ key: r.key, id: r.space.id }));
    return { items: paged.items.map((r) => r.space), nextCursor: paged.nextCursor };
  }

  async get(spaceId: string, db: Queryable = this.deps.db): Promise<Space | null> {
    if (!isUuid(spaceId)) return null;
    const { rows } = await db.query<SpaceRow>(`SELECT ${SPACE_COLUMNS} FROM spaces s WHERE s.id = $1`, [spaceId]);
    return rows[0] ? toSpace(rows[0]) : null;
  }

  /** The ids of the space's members, or null when it has more than `max` (a live room's MemberSnapshot). */
  async memberIds(spaceId: string, max: number): Promise<string[] | null> {
    const { rows } = await this.deps.db.query<{ user_id: string }>(
      "SELECT user_id FROM space_members WHERE space_id = $1 LIMIT $2",
      [spaceId, max + 1],
    );
    return rows.length > max ? null : rows.map((r) => r.user_id);
  }

  /** The space, if the user is one of its members: SPACE_NOT_FOUND, else NO_ACCESS. */
  async requireMember(spaceId: string, userId: string): Promise<{ space: Space; role: SpaceRole }> {
    if (!isUuid(spaceId)) throw new AppError("SPACE_NOT_FOUND");
    const { rows } = await this.deps.db.query<SpaceRow & { role: SpaceRole | null }>(
      `SELECT ${SPACE_COLUMNS}, m.role
         FROM spaces s LEFT JOIN space_members m ON m.space_id = s.id AND m.user_id = $2
        WHERE s.id = $1`,
      [spaceId, userId],
    );
    const row = rows[0];
    if (!row) throw new AppError("SPACE_NOT_FOUND");
    if (!row.role) throw new AppError("NO_ACCESS");
    return { space: toSpace(row), role: row.role };
  }
}
