import crypto from "node:crypto";
import { AppError } from "../../errors";
import type { ExternalIdentity } from "../../auth/external";
import { dummyHash, hashPassword, HashQueue, needsRehash, verifyPassword } from "../../auth/passwords";
import type { Queryable } from "../../db";
import type { ServiceDeps } from "../../services/deps";

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  orgId: string | null;
  createdAt: string;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string | null;
  avatar_url: string | null;
  org_id: string | null;
  created_at: Date | string;
  password_hash?: string | null;
}

const COLUMNS = "id, username, display_name, avatar_url, org_id, created_at";

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  avatarUrl: r.avatar_url,
  orgId: r.org_id,
  createdAt: new Date(r.created_at).toISOString(),
});

export interface RegisterInput {
  username: string;
  password: string;
  displayName?: string;
  avatarUrl?: string;
  /** Creates a new org with this id, owned by the registrant; an existing id is 409 ORG_TAKEN. */
  orgId?: string;
  /** Joins the org of this invite code (docs/PROTOCOL.md §1 "Organizations"). */
  inviteCode?: string;
}

export class UsersService {
  /** Every scrypt run goes through here: bounded concurrency, fair between client addresses. */
  private readonly hashing = new HashQueue(() => ({
    concurrency: this.deps.config.PASSWORD_HASH_CONCURRENCY,
    maxQueued: this.deps.config.PASSWORD_HASH_QUEUE,
  }));

  constructor(private readonly deps: ServiceDeps) {}

  private get hashCost(): number {
    return this.deps.config.PASSWORD_HASH_COST;
  }

  /**
   * A new user. Registration can no longer claim an existing organization: `orgId` creates
   * a new one (refused with 409 ORG_TAKEN when it exists, and then no user is written), and
   * only an `inviteCode` joins an existing one. The org becomes the user's token org.
   * `client`: who asks (the IP), so one address's burst of requests queues behind itself.
   */
  async register(input: RegisterInput, client = "local"): Promise<User> {
    const hash = await this.hashing.run(client, () => hashPassword(input.password, this.hashCost));
    const orgs = this.deps.services.orgs;
    try {
      return await this.deps.db.transaction(async (tx) => {
        const { rows } = await tx.query<UserRow>(
          `INSERT INTO users (username, password_hash, display_name, avatar_url)
           VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
          [input.username, hash, input.displayName ?? null, input.avatarUrl ?? null],
        );
        const user = toUser(rows[0]!);
        const org = input.orgId
          ? await orgs.create(user.id, input.orgId, input.orgId, tx)
          : input.inviteCode
            ? await orgs.join(user.id, input.inviteCode, tx)
            : null;
        if (!org) return user;
        await tx.query(`UPDATE users SET org_id = $2 WHERE id = $1`, [user.id, org.id]);
        return { ...user, orgId: org.id };
      });
    } catch (e) {
      if ((e as { code?: string }).code === "23505") throw new AppError("USERNAME_TAKEN");
      throw e;
    }
  }

  /** The org the user's tokens carry from now on (the caller checked membership). */
  async setTokenOrg(userId: string, orgId: string | null): Promise<void> {
    await this.deps.db.query(`UPDATE users SET org_id = $2 WHERE id = $1`, [userId, orgId]);
  }

  /** Check the current password, store the new one. The caller revokes refresh tokens. */
  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const { rows } = await this.deps.db.query<{ password_hash: string | null }>(
      `SELECT password_hash FROM users WHERE id = $1`,
      [userId],
    );
    const stored = rows[0]?.password_hash ?? (await dummyHash(this.hashCost));
    const ok = await this.hashing.run(userId, () => verifyPassword(current, stored));
    if (!rows[0]?.password_hash || !ok) throw new AppError("UNAUTHORIZED", "invalid password");
    await this.deps.db.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [
      userId,
      await this.hashing.run(userId, () => hashPassword(next, this.hashCost)),
    ]);
  }

  /**
   * The user behind an external identity, created on first use (keyed by the provider's
   * `sub`, so a rename at the provider keeps friends and history). The provider's username
   * is taken when free, else suffixed; a claimed org is joined (created when new): the
   * provider's claim is what grants membership for these users.
   */
  async provisionExternal(identity: ExternalIdentity): Promise<{ id: string; username: string; orgId: string | null }> {
    const found = await this.deps.db.query<{ id: string; username: string }>(
      `SELECT id, username FROM users WHERE external_subject = $1`,
      [identity.subject],
    );
    let row = found.rows[0];
    if (!row) {
      const base = identity.username.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 24) || "user";
      const suffix = crypto.createHash("sha256").update(identity.subject).digest("hex").slice(0, 6);
      for (const username of [base.length >= 3 ? base : `${base}_${suffix}`, `${base}_${suffix}`]) {
        const { rows } = await this.deps.db.query<{ id: string; username: string }>(
          `INSERT INTO users (username, external_subject) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING id, username`,
          [username, identity.subject],
        );
        if ((row = rows[0])) break;
        // Another request provisioned the same subject meanwhile.
        const again = await this.deps.db.query<{ id: string; username: string }>(
          `SELECT id, username FROM users WHERE external_subject = $1`,
          [identity.subject],
        );
        if ((row = again.rows[0])) break;
      }
      if (!row) throw new AppError("CONFLICT", "could not provision a username for this identity");
    }
    if (identity.orgId) {
      await this.deps.db.query(`INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [identity.orgId]);
      await this.deps.services.orgs.addMember(identity.orgId, row.id, "member");
    }
    return { id: row.id, username: row.username, orgId: identity.orgId };
  }

  /** The same answer, and about the same time, whether the user is unknown or the password wrong. */
  async login(username: string, password: string, client = "local"): Promise<User> {
    // The lookup runs in the queue's slot too: a flood of logins then costs the database
    // `concurrency` queries at a time, not one per request in flight.
    return this.hashing.run(client, async () => {
      const { rows } = await this.deps.db.query<UserRow>(
        `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)`,
        [username],
      );
      const row = rows[0];
      const stored = row?.password_hash ?? (await dummyHash(this.hashCost));
      const ok = await verifyPassword(password, stored);
      if (!row || !row.password_hash || !ok) throw new AppError("UNAUTHORIZED", "invalid username or password");
      if (needsRehash(stored, this.hashCost)) {
        // A hash from before the current cost: upgrade it now that we hold the password.
        const upgraded = await hashPassword(password, this.hashCost);
        await this.deps.db.query(`UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, [
          upgraded,
          row.id,
          stored,
        ]);
      }
      return toUser(row);
    });
  }

  async get(id: string, db: Queryable = this.deps.db): Promise<User | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async require(id: string, db: Queryable = this.deps.db): Promise<User> {
    const user = await this.get(id, db);
    if (!user) throw new AppError("NOT_FOUND", "User not found");
    return user;
  }

  async byUsername(username: string): Promise<User | null> {
    const { rows } = await this.deps.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1)`,
      [username],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === "string" && UUID_RE.test(v);
