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
  /** When the token expires (ms since the epoch); a seat is closed then unless refreshed. */
  expiresAt?: number;
}

export interface TokenClaims {
  sub: string;
  username: string;
  org_id?: string | null;
}

export type TokenFailure = "missing token" | "invalid token" | "token expired" | "token has no exp";

const refuse = (reason: string) => new AppError("UNAUTHORIZED", reason);

/** The `alg` of a compact JWS, read without verifying anything; undefined when it is not one. */
function algOf(token: string): string | undefined {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot > 1024) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), "base64url").toString("utf8"));
    const alg = (header as { alg?: unknown } | null)?.alg;
    return typeof alg === "string" ? alg : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies an external identity provider's tokens (auth/external.ts's ExternalVerifier). */
export interface ExternalTokenVerifier {
  verify(token: string): Promise<AuthUser>;
}

/**
 * Access tokens (docs/PROTOCOL.md §1 "Tokens"). rally's own are HS256, signed and verified
 * here synchronously (the join and REST hot path, ~13 µs). Tokens of an external identity
 * provider (RS256/ES256), when one is configured, go through `external` (async: JWKS).
 */
export class TokenService {
  /**
   * A KeyObject, not the string: given a string, jsonwebtoken first tries it as a public key
   * (which throws) on every verify, several times slower on the join and REST paths.
   */
  private readonly secret: crypto.KeyObject;

  constructor(
    secret: string,
    private readonly expiresIn: string,
    private readonly external: ExternalTokenVerifier | null = null,
  ) {
    this.secret = crypto.createSecretKey(Buffer.from(secret, "utf8"));
  }

  /** A rally access token. Tests that need a long-lived one pass `expiresIn` explicitly. */
  sign(user: AuthUser, expiresIn: string | number = this.expiresIn): string {
    const claims: TokenClaims = { sub: user.id, username: user.username };
    if (user.orgId) claims.org_id = user.orgId;
    return jwt.sign(claims, this.secret, { algorithm: "HS256", expiresIn: expiresIn as jwt.SignOptions["expiresIn"] });
  }

  /** Verify a rally (HS256) token; failures are AppError UNAUTHORIZED with the reason as message. */
  verify(token: unknown): AuthUser {
    if (typeof token !== "string" || token.length === 0) throw refuse("missing token");
    let payload: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.secret, { algorithms: ["HS256"] });
      if (typeof decoded === "string") throw new Error("string payload");
      payload = decoded;
    } catch (e) {
      throw refuse(e instanceof jwt.TokenExpiredError ? "token expired" : "invalid token");
    }
    // A token that never expires would outlive every revocation.
    if (typeof payload.exp !== "number") throw refuse("token has no exp");
    if (typeof payload.sub !== "string" || typeof payload.username !== "string") throw refuse("invalid token");
    const orgId = typeof payload.org_id === "string" && payload.org_id.length > 0 ? payload.org_id : null;
    return { id: payload.sub, username: payload.username, orgId, expiresAt: payload.exp * 1000 };
  }

  /**
   * Any accepted access token: rally's own synchronously, an external provider's through its
   * keys. Returns a plain value for the local path so callers on hot paths pay no extra tick.
   */
  authenticate(token: unknown): AuthUser | Promise<AuthUser> {
    if (typeof token !== "string" || token.length === 0) throw refuse("missing token");
    const alg = algOf(token);
    if (alg === undefined) throw refuse("invalid token");
    if (alg.toLowerCase() === "none") throw refuse("alg none is not accepted");
    if (alg === "HS256") return this.verify(token);
    if (!this.external) throw refuse(`invalid token: alg ${alg.slice(0, 16)} is not accepted`);
    return this.external.verify(token);
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
