import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MIGRATIONS_DIR, migrate, openDb, pgliteSeed } from "../../src/db";

/**
 * The first start on embedded defaults unpacks the build's seed (a migrated, empty PGlite
 * database) instead of running initdb; later starts find the database and leave it alone.
 */
describe("PGlite seed (first start without initdb)", function () {
  this.timeout(120_000);
  let dir: string;
  let seedFile: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-seed-"));
    seedFile = path.join(dir, "seed.tar.gz");
    fs.writeFileSync(seedFile, await pgliteSeed());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("opens an empty data directory from the seed, with every migration applied and data kept across restarts", async () => {
    const dataDir = path.join(dir, "pglite");
    const db = await openDb({ pgliteDir: dataDir, pgliteSeed: seedFile });
    const migrations = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"));
    assert.deepEqual(await migrate(db), [], "the seed carries every migration");
    const { rows } = await db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name");
    assert.deepEqual(
      rows.map((r) => r.name),
      migrations.sort(),
    );
    await db.query("INSERT INTO users (username, password_hash) VALUES ('seeded', 'x')");
    await db.close();

    // A second start must not unpack the seed over the existing database.
    const again = await openDb({ pgliteDir: dataDir, pgliteSeed: seedFile });
    const users = await again.query<{ username: string }>("SELECT username FROM users");
    assert.deepEqual(
      users.rows.map((r) => r.username),
      ["seeded"],
    );
    await again.close();
  });
});
