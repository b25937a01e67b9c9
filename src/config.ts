import path from "node:path";
import { z } from "zod";

/** Boolean-ish environment values: "1", "true", "yes" are true. */
const flag = z
  .string()
  .optional()
  .transform((v) => v !== undefined && ["1", "true", "yes"].includes(v.toLowerCase()));

const num = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

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
  JWT_EXPIRES_IN: z.string().default("7d"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MONITOR_USER: z.string().optional(),
  MONITOR_PASSWORD: z.string().optional(),
  RECONNECT_SECONDS: num(30, 0),
  DICE_RECONNECT_SECONDS: num(60, 0),
  INVITES_PER_MINUTE: num(10, 1),
  INVITE_EXPIRY_HOURS: z.coerce.number().positive().default(24),
  TRIVIA_MAX_PARTICIPANTS: num(100, 2),
  /** Connections one user may hold to one kind of room, across processes (0: no limit). */
  MAX_CONNECTIONS_PER_USER: num(5, 0),
  /** Open bigger_dice rooms one user may have created at once (0: no limit). */
  DICE_ROOMS_PER_USER: num(3, 0),
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
  TEXT_MAX_CHARS: num(2000, 1),
  SHUTDOWN_TIMEOUT_MS: num(10_000, 100),
  STALE_PROCESS_SWEEP_MS: num(3000, 100),
  SERVE_DEMO: flag,
});

export type Config = z.infer<typeof EnvSchema> & { dataDir: string };

/** Parse the environment once; a bad value stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
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
  return { ...cfg, dataDir: path.resolve(cfg.DATA_DIR) };
}
