import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import jwt from "jsonwebtoken";
import { AppError } from "../errors";

/** What a verified token says about its bearer. */
export interface AuthUser {
  id: string;
  username: string;
  orgId: string | null;
}

export interface TokenClaims {
  sub: string;
  username: string;
  org_id?: string | null;
}

export type TokenFailure = "missing token" | "invalid token" | "token expired";

export class TokenService {
  /**
   * A KeyObject, not the string: given a string, jsonwebtoken first tries it as a public key
   * (which throws) on every verify, several times slower on the join and REST paths.
   */
  private readonly secret: crypto.KeyObject;

  constructor(
    secret: string,
    private readonly expiresIn: string,
  ) {
    this.secret = crypto.createSecretKey(Buffer.from(secret, "utf8"));
  }

  sign(user: AuthUser, expiresIn: string | number = this.expiresIn): string {
    const claims: TokenClaims = { sub: user.id, username: user.username };
    if (user.orgId) claims.org_id = user.orgId;
    return jwt.sign(claims, this.secret, { algorithm: "HS256", expiresIn: expiresIn as jwt.SignOptions["expiresIn"] });
  }

  /** Verify a bearer token; failures are AppError UNAUTHORIZED with the reason as message. */
  verify(token: unknown): AuthUser {
    if (typeof token !== "string" || token.length === 0) throw new AppError("UNAUTHORIZED", "missing token");
    let payload: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.secret, { algorithms: ["HS256"] });
      if (typeof decoded === "string") throw new Error("string payload");
      payload = decoded;
    } catch (e) {
      const reason: TokenFailure = e instanceof jwt.TokenExpiredError ? "token expired" : "invalid token";
      throw new AppError("UNAUTHORIZED", reason);
    }
    if (typeof payload.sub !== "string" || typeof payload.username !== "string") {
      throw new AppError("UNAUTHORIZED", "invalid token");
    }
    const orgId = typeof payload.org_id === "string" && payload.org_id.length > 0 ? payload.org_id : null;
    return { id: payload.sub, username: payload.username, orgId };
  }
}

/**
 * The signing secret: JWT_SECRET when set; otherwise (development only, enforced by config)
 * a random secret generated once and kept in DATA_DIR so tokens survive a restart.
 */
export function resolveJwtSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, "jwt-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(48).toString("base64url");
    fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
    return secret;
  }
}
