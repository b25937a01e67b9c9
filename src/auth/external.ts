import crypto from "node:crypto";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import { AppError } from "../errors";
import type { AuthUser } from "./tokens";

/** What the identity provider's token says, after claim mapping. */
export interface ExternalIdentity {
  subject: string;
  username: string;
  orgId: string | null;
}

/** Turns a verified identity into the rally user it maps to (provisioned on first use). */
export type Provision = (identity: ExternalIdentity) => Promise<{ id: string; username: string; orgId: string | null }>;

export interface ExternalOptions {
  publicKeyPem?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  claimUsername: string;
  claimOrg: string;
  refetchCooldownSeconds: number;
}

const ALGORITHMS = ["RS256", "ES256"];
const refuse = (reason: string) => new AppError("UNAUTHORIZED", reason);

/** jose's errors that mean "the key set could not be fetched", as opposed to "the token is bad". */
const isFetchFailure = (e: unknown) =>
  e instanceof errors.JWKSTimeout ||
  e instanceof errors.JWKSInvalid ||
  (e instanceof Error && !(e instanceof errors.JOSEError));

/**
 * Verifies tokens of an external identity provider with jose: a PEM public key, or a JWKS
 * whose keys jose caches, picks by `kid` and refetches on an unknown `kid` at most once per
 * cooldown. When the JWKS cannot be fetched, keys already cached keep verifying; an unknown
 * `kid` is then 503 UNAVAILABLE (the provider may have rotated: retry), never 500.
 */
export class ExternalVerifier {
  private readonly remote?: ReturnType<typeof createRemoteJWKSet>;
  private readonly pemKey?: crypto.KeyObject;
  private readonly verifyOptions: JWTVerifyOptions;

  constructor(
    private readonly opts: ExternalOptions,
    private readonly provision: Provision,
  ) {
    if (opts.jwksUrl) {
      this.remote = createRemoteJWKSet(new URL(opts.jwksUrl), {
        cooldownDuration: opts.refetchCooldownSeconds * 1000,
        timeoutDuration: 3000,
      });
    } else if (opts.publicKeyPem) {
      // "\n" escapes let the PEM sit on one line of .env. A bad key stops the start here.
      this.pemKey = crypto.createPublicKey(opts.publicKeyPem.replace(/\\n/g, "\n"));
    }
    this.verifyOptions = {
      algorithms: ALGORITHMS,
      issuer: opts.issuer,
      audience: opts.audience,
      requiredClaims: ["exp", "sub"],
    };
  }

  async verify(token: string): Promise<AuthUser> {
    const payload = await this.verifySignature(token);
    const username = payload[this.opts.claimUsername];
    const org = payload[this.opts.claimOrg];
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 255)
      throw refuse("invalid token: bad sub");
    if (typeof username !== "string" || username.length === 0)
      throw refuse(`invalid token: no ${this.opts.claimUsername} claim`);
    const user = await this.provision({
      subject: payload.sub,
      username,
      orgId: typeof org === "string" && org.length > 0 ? org : null,
    });
    return { ...user, expiresAt: payload.exp! * 1000 };
  }

  private async verifySignature(token: string): Promise<JWTPayload> {
    try {
      if (this.pemKey) return (await jwtVerify(token, this.pemKey, this.verifyOptions)).payload;
      return (await jwtVerify(token, this.remote as JWTVerifyGetKey, this.verifyOptions)).payload;
    } catch (e) {
      if (this.remote && isFetchFailure(e)) return this.verifyWithCachedKeys(token);
      throw explain(e);
    }
  }

  /** The JWKS is unreachable: what was fetched before still verifies; anything else is 503. */
  private async verifyWithCachedKeys(token: string): Promise<JWTPayload> {
    const cached = this.remote!.jwks();
    if (!cached) throw new AppError("UNAVAILABLE", "the identity provider's keys cannot be fetched");
    try {
      return (await jwtVerify(token, createLocalJWKSet(cached), this.verifyOptions)).payload;
    } catch (e) {
      if (e instanceof errors.JWKSNoMatchingKey)
        throw new AppError("UNAVAILABLE", "unknown kid, and the identity provider's keys cannot be fetched");
      throw explain(e);
    }
  }
}

/** A jose failure as 401 naming the reason. */
function explain(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof errors.JWTExpired) return refuse("token expired");
  if (e instanceof errors.JWKSNoMatchingKey) return refuse("unknown kid");
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "iss") return refuse("wrong issuer");
    if (e.claim === "aud") return refuse("wrong audience");
    if (e.claim === "exp") return refuse("token has no exp");
    return refuse(`invalid token: ${e.claim} claim`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return refuse("invalid token: alg not accepted");
  if (e instanceof errors.JWSSignatureVerificationFailed) return refuse("invalid token: bad signature");
  return refuse("invalid token");
}
