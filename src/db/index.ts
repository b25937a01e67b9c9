import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import zlib from "node:zlib";
// The ESM declarations, the ones the dynamic import() below resolves to.
import type { PGlite, Transaction } from "@electric-sql/pglite" with { "resolution-mode": "import" };
import { Pool, type PoolClient } from "pg";
import { metrics } from "../metrics";

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** Anything that runs SQL: the database itself, or a transaction in progress. */
export interface Queryable {
  // Rows are untyped unless the caller names a row type, as in the SQL they come from.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<T = any>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/** The one data layer. Services receive a Db and never know which backend is behind it. */
export interface Db extends Queryable {
  readonly backend: "pglite" | "postgres";
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function timed<T>(backend: string, run: () => Promise<T>): Promise<T> {
  const end = metrics.dbDuration.startTimer({ backend });
  return run().finally(() => end());
}

class PgDb implements Db {
  readonly backend = "postgres" as const;
  constructor(private readonly pool: Pool) {
    // An idle client losing its server (Postgres restart) must not crash the process.
    pool.on("error", () => undefined);
  }

  query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    return timed(this.backend, async () => {
      const r = await this.pool.query(sql, params);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    });
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const conn: PoolClient = await this.pool.connect();
    const tx: Queryable = {
      query: (sql, params = []) =>
        timed(this.backend, async () => {
          const r = await conn.query(sql, params);
          return { rows: r.rows, rowCount: r.rowCount ?? 0 };
        }),
    };
    let failed = false;
    try {
      await conn.query("BEGIN");
      const result = await fn(tx);
      await conn.query("COMMIT");
      return result;
    } catch (e) {
      failed = true;
      await conn.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      // A client whose connection broke is destroyed rather than returned to the pool.
      conn.release(failed ? true : undefined);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgliteDb implements Db {
  readonly backend = "pglite" as const;
  constructor(private readonly pg: PGlite) {}

  query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    return timed(this.backend, () => pgliteQuery<T>(this.pg, sql, params));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction((t) =>
      fn({ query: (sql, params = []) => timed(this.backend, () => pgliteQuery(t, sql, params)) }),
    );
  }

  async ping(): Promise<void> {
    await this.pg.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}

async function pgliteQuery<T>(on: PGlite | Transaction, sql: string, params: unknown[]): Promise<QueryResult<T>> {
  const r = await on.query<T>(sql, params);
  return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
}

export interface DbOptions {
  databaseUrl?: string;
  /** Directory for PGlite's files, or "memory://" for a throwaway database. */
  pgliteDir: string;
  poolSize?: number;
  /**
   * PGlite's shared_buffers in MB. Postgres' default (128 MB) is most of an idle PGlite's
   * resident memory; an embedded database of one process needs far less.
   */
  pgliteSharedBuffersMb?: number;
  /**
   * A gzipped tarball of a migrated, empty PGlite data directory (`npm run build` writes
   * dist/pglite-seed.tar.gz). Used only when pgliteDir holds no database yet: the first start
   * unpacks it instead of running initdb, which takes seconds and leaves a second PGlite
   * instance's memory behind.
   */
  pgliteSeed?: string;
}

/** PostgreSQL through a pg Pool when a URL is given, otherwise PGlite stored on disk. */
export async function openDb(opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    const pool = new Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    const db = new PgDb(pool);
    await db.ping();
    return db;
  }
  // PGlite's WebAssembly (Postgres) compiled by the baseline compiler only. V8's optimizing tier
  // recompiled most of the 9 MB module during the start and left ~47 MB resident on an idle
  // server; letting it tier up only where code runs a lot (8× the budget) kept the idle server
  // at ~173 MB and chat on PGlite at 250 msg/s instead of 100, but its background compiles
  // then ran on the server's core in the middle of bench E and cost the 1,000-avatar space its
  // pass. The embedded database is for development and small deployments; PostgreSQL is for
  // load (bench B: 500 msg/s). Wasm flags are read when a module is compiled, so setting this
  // before PGlite loads is enough; only PGlite uses wasm.
  v8.setFlagsFromString("--liftoff-only");
  const { PGlite } = await import("@electric-sql/pglite");
  if (!opts.pgliteDir.startsWith("memory://")) fs.mkdirSync(opts.pgliteDir, { recursive: true });
  // `-c` settings go after PGlite's own start parameters (which startParams replaces).
  const defaults = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams;
  const sharedBuffers = opts.pgliteSharedBuffersMb ?? 8;
  const fresh = !opts.pgliteDir.startsWith("memory://") && !fs.existsSync(path.join(opts.pgliteDir, "PG_VERSION"));
  const seed =
    fresh && opts.pgliteSeed && fs.existsSync(opts.pgliteSeed)
      ? new Blob([zlib.gunzipSync(fs.readFileSync(opts.pgliteSeed))])
      : undefined;
  const pg = await PGlite.create(opts.pgliteDir, {
    ...(defaults ? { startParams: [...defaults, "-c", `shared_buffers=${sharedBuffers}MB`] } : {}),
    ...(seed ? { loadDataDir: seed } : {}),
  });
  return new PgliteDb(pg);
}

/** A json/jsonb column's value, whether the driver parsed it or handed back its text. */
export const jsonColumn = <T>(value: T | string): T => (typeof value === "string" ? (JSON.parse(value) as T) : value);

export const MIGRATIONS_DIR = path.join(__dirname, "migrations");

/** A new PGlite database with the migrations of `dir` applied, as a gzipped tarball (see DbOptions.pgliteSeed). */
export async function pgliteSeed(dir = MIGRATIONS_DIR): Promise<Buffer> {
  const { PGlite } = await import("@electric-sql/pglite");
  const pg = await PGlite.create("memory://");
  try {
    await migrate(new PgliteDb(pg), dir);
    const tar = await pg.dumpDataDir("none");
    return zlib.gzipSync(Buffer.from(await tar.arrayBuffer()));
  } finally {
    await pg.close();
  }
}

/**
 * Apply the timestamped SQL files of `dir` in name order, each once, each in its own
 * transaction. An advisory lock keeps two processes starting together from racing.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(727274)");
    await tx.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await tx.query<{ name: string }>("SELECT name FROM schema_migrations")).rows.map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = fs.readFileSync(path.join(dir, file), "utf8");
      for (const statement of splitStatements(sql)) await tx.query(statement);
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [file]);
      applied.push(file);
    }
  });
  return applied;
}

/** Split a migration into statements (parameterised queries take one statement each). */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = "";
  let inDollar = false;
  for (const line of sql.split("\n")) {
    const trimmed = line.trim();
    if (!inDollar && (trimmed.startsWith("--") || trimmed === "")) continue;
    current += line + "\n";
    if ((line.match(/\$\$/g)?.length ?? 0) % 2 === 1) inDollar = !inDollar;
    if (!inDollar && trimmed.endsWith(";")) {
      out.push(current.trim());
      current = "";
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
