import { AppError } from "../errors";
import { dummyHash, hashPassword, HashQueue, needsRehash, verifyPassword } from "../auth/passwords";
import type { Queryable } from "../db";
import type { ServiceDeps } from "./deps";

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
  password_hash?: string;
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
  orgId?: string;
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

  /** `client`: who asks (the IP), so one address's burst of requests queues behind itself. */
  async register(input: RegisterInput, client = "local"): Promise<User> {
    const hash = await this.hashing.run(client, () => hashPassword(input.password, this.hashCost));
    try {
      const { rows } = await this.deps.db.query<UserRow>(
        `INSERT INTO users (username, password_hash, display_name, avatar_url, org_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [input.username, hash, input.displayName ?? null, input.avatarUrl ?? null, input.orgId ?? null],
      );
      return toUser(rows[0]!);
    } catch (e) {
      if ((e as { code?: string }).code === "23505") throw new AppError("USERNAME_TAKEN");
      throw e;
    }
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
      if (!row || !ok) throw new AppError("UNAUTHORIZED", "invalid username or password");
      if (needsRehash(stored, this.hashCost)) {
        // A hash from before the current cost: upgrade it now that we hold the password.
        const upgraded = await hashPassword(password, this.hashCost);
        await this.deps.db.query(`UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, [upgraded, row.id, stored]);
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
    const { rows } = await this.deps.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1)`, [
      username,
    ]);
    return rows[0] ? toUser(rows[0]) : null;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === "string" && UUID_RE.test(v);
