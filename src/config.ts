import path from "node:path";
import { z } from "zod";
import { DEFAULT_TURN_SECONDS, MAX_TURN_SECONDS, MIN_TURN_SECONDS } from "./systems/biggerDice/rules";

/** Boolean-ish environment values: "1", "true", "yes" are true. */
const flag = z
  .string()
  .optional()
  .transform((v) => v !== undefined && ["1", "true", "yes"].includes(v.toLowerCase()));

const num = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** Express' `trust proxy`: unset/"false" trusts no proxy, "true" every hop, a number that many hops, else addresses/subnets. */
const trustProxy = z
  .string()
  .optional()
  .transform((v): boolean | number | string => {
    if (v === undefined || v.toLowerCase() === "false") return false;
    if (v.toLowerCase() === "true") return true;
    return /^\d+$/.test(v) ? Number(v) : v;
  });

/** A comma-separated list of exact origins (`scheme://host[:port]`). */
const originList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, "each origin is scheme://host[:port], without a path")));

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: num(2567, 0),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_ADDRESS: z.string().optional(),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: num(10, 1),
  PGLITE_SHARED_BUFFERS_MB: num(8, 1),
  REDIS_URL: z.string().url().optional(),
  JWT_SECRET: z.string().min(16, "JWT_SECRET must be at least 16 characters").optional(),
  /** Access-token lifetime: seconds, or a number with s, m, h or d (e.g. 15m). Checked here so a bad value stops the start. */
  JWT_EXPIRES_IN: z
    .string()
    .regex(/^[1-9][0-9]*(s|m|h|d)?$/, "must be a positive number of seconds, or a number with s, m, h or d (e.g. 15m)")
    .default("15m"),
  REFRESH_TOKEN_DAYS: num(30, 1),
  /** local: rally's own register/login; external: only tokens from the identity provider; both. */
  AUTH_MODE: z.enum(["local", "external", "both"]).default("local"),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWKS_URL: z.string().url().optional(),
  JWKS_REFETCH_COOLDOWN_SECONDS: num(30, 0),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  JWT_CLAIM_USERNAME: z.string().min(1).default("username"),
  JWT_CLAIM_ORG: z.string().min(1).default("org_id"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MONITOR_USER: z.string().optional(),
  MONITOR_PASSWORD: z.string().optional(),
  RECONNECT_SECONDS: num(30, 0),
  DICE_RECONNECT_SECONDS: num(60, 0),
  DICE_TURN_SECONDS: z.coerce.number().int().min(MIN_TURN_SECONDS).max(MAX_TURN_SECONDS).default(DEFAULT_TURN_SECONDS),
  /** Consecutive turns the server rolls for a player before they forfeit (`inactive`); 0: never. */
  DICE_MISSED_TURNS_FORFEIT: num(3, 0),
  INVITES_PER_MINUTE: num(10, 1),
  INVITE_EXPIRY_HOURS: z.coerce.number().positive().default(24),
  TRIVIA_MAX_PARTICIPANTS: num(100, 2),
  /** Connections one user may hold to one kind of room, across processes (0: no limit). */
  MAX_CONNECTIONS_PER_USER: num(5, 0),
  /** Open bigger_dice rooms one user may have created at once (0: no limit). */
  DICE_ROOMS_PER_USER: num(3, 0),
  /**
   * A private bigger_dice room (an accepted invitation's) waits this long for its players, then
   * closes (Colyseus' own 15 s empty-room rule, or closing at once after a refused join, is too
   * soon for an invitation).
   */
  DICE_PRIVATE_ROOM_WAIT_SECONDS: num(300, 1),
  /** A conversation's `typing` falls back to false after this long without an update. */
  CONVERSATION_TYPING_TIMEOUT_MS: num(5000, 100),
  /** Most messages one conversation `sync` carries (`hasMore` says there are more). */
  CONVERSATION_SYNC_LIMIT: num(500, 1),
  /** A room nobody has joined within this many seconds is disposed (0: never). */
  EMPTY_ROOM_SECONDS: num(30, 0),
  RATE_LIMIT_PER_SECOND: num(30, 1),
  RATE_LIMIT_BURST: num(60, 1),
  MOVE_RATE_LIMIT_PER_SECOND: num(60, 1),
  MOVE_RATE_LIMIT_BURST: num(120, 1),
  FLOOD_DISCONNECT_SECONDS: num(10, 1),
  EVENT_BUFFER_SIZE: num(500, 1),
  MAX_PAYLOAD_BYTES: num(64 * 1024, 1024),
  CHAT_MAX_CHARS: num(500, 1),
  /** Half the side of an avatar's square view in a space without its own; 0 = the whole space. */
  SPACE_VIEW_RADIUS: num(500, 0),
  /**
   * How often a space with a limited view sends each client its patch, in ms. 125 (8 Hz)
   * rather than Colyseus' 50: the per-client frames and encodes are most of a crowded space's
   * cost. Bench E at 1,000 avatars, interleaved runs: every 100 ms took ≈ 88 % of a core on
   * average, every 125 ms ≈ 80 % (both drift 65–100 % from run to run on the bench VM), with
   * p99 160–190 ms when the core is not saturated; every 150 ms saved no more CPU and pushed
   * p99 near 230 ms (the wait for the next patch dominates).
   */
  SPACE_PATCH_MS: num(125, 10),
  /** How long a live space room trusts its copy of the members for joins (0 = every join asks the database). */
  SPACE_MEMBER_SNAPSHOT_SECONDS: num(60, 0),
  TEXT_MAX_CHARS: num(2000, 1),
  SHUTDOWN_TIMEOUT_MS: num(10_000, 100),
  STALE_PROCESS_SWEEP_MS: num(3000, 100),
  SERVE_DEMO: flag,
  // HTTP edge (issue 14). 0 means "no limit" for the counting limits.
  MATCHMAKE_MAX_BODY_BYTES: num(16 * 1024, 256),
  HTTP_MAX_BODY_BYTES: num(64 * 1024, 256),
  HTTP_BODY_TIMEOUT_MS: num(10_000, 100),
  LOGIN_FAILURES_PER_USERNAME: num(5, 0),
  LOGIN_FAILURES_PER_IP: num(50, 0),
  LOGIN_FAILURE_WINDOW_SECONDS: num(900, 1),
  REGISTRATIONS_PER_IP_PER_HOUR: num(20, 0),
  REST_WRITES_PER_MINUTE: num(60, 0),
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(17),
  PASSWORD_HASH_CONCURRENCY: num(2, 1),
  PASSWORD_HASH_QUEUE: num(200, 1),
  TRUST_PROXY: trustProxy,
  CORS_ORIGINS: originList,
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  /** Reports one user may file per rolling hour (0: no limit). */
  REPORTS_PER_HOUR: num(10, 0),
  /** Comma-separated usernames whose tokens carry the operator (`admin`) role. */
  ADMIN_USERNAMES: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
});

export type Config = z.infer<typeof EnvSchema> & { dataDir: string };

/** Parse the environment once; a bad value stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`PUBLIC_ADDRESS=` in a copy of .env.example) means unset, not "".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const cfg = parsed.data;
  if (cfg.NODE_ENV === "production" && !cfg.JWT_SECRET) {
    throw new Error(
      "JWT_SECRET is required when NODE_ENV=production: set it to a long random string shared by every process.",
    );
  }
  if (cfg.AUTH_MODE !== "local" && !cfg.JWT_PUBLIC_KEY && !cfg.JWKS_URL) {
    throw new Error(
      `AUTH_MODE=${cfg.AUTH_MODE} needs JWT_PUBLIC_KEY or JWKS_URL: the key that verifies the identity provider's tokens.`,
    );
  }
  return { ...cfg, dataDir: path.resolve(cfg.DATA_DIR) };
}
