import { AppError } from "../../errors";
import { logger } from "../../logger";
import type { Queryable } from "../../db";
import { decodeCursor, pageOf, type Page } from "../../http/paging";
import { capacityRefusal, lastAdminRefusal, type Roster, type SpaceRole } from "./rules";
import { spaceTopic, SpaceTopicEvent, type SpaceTopicEvents, type UpdateSpaceInput } from "./protocol";
import type { ServiceDeps } from "../../services/deps";
import type { Space } from "./spaces";
import { isUuid } from "../identity/users";

/** `GET /api/spaces/:id/members` items. */
export interface SpaceMember {
  userId: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  role: SpaceRole;
  joinedAt: string;
  /** Signed in right now (a lobby open on any process). */
  online: boolean;
}

interface LockedSpace extends Roster {
  space: Space;
  callerRole: SpaceRole;
}

/**
 * Who belongs to a space and how it is set up: members, leaving, removal, roles, settings
 * and deletion. Every change locks the space row (as accepting an invite does), so counts
 * and the last-admin rule hold under concurrency; the live room, on whichever process,
 * hears about it over its delivery topic once the change is committed.
 */
export class SpaceMembersService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Members only; ordered by username (unique, so the cursor is exact). */
  async list(callerId: string, spaceId: string, page: { limit: number; cursor?: string }): Promise<Page<SpaceMember>> {
    await this.deps.services.spaces.requireMember(spaceId, callerId);
    const after = decodeCursor(page.cursor);
    const { rows } = await this.deps.db.query<{
      user_id: string;
      username: string;
      display_name: string | null;
      avatar_url: string | null;
      role: SpaceRole;
      joined_at: Date | string;
    }>(
      `SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.role, m.joined_at
         FROM space_members m JOIN users u ON u.id = m.user_id
        WHERE m.space_id = $1 AND ($2::text IS NULL OR (u.username, m.user_id) > ($2::text, $3::uuid))
        ORDER BY u.username, m.user_id
        LIMIT $4`,
      [spaceId, after ? String(after.key) : null, after && isUuid(after.id) ? after.id : null, page.limit + 1],
    );
    const online = await this.deps.delivery.onlineAmong(rows.map((r) => r.user_id));
    const members = rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
      role: r.role,
      joinedAt: new Date(r.joined_at).toISOString(),
      online: online.has(r.user_id),
    }));
    return pageOf(members, page.limit, (m) => ({ key: m.username, id: m.userId }));
  }

  /** Leave a space. The last admin may not while others remain; the last member's leaving deletes it. */
  async leave(userId: string, spaceId: string): Promise<void> {
    const emptied = await this.deps.db.transaction(async (tx) => {
      const locked = await this.lock(tx, spaceId, userId);
      const refusal = lastAdminRefusal(locked.callerRole, locked);
      if (refusal) throw new AppError(refusal, "You are the last admin: promote someone else before leaving");
      if (locked.members === 1) {
        await this.deleteLocked(tx, spaceId);
        return true;
      }
      await tx.query("DELETE FROM space_members WHERE space_id = $1 AND user_id = $2", [spaceId, userId]);
      return false;
    });
    if (emptied) await this.tellRoom(spaceId, SpaceTopicEvent.spaceDeleted, {});
    else await this.tellRoom(spaceId, SpaceTopicEvent.memberRemoved, { userId, reason: "left" });
  }

  /** An admin removes a member: their live seat is closed and they can no longer join. */
  async remove(adminId: string, spaceId: string, userId: string): Promise<void> {
    if (userId === adminId) return this.leave(adminId, spaceId);
    await this.deps.db.transaction(async (tx) => {
      await this.lockAsAdmin(tx, spaceId, adminId);
      const { rowCount } = await tx.query("DELETE FROM space_members WHERE space_id = $1 AND user_id = $2", [
        spaceId,
        isUuid(userId) ? userId : null,
      ]);
      if (!rowCount) throw new AppError("NOT_SPACE_MEMBER");
    });
    await this.tellRoom(spaceId, SpaceTopicEvent.memberRemoved, { userId, reason: "removed" });
  }

  /** Promote or demote a member; the last admin cannot step down while others remain. */
  async setRole(adminId: string, spaceId: string, userId: string, role: SpaceRole): Promise<SpaceMember> {
    await this.deps.db.transaction(async (tx) => {
      const locked = await this.lockAsAdmin(tx, spaceId, adminId);
      const { rows } = await tx.query<{ role: SpaceRole }>(
        "SELECT role FROM space_members WHERE space_id = $1 AND user_id = $2",
        [spaceId, isUuid(userId) ? userId : null],
      );
      const current = rows[0]?.role;
      if (!current) throw new AppError("NOT_SPACE_MEMBER");
      if (current === role) return;
      const refusal = role === "member" ? lastAdminRefusal(current, locked) : null;
      if (refusal) throw new AppError(refusal, "The last admin cannot step down while others remain");
      await tx.query("UPDATE space_members SET role = $3 WHERE space_id = $1 AND user_id = $2", [
        spaceId,
        userId,
        role,
      ]);
    });
    const page = await this.list(adminId, spaceId, { limit: 100 });
    const member = page.items.find((m) => m.userId === userId);
    if (!member) throw new AppError("NOT_SPACE_MEMBER");
    return member;
  }

  /** Change a space's settings (admin); the live room takes them at once. */
  async update(adminId: string, spaceId: string, input: UpdateSpaceInput): Promise<Space> {
    const space = await this.deps.db.transaction(async (tx) => {
      const locked = await this.lockAsAdmin(tx, spaceId, adminId);
      if (input.capacity !== undefined) {
        const refusal = capacityRefusal(input.capacity, locked.members);
        if (refusal)
          throw new AppError(refusal, `Capacity cannot be below the ${locked.members} members of this space`);
      }
      await tx.query(
        `UPDATE spaces SET name = COALESCE($2, name), capacity = COALESCE($3, capacity),
                width = COALESCE($4, width), height = COALESCE($5, height)
          WHERE id = $1`,
        [spaceId, input.name ?? null, input.capacity ?? null, input.width ?? null, input.height ?? null],
      );
      return (await this.deps.services.spaces.get(spaceId, tx))!;
    });
    const { name, capacity, width, height } = space;
    await this.tellRoom(spaceId, SpaceTopicEvent.spaceUpdated, { name, capacity, width, height });
    return space;
  }

  /** Delete a space (admin): live seats are closed and its pending invites expire. */
  async delete(adminId: string, spaceId: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await this.lockAsAdmin(tx, spaceId, adminId);
      await this.deleteLocked(tx, spaceId);
    });
    await this.tellRoom(spaceId, SpaceTopicEvent.spaceDeleted, {});
  }

  private async deleteLocked(tx: Queryable, spaceId: string): Promise<void> {
    await tx.query(
      `UPDATE notifications SET expires_at = $2, updated_at = now()
        WHERE kind = 'space_invite' AND is_active AND data->>'spaceId' = $1
          AND (expires_at IS NULL OR expires_at > $2)`,
      [spaceId, this.deps.now()],
    );
    await tx.query("DELETE FROM spaces WHERE id = $1", [spaceId]);
  }

  /** Lock the space row and count its roster; the caller must be a member. */
  private async lock(tx: Queryable, spaceId: string, callerId: string): Promise<LockedSpace> {
    if (!isUuid(spaceId)) throw new AppError("SPACE_NOT_FOUND");
    const { rows } = await tx.query<{ id: string }>("SELECT id FROM spaces WHERE id = $1 FOR UPDATE", [spaceId]);
    if (!rows[0]) throw new AppError("SPACE_NOT_FOUND");
    const space = (await this.deps.services.spaces.get(spaceId, tx))!;
    const { rows: counts } = await tx.query<{ members: number; admins: number; caller_role: SpaceRole | null }>(
      `SELECT count(*)::int AS members,
              (count(*) FILTER (WHERE role = 'admin'))::int AS admins,
              max(role) FILTER (WHERE user_id = $2) AS caller_role
         FROM space_members WHERE space_id = $1`,
      [spaceId, callerId],
    );
    const { members, admins, caller_role } = counts[0]!;
    if (!caller_role) throw new AppError("NO_ACCESS");
    return { space, members, admins, callerRole: caller_role };
  }

  private async lockAsAdmin(tx: Queryable, spaceId: string, adminId: string): Promise<LockedSpace> {
    const locked = await this.lock(tx, spaceId, adminId);
    if (locked.callerRole !== "admin") throw new AppError("FORBIDDEN", "Only an admin of this space can do that");
    return locked;
  }

  /** The change is committed: a failed live delivery is logged, the room catches up on the next join. */
  private async tellRoom<K extends keyof SpaceTopicEvents>(
    spaceId: string,
    type: K,
    payload: SpaceTopicEvents[K],
  ): Promise<void> {
    try {
      await this.deps.delivery.toTopic(spaceTopic(spaceId), type, payload);
    } catch (err) {
      logger.warn({ err, spaceId, type }, "space changed but its live room was not told");
    }
  }
}
