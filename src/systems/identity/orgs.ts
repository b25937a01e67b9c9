import crypto from "node:crypto";
import { SessionEvent, userSessionsTopic } from "./protocol";
import { AppError } from "../../errors";
import type { Queryable } from "../../db";
import { decodeCursor, pageOf, type Page } from "../../http/paging";
import type { ServiceDeps } from "../../services/deps";
import { isUuid } from "./users";

export type OrgRole = "owner" | "admin" | "member";

export interface Org {
  id: string;
  name: string;
  role: OrgRole;
  joinedAt: string;
}

export interface OrgMember {
  userId: string;
  username: string;
  displayName: string | null;
  role: OrgRole;
  joinedAt: string;
}

export interface CreatedInviteCode {
  code: string;
  orgId: string;
  expiresAt: string | null;
  maxUses: number | null;
}

const hashCode = (code: string) => crypto.createHash("sha256").update(code).digest("base64url");

/**
 * Organizations and their members (docs/PROTOCOL.md §1 "Organizations"). Membership, read
 * here, is what grants access to an org's resources; a token's `org_id` only says which of
 * the user's orgs a request is about.
 */
export class OrgsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** A new org owned by `ownerId`. `id` is generated unless given (registration's `orgId`). */
  async create(ownerId: string, name: string, id: string = crypto.randomUUID(), db?: Queryable): Promise<Org> {
    if (db) return this.createIn(db, ownerId, name, id);
    return this.deps.db.transaction((tx) => this.createIn(tx, ownerId, name, id));
  }

  private async createIn(tx: Queryable, ownerId: string, name: string, id: string): Promise<Org> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, name, this.deps.now()],
    );
    if (!rows[0]) throw new AppError("ORG_TAKEN");
    await this.addMember(id, ownerId, "owner", tx);
    return (await this.membership(id, ownerId, tx))!;
  }

  /** Add (or keep) a member; an existing member keeps their role. */
  async addMember(orgId: string, userId: string, role: OrgRole, db: Queryable = this.deps.db): Promise<void> {
    await db.query(
      `INSERT INTO org_members (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [orgId, userId, role, this.deps.now()],
    );
  }

  /** The user's membership of `orgId`, or null. */
  async membership(orgId: string, userId: string, db: Queryable = this.deps.db): Promise<Org | null> {
    const { rows } = await db.query<{ id: string; name: string; role: OrgRole; joined_at: Date | string }>(
      `SELECT o.id, o.name, m.role, m.joined_at FROM org_members m JOIN orgs o ON o.id = m.org_id
       WHERE m.org_id = $1 AND m.user_id = $2`,
      [orgId, userId],
    );
    const r = rows[0];
    return r ? { id: r.id, name: r.name, role: r.role, joinedAt: new Date(r.joined_at).toISOString() } : null;
  }

  async isMember(orgId: string, userId: string): Promise<boolean> {
    return (await this.membership(orgId, userId)) !== null;
  }

  /** 403 NOT_ORG_MEMBER unless the user belongs to `orgId`. */
  async requireMember(orgId: string | null, userId: string): Promise<Org> {
    const m = orgId ? await this.membership(orgId, userId) : null;
    if (!m) throw new AppError("NOT_ORG_MEMBER");
    return m;
  }

  private async requireAdmin(orgId: string, userId: string): Promise<Org> {
    const m = await this.requireMember(orgId, userId);
    if (m.role === "member") throw new AppError("NOT_ORG_ADMIN");
    return m;
  }

  /** The org an access token should carry: `preferred` while the user still belongs to it, else their oldest membership. */
  async tokenOrg(userId: string, preferred: string | null): Promise<string | null> {
    const { rows } = await this.deps.db.query<{ org_id: string }>(
      `SELECT org_id FROM org_members WHERE user_id = $1
       ORDER BY (org_id = $2) DESC, joined_at, org_id LIMIT 1`,
      [userId, preferred ?? ""],
    );
    return rows[0]?.org_id ?? null;
  }

  /** The caller's orgs, oldest membership first. */
  async listForUser(userId: string, limit: number, cursor?: string): Promise<Page<Org>> {
    const after = decodeCursor(cursor);
    const { rows } = await this.deps.db.query<{ id: string; name: string; role: OrgRole; joined_at: Date | string }>(
      `SELECT o.id, o.name, m.role, m.joined_at FROM org_members m JOIN orgs o ON o.id = m.org_id
       WHERE m.user_id = $1 AND ($2::timestamptz IS NULL OR (m.joined_at, o.id) > ($2::timestamptz, $3))
       ORDER BY m.joined_at, o.id LIMIT $4`,
      [userId, after?.key ?? null, after?.id ?? "", limit + 1],
    );
    const orgs = rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      joinedAt: new Date(r.joined_at).toISOString(),
    }));
    return pageOf(orgs, limit, (o) => ({ key: o.joinedAt, id: o.id }));
  }

  /** Members of an org, for its members only, oldest first. */
  async members(orgId: string, callerId: string, limit: number, cursor?: string): Promise<Page<OrgMember>> {
    await this.requireMember(orgId, callerId);
    const after = decodeCursor(cursor);
    const { rows } = await this.deps.db.query<{
      user_id: string;
      username: string;
      display_name: string | null;
      role: OrgRole;
      joined_at: Date | string;
    }>(
      `SELECT m.user_id, u.username, u.display_name, m.role, m.joined_at FROM org_members m JOIN users u ON u.id = m.user_id
       WHERE m.org_id = $1 AND ($2::timestamptz IS NULL OR (m.joined_at, m.user_id) > ($2::timestamptz, $3::uuid))
       ORDER BY m.joined_at, m.user_id LIMIT $4`,
      [
        orgId,
        after?.key ?? null,
        after && isUuid(after.id) ? after.id : "00000000-0000-0000-0000-000000000000",
        limit + 1,
      ],
    );
    const members = rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      joinedAt: new Date(r.joined_at).toISOString(),
    }));
    return pageOf(members, limit, (m) => ({ key: m.joinedAt, id: m.userId }));
  }

  /** A new invite code (admins and owners). The code itself is returned once and stored hashed. */
  async createInviteCode(
    orgId: string,
    callerId: string,
    opts: { expiresInHours?: number; maxUses?: number },
  ): Promise<CreatedInviteCode> {
    await this.requireAdmin(orgId, callerId);
    const code = crypto.randomBytes(12).toString("base64url");
    const expiresAt =
      opts.expiresInHours !== undefined ? new Date(this.deps.now().getTime() + opts.expiresInHours * 3600_000) : null;
    await this.deps.db.query(
      `INSERT INTO org_invite_codes (code_hash, org_id, created_by, expires_at, max_uses, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [hashCode(code), orgId, callerId, expiresAt, opts.maxUses ?? null, this.deps.now()],
    );
    return { code, orgId, expiresAt: expiresAt?.toISOString() ?? null, maxUses: opts.maxUses ?? null };
  }

  /**
   * Join the org of an invite code: 404 unknown, 410 expired or used up. A use is counted
   * only when it adds a member, in one statement so racing joins cannot exceed `maxUses`.
   */
  async join(userId: string, code: string, db?: Queryable): Promise<Org> {
    if (db) return this.joinIn(db, userId, code);
    return this.deps.db.transaction((tx) => this.joinIn(tx, userId, code));
  }

  private async joinIn(tx: Queryable, userId: string, code: string): Promise<Org> {
    const { rows } = await tx.query<{
      org_id: string;
      expires_at: Date | string | null;
      max_uses: number | null;
      uses: number;
    }>(`SELECT org_id, expires_at, max_uses, uses FROM org_invite_codes WHERE code_hash = $1 FOR UPDATE`, [
      hashCode(code),
    ]);
    const invite = rows[0];
    if (!invite) throw new AppError("INVITE_CODE_NOT_FOUND");
    if (invite.expires_at && new Date(invite.expires_at).getTime() <= this.deps.now().getTime()) {
      throw new AppError("INVITE_EXPIRED", "Invite code has expired");
    }
    const existing = await this.membership(invite.org_id, userId, tx);
    if (existing) return existing;
    if (invite.max_uses !== null && invite.uses >= invite.max_uses) throw new AppError("INVITE_CODE_USED_UP");
    await tx.query(`UPDATE org_invite_codes SET uses = uses + 1 WHERE code_hash = $1`, [hashCode(code)]);
    await this.addMember(invite.org_id, userId, "member", tx);
    return (await this.membership(invite.org_id, userId, tx))!;
  }

  /**
   * Remove a member (admins and owners; anyone may remove themselves). The last owner cannot
   * leave. The removed user's open seats in the org are closed through their sessions topic.
   */
  async removeMember(orgId: string, callerId: string, userId: string): Promise<void> {
    if (!isUuid(userId)) throw new AppError("NOT_FOUND", "Not a member of this organization");
    await this.deps.db.transaction(async (tx) => {
      const caller = await this.membership(orgId, callerId, tx);
      if (!caller) throw new AppError("NOT_ORG_MEMBER");
      if (callerId !== userId && caller.role === "member") throw new AppError("NOT_ORG_ADMIN");
      const target = await this.membership(orgId, userId, tx);
      if (!target) throw new AppError("NOT_FOUND", "Not a member of this organization");
      if (target.role === "owner" && caller.role !== "owner" && callerId !== userId) {
        throw new AppError("NOT_ORG_ADMIN", "Only an owner can remove an owner");
      }
      if (target.role === "owner") {
        // Lock the org's owner rows so two owners leaving at once cannot both succeed.
        const { rows } = await tx.query<{ user_id: string }>(
          `SELECT user_id FROM org_members WHERE org_id = $1 AND role = 'owner' FOR UPDATE`,
          [orgId],
        );
        if (rows.length <= 1) throw new AppError("LAST_OWNER");
      }
      await tx.query(`DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
    });
    await this.deps.delivery.toTopic(userSessionsTopic(userId), SessionEvent.orgMembershipEnded, { orgId });
  }
}
