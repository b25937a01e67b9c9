import { logger } from "./logger";
import { metrics } from "./metrics";

/**
 * The security log: one structured pino event (`security: <event>`) per refusal an operator
 * may want to see, each counted in `rally_security_events_total{event,reason}`. `reason` is
 * from a small fixed set (an error code, a token failure, a limit's name), so the metric stays
 * bounded. Callers pass identifiers (user id, username, ip, room) only: never a token or a
 * password. Every event is counted; a flood of the same event for the same subject is logged
 * at most once a second.
 */
export type SecurityEvent =
  | "login_failed"
  | "join_refused"
  | "rate_limited"
  | "flood_disconnect"
  | "payload_too_large"
  | "request_timeout"
  | "origin_refused"
  | "metrics_refused";

const lastLogged = new Map<string, number>();
const MAX_TRACKED = 10_000;

export function securityEvent(event: SecurityEvent, reason: string, fields: Record<string, unknown> = {}): void {
  metrics.securityEvents.inc({ event, reason });
  const subject = fields.userId ?? fields.username ?? fields.ip;
  const key = `${event}\u0000${reason}\u0000${typeof subject === "string" ? subject : ""}`;
  const now = Date.now();
  if (now - (lastLogged.get(key) ?? 0) < 1000) return;
  if (lastLogged.size >= MAX_TRACKED) lastLogged.clear();
  lastLogged.set(key, now);
  logger.warn({ security: event, reason, ...fields }, `security: ${event} (${reason})`);
}
