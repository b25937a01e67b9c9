/**
 * `npm run build`: the server bundled into dist/ once, so `npm start` runs plain
 * `node dist/index.js` (no TypeScript compiler at start), plus the browser demo.
 *
 * - dist/index.js: src/index.ts bundled by esbuild (CommonJS, Node 22), with its source map;
 *   packages stay external, so dist/ runs on `npm ci --omit=dev` production dependencies.
 * - dist/migrations/*.sql and every other non-TypeScript file of src/ (data files), next to
 *   the bundle: a module that reads `path.join(__dirname, "<dir>/<file>")` from src/<x>/ finds
 *   `dist/<dir>/<file>` the same way once bundled (its __dirname becomes dist/).
 * - dist/pglite-seed.tar.gz: an empty, migrated PGlite database, which a first start on
 *   embedded defaults unpacks instead of running initdb (src/db openDb's pgliteSeed).
 * - client-demo/dist/ (client-demo/build.ts: type-checked, then bundled).
 * - client/dist/: the @rally/client package (ESM + CJS + .d.ts; its own `npm run build`, tsup).
 * - dist/build-info.json: what was built, when; scripts/start.cjs compares the sources'
 *   modification times with it to decide whether the build is current.
 *
 * `--server-only` skips the demo and the client package.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { pgliteSeed } from "../src/db";

const root = path.resolve(__dirname, "..");
const src = path.join(root, "src");
const dist = path.join(root, "dist");

/** Non-TypeScript files under src/, as paths relative to the directory of the module that reads them. */
function dataFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) dataFiles(full, out);
    else if (!entry.name.endsWith(".ts")) out.push(full);
  }
  return out;
}

/**
 * A data file lives beside (or below) the module that reads it; in the bundle every module's
 * __dirname is dist/, so the file keeps its path relative to its nearest source directory
 * that holds TypeScript: src/db/migrations/x.sql → dist/migrations/x.sql.
 */
function bundledPath(file: string): string {
  let dir = path.dirname(file);
  while (dir !== src && !fs.readdirSync(dir).some((f) => f.endsWith(".ts"))) dir = path.dirname(dir);
  return path.join(dist, path.relative(dir, file));
}

async function buildServer(): Promise<void> {
  fs.rmSync(dist, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(src, "index.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    packages: "external",
    outfile: path.join(dist, "index.js"),
    sourcemap: true,
    sourcesContent: false,
    logLevel: "warning",
    legalComments: "none",
  });
  const placed = new Map<string, string>();
  for (const file of dataFiles(src)) {
    const target = bundledPath(file);
    const other = placed.get(target);
    if (other)
      throw new Error(
        `build: ${path.relative(root, file)} and ${path.relative(root, other)} would both be ${path.relative(root, target)}`,
      );
    placed.set(target, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  await buildServer();
  // The database a first start on embedded defaults unpacks instead of running initdb.
  fs.writeFileSync(path.join(dist, "pglite-seed.tar.gz"), await pgliteSeed(path.join(dist, "migrations")));
  if (!process.argv.includes("--server-only")) {
    execFileSync(process.execPath, ["--import", "tsx", path.join(root, "client-demo/build.ts")], {
      stdio: "inherit",
      cwd: root,
    });
    execFileSync("npm", ["run", "build", "--silent", "-w", "@rally/client"], { stdio: "inherit", cwd: root });
  }
  fs.writeFileSync(
    path.join(dist, "build-info.json"),
    JSON.stringify(
      { builtAt: new Date(started).toISOString(), demo: !process.argv.includes("--server-only") },
      null,
      2,
    ) + "\n",
  );
  console.log(`build: dist/ in ${Date.now() - started} ms`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
