import crypto from "node:crypto";
import { AppError } from "../../errors";
import type { ServiceDeps } from "../../services/deps";
import { SessionEvent, userSessionsTopic } from "./protocol";

interface RefreshRow {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date | string;
  used_at: Date | string | null;
  revoked_at: Date | string | null;
}

/** Refresh tokens are opaque (not JWTs), so one can never pass as an access token, nor the reverse. */
const PREFIX = "rt_";
const hashToken = (token: string) => crypto.createHash("sha256").update(token).digest("base64url");
const invalid = () => new AppError("UNAUTHORIZED", "invalid token");

/**
 * Refresh tokens (docs/PROTOCOL.md §1 "Tokens"): one family per device, rotated on every use.
 * A token presented after it was rotated means it leaked: the whole family is revoked.
 */
export class RefreshTokensService {
  constructor(private readonly deps: ServiceDeps) {}

  /** A new token in `familyId` (a new family, i.e. a new device, when omitted). */
  async issue(userId: string, familyId: string = crypto.randomUUID()): Promise<string> {
    const token = PREFIX + crypto.randomBytes(32).toString("base64url");
    const now = this.deps.now();
    const expiresAt = new Date(now.getTime() + this.deps.config.REFRESH_TOKEN_DAYS * 86_400_000);
    await this.deps.db.query(
      `INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
      [familyId, userId, hashToken(token), expiresAt, now],
    );
    return token;
  }

  /**
   * Spend `token` and return its user with a successor in the same family. Unknown, expired
   * or revoked tokens are 401 `invalid token`; a reused one also revokes its family.
   */
  async rotate(token: string): Promise<{ userId: string; refreshToken: string }> {
    const row = await this.spend(token);
    return { userId: row.user_id, refreshToken: await this.issue(row.user_id, row.family_id) };
  }

  /** Sign this device out: revoke the token's family. */
  async revokeFamilyOf(token: string): Promise<void> {
    const row = await this.find(token);
    if (!row) throw invalid();
    await this.deps.db.query(`UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, [
      row.family_id,
      this.deps.now(),
    ]);
  }

  /** Revoke every refresh token of the user (logout-all, password change). */
  async revokeAll(userId: string): Promise<void> {
    await this.deps.db.query(`UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, [
      userId,
      this.deps.now(),
    ]);
  }

  /** logout-all: no refresh token works any more, and every open seat of the user closes, on any process. */
  async signOutEverywhere(userId: string): Promise<void> {
    await this.revokeAll(userId);
    await this.deps.delivery.toTopic(userSessionsTopic(userId), SessionEvent.signedOut, {});
  }

  private async find(token: string): Promise<RefreshRow | undefined> {
    if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
    const { rows } = await this.deps.db.query<RefreshRow>(
      `SELECT id, family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1`,
      [hashToken(token)],
    );
    return rows[0];
  }

  private async spend(token: string): Promise<RefreshRow> {
    const row = await this.find(token);
    if (!row || row.revoked_at) throw invalid();
    const now = this.deps.now();
    if (new Date(row.expires_at).getTime() <= now.getTime()) throw invalid();
    // Mark used only if still unused: of two racing uses, exactly one wins; the other is a reuse.
    const spent = await this.deps.db.query(`UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, [
      row.id,
      now,
    ]);
    if (row.used_at || spent.rowCount === 0) {
      await this.deps.db.query(
        `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
        [row.family_id, now],
      );
      throw invalid();
    }
    return row;
  }
}
