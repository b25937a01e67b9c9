import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { run as dockerfilelint } from "dockerfilelint";
import { imageCommands, root } from "../../scripts/distProcess";

/**
 * The production image (issue 19). No container engine runs here, so this checks the
 * Dockerfile itself: the registry's Dockerfile linter finds nothing, and the file does what
 * the issue lists. `npm run boot:dist` (CI) runs the runtime stage's layout and CMD for real.
 */

const dockerfile = fs.readFileSync(path.join(root, "Dockerfile"), "utf8");
/** Instructions, with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages: string[][] = [];
for (const line of instructions) {
  if (/^FROM\s/i.test(line)) stages.push([]);
  stages.at(-1)?.push(line);
}
const runtime = stages.at(-1) ?? [];

describe("the Dockerfile", () => {
  it("passes dockerfilelint (which does flag a bad one)", () => {
    assert.deepEqual(dockerfilelint(root, dockerfile), []);
    const bad = dockerfilelint(root, "FROM node:latest\nRUN sudo apt-get install curl\nEXPOSE 99999\n");
    assert.ok(bad.length >= 3, JSON.stringify(bad.map((i) => i.rule)));
  });

  it("builds in one node:22-slim stage and runs from another, with production dependencies only", () => {
    assert.ok(stages.length >= 2, "multi-stage");
    for (const stage of stages) assert.match(stage[0], /^FROM node:22-slim(\s+AS\s+\w+)?$/i);
    const build = stages.find((s) => s.includes("RUN npm run build"));
    assert.ok(build && build !== runtime, "dist/ is built in an earlier stage");
    assert.ok(
      runtime.some((l) => /^RUN npm ci\b.*--omit=dev/.test(l)),
      "the runtime stage installs with npm ci --omit=dev",
    );
    assert.ok(runtime.some((l) => /^COPY --from=\w+ \/app\/dist dist$/.test(l)));
    assert.ok(!runtime.some((l) => /^COPY \. /.test(l)), "no sources in the runtime stage");
    assert.ok(runtime.includes("ENV NODE_ENV=production"));
  });

  it("runs as a non-root user, checks /healthz, and lets SIGTERM reach node", () => {
    const users = runtime.filter((l) => /^USER\s/.test(l));
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0], /^USER\s+(root|0)(:|$)/);
    const { cmd, healthcheck } = imageCommands();
    assert.ok(runtime.indexOf(users[0]) < runtime.findIndex((l) => /^CMD\s/.test(l)), "USER before CMD");
    assert.ok(healthcheck.join(" ").includes("/healthz"));
    // Exec form with node itself as PID 1: no shell, no npm in between to swallow the signal.
    assert.equal(cmd[0], "node");
    assert.ok(cmd.includes("dist/index.js"));
    assert.ok(!cmd.some((a) => /\b(npm|sh|bash)\b/.test(a)));
    assert.ok(!runtime.some((l) => /^ENTRYPOINT\s/.test(l)), "no ENTRYPOINT wrapping the CMD");
  });

  it("keeps local state out of the build context (.dockerignore)", () => {
    const ignored = fs.readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["node_modules", "data", ".env", "dist"]) assert.ok(ignored.includes(entry), entry);
  });
});
