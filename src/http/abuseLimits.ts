import type { Presence } from "@colyseus/core";
import type { RequestHandler } from "express";
import type { Config } from "../config";
import { rateLimited } from "../errors";
import { securityEvent } from "../security";
import { WindowCounter } from "../realtime/windowCounter";
import { userOf } from "./middleware";

type LimitsConfig = Pick<
  Config,
  | "LOGIN_FAILURES_PER_USERNAME"
  | "LOGIN_FAILURES_PER_IP"
  | "LOGIN_FAILURE_WINDOW_SECONDS"
  | "REGISTRATIONS_PER_IP_PER_HOUR"
  | "REST_WRITES_PER_MINUTE"
>;

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The REST abuse limits (docs/PROTOCOL.md §2), counted in presence so that every process
 * shares them: failed logins per username and per IP, registrations per IP, and each user's
 * budget of REST writes. Beyond a limit: 429 RATE_LIMITED with Retry-After.
 */
export class AbuseLimits {
  private readonly loginsByUser: WindowCounter;
  private readonly loginsByIp: WindowCounter;
  private readonly registrations: WindowCounter;
  private readonly writes: WindowCounter;

  constructor(
    presence: Presence,
    private readonly cfg: () => LimitsConfig,
  ) {
    this.loginsByUser = new WindowCounter(presence, "login-username");
    this.loginsByIp = new WindowCounter(presence, "login-ip");
    this.registrations = new WindowCounter(presence, "register-ip");
    this.writes = new WindowCounter(presence, "rest-writes");
  }

  /**
   * Run a login attempt within the failure limits. The attempt is counted before the password
   * is checked (so parallel guesses cannot all slip under the limit) and given back when it
   * succeeds. Over a limit the password is not even checked: the answer is the same 429
   * whether it was right, wrong, or the user does not exist.
   */
  async login<T>(username: string, ip: string, attempt: () => Promise<T>): Promise<T> {
    const c = this.cfg();
    const window = c.LOGIN_FAILURE_WINDOW_SECONDS;
    const name = username.toLowerCase();
    const byUser = await this.loginsByUser.take(name, c.LOGIN_FAILURES_PER_USERNAME, window);
    if (!byUser.allowed) throw this.refuse("login", "username", byUser.retryAfter, { username: name, ip });
    const byIp = await this.loginsByIp.take(ip, c.LOGIN_FAILURES_PER_IP, window);
    if (!byIp.allowed) {
      await this.loginsByUser.refund(name, window);
      throw this.refuse("login", "ip", byIp.retryAfter, { username: name, ip });
    }
    try {
      const result = await attempt();
      await Promise.all([
        c.LOGIN_FAILURES_PER_USERNAME > 0 && this.loginsByUser.refund(name, window),
        c.LOGIN_FAILURES_PER_IP > 0 && this.loginsByIp.refund(ip, window),
      ]);
      return result;
    } catch (e) {
      securityEvent("login_failed", (e as { code?: string }).code ?? "error", { username: name, ip });
      throw e;
    }
  }

  /** Spend one of the IP's registrations this hour. */
  async registration(ip: string): Promise<void> {
    const r = await this.registrations.take(ip, this.cfg().REGISTRATIONS_PER_IP_PER_HOUR, 3600);
    if (!r.allowed) throw this.refuse("register", "ip", r.retryAfter, { ip });
  }

  /** After requireAuth: a write (POST/PUT/PATCH/DELETE) spends one of the user's REST_WRITES_PER_MINUTE. */
  readonly writeBudget: RequestHandler = (req, _res, next) => {
    if (!WRITE_METHODS.has(req.method)) return next();
    const user = userOf(req);
    this.writes.take(user.id, this.cfg().REST_WRITES_PER_MINUTE, 60).then((r) => {
      if (r.allowed) return next();
      next(this.refuse("rest_write", "user", r.retryAfter, { userId: user.id, route: req.path }));
    }, next);
  };

  /** `authenticate`, then (for writes) the user's budget: the `auth` of every private route. */
  withWriteBudget(authenticate: RequestHandler): RequestHandler {
    return (req, res, next) =>
      authenticate(req, res, (err?: unknown) => (err ? next(err) : this.writeBudget(req, res, next)));
  }

  private refuse(limit: string, per: string, retryAfter: number, fields: Record<string, unknown>) {
    securityEvent("rate_limited", `${limit}_per_${per}`, fields);
    return rateLimited(retryAfter, `Too many attempts: try again in ${retryAfter} s`);
  }
}
