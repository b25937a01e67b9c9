/**
 * `npm start`: run the built server (dist/index.js) with plain node, building it first when
 * it is missing or older than its sources. `--build-if-stale` only builds (the `prepare`
 * step after `npm ci`); it does nothing where the build tools are absent
 * (`npm ci --omit=dev`), since a production image ships a dist/ built beforehand.
 *
 * Plain JavaScript on purpose: checking freshness must not load a TypeScript compiler.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const root = path.resolve(__dirname, "..");
const info = path.join(root, "dist", "build-info.json");
const buildOnly = process.argv.includes("--build-if-stale");
/** What the build reads: the server's, the demo's and @rally/client's sources, and how they are built. */
const inputs = [
  "src",
  "client-demo/src",
  "client-demo/build.ts",
  "client/src",
  "client/build",
  "scripts/build.ts",
  "package-lock.json",
];

function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

function buildIsCurrent() {
  let built;
  try {
    built = fs.statSync(info).mtimeMs;
    // `npm run build -- --server-only` leaves the demo out: not a build to start from.
    if (!JSON.parse(fs.readFileSync(info, "utf8")).demo) return false;
  } catch {
    return false;
  }
  return inputs.every((p) => newestMtime(path.join(root, p)) <= built);
}

function build() {
  // Nothing to build from (e.g. `npm ci` in an image layer before the sources are copied).
  if (!fs.existsSync(path.join(root, "scripts", "build.ts")) || !fs.existsSync(path.join(root, "src"))) return false;
  let esbuildPresent = true;
  try {
    require.resolve("esbuild", { paths: [root] });
    require.resolve("tsx", { paths: [root] });
  } catch {
    esbuildPresent = false;
  }
  if (!esbuildPresent) return false;
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts/build.ts")], {
    stdio: "inherit",
    cwd: root,
  });
  if (r.status === 0) return true;
  // After `npm ci` (prepare), a failed build must not undo the install: `npm start` builds
  // again and stops there with the same message.
  if (buildOnly) {
    console.error("rally: the build failed (above); `npm start` will try again.");
    process.exit(0);
  }
  process.exit(r.status ?? 1);
}

if (!buildIsCurrent()) {
  const built = build();
  if (!built && !buildOnly && !fs.existsSync(path.join(root, "dist", "index.js"))) {
    console.error(
      "dist/ is missing and the build tools (esbuild, tsx: dev dependencies) are not installed: run `npm run build` first.",
    );
    process.exit(1);
  }
}
if (!buildOnly) {
  // V8's code cache on disk (Node ≥ 22.1): a warm start skips parsing and compiling the
  // server's and its dependencies' JavaScript again.
  require("node:module").enableCompileCache?.(path.join(root, "node_modules", ".cache", "rally-compile"));
  // Stack traces point into src/*.ts through dist/index.js.map.
  process.setSourceMapsEnabled(true);
  require(path.join(root, "dist", "index.js"));
}
