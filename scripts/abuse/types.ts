/**
 * The contract between `npm run abuse` (scripts/abuse.ts) and the attack modules beside this
 * file. Each module exports `attacks: Attack[]`; the runner starts a real server, runs every
 * attack in turn while an honest client keeps measuring its own latency, samples the server's
 * RSS and CPU, and prints the README's abuse table.
 */
export interface AbuseUser {
  id: string;
  username: string;
  token: string;
}

export interface AbuseTarget {
  /** e.g. http://127.0.0.1:2599 */
  baseUrl: string;
  /** e.g. ws://127.0.0.1:2599 (for @colyseus/sdk's Client, pass baseUrl) */
  wsUrl: string;
  /** A fresh user with a valid token (the runner's server relaxes registration limits for setup). */
  user(prefix?: string): Promise<AbuseUser>;
}

export interface Attack {
  /** Short name for the table's first column, e.g. "200 MB body to /matchmake". */
  name: string;
  /** What was sent, for the table, e.g. "1 × 200 MB POST, no token". */
  sent: string;
  /** Run the attack to completion (bounded in count and time) and say what came back. */
  run(target: AbuseTarget): Promise<{ answered: string }>;
}
