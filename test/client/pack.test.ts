import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { BASE_URL } from "../helpers/server";
import { befriend, createUser, TEST_PASSWORD } from "../helpers/users";

/**
 * Issue 19's check, as an adopter would do it: pack @rally/client (`npm pack` builds it), install
 * the tarball into a new project outside this repository (its dependencies from the npm cache,
 * no network needed), type-check a short script with `tsc --strict`, and run it against this
 * server: it signs in two friends, joins both lobbies, sends a game invitation and receives it.
 */
const repo = path.resolve(__dirname, "../..");

/** The adopter's script. The `@ts-expect-error` lines prove the tables type `on`/`request`. */
const SCRIPT = `import { connect, login, sessionAuth, LobbyEvent, LobbyMessage } from "@rally/client";
import { readFileSync } from "node:fs";

type Who = { username: string; password: string };
const { url, alice, bob } = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { url: string; alice: Who; bob: Who };
const signIn = async (who: Who) => connect(url, sessionAuth(url, await login(url, who)));
const [aliceClient, bobClient] = await Promise.all([signIn(alice), signIn(bob)]);

const bobLobby = await bobClient.joinLobby();
const received = new Promise<{ invitationId: string; map: string; seq: number }>((resolve) =>
  bobLobby.on(LobbyEvent.invitationReceived, resolve),
);
const aliceLobby = await aliceClient.joinLobby();
const bobId = (await bobClient.api<{ id: string }>("GET", "/api/users/me")).id;
const { invitationId } = await aliceLobby.request(LobbyMessage.sendInvitation, { toUserId: bobId, map: "classic" });
const invitation = await received;
if (invitation.invitationId !== invitationId) throw new Error("another invitation arrived");
console.log(JSON.stringify({ invitationId, map: invitation.map, seq: invitation.seq }));
// @ts-expect-error: not an event of the lobby
bobLobby.on("bigger_dice.rolled", () => undefined);
// @ts-expect-error: the invitation needs a map
if (Math.random() < 0) await aliceLobby.request(LobbyMessage.sendInvitation, { toUserId: bobId });
await Promise.all([aliceClient.close(), bobClient.close()]);
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    // As `tsc --init` sets it: @colyseus/sdk's own .d.ts files name @colyseus/core, which a client does not install.
    skipLibCheck: true,
    types: ["node"],
    outDir: "out",
  },
  files: ["check.ts"],
};

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("@rally/client, packed and installed in a new project", function () {
  this.timeout(240_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-client-check-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("installs offline, type-checks a strict script, and that script sends and receives a game invitation", async () => {
    const started = Date.now();
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);

    // `npm pack` runs the package's prepack (its build), then writes the tarball here.
    const packOutput = run("npm", ["pack", "--json", "--pack-destination", dir, "-w", "@rally/client"], repo);
    const packed = JSON.parse(packOutput.slice(packOutput.indexOf("\n[") + 1)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const tarball = path.join(dir, packed[0].filename);
    const files = packed[0].files.map((f) => f.path);
    for (const f of ["dist/index.mjs", "dist/index.js", "dist/index.d.mts", "dist/index.d.ts", "package.json"])
      assert.ok(files.includes(f), f);
    // The bundle holds the protocol's name tables, never server code.
    const bundle = fs.readFileSync(path.join(repo, "client/dist/index.mjs"), "utf8");
    assert.doesNotMatch(bundle, /from "(zod|@colyseus\/core|pg|express)"|ServerError|z\.object/);
    const packedAt = Date.now();

    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "rally-adopter", private: true, type: "module" }),
    );
    run(
      "npm",
      ["install", tarball, "@types/node@^22", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"],
      project,
    );
    fs.writeFileSync(path.join(project, "check.ts"), SCRIPT);
    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify(TSCONFIG));
    assert.ok(SCRIPT.split("\n").length <= 30, "the script stays short");

    const tsc = require.resolve("typescript/bin/tsc");
    try {
      run(process.execPath, [tsc, "-p", "tsconfig.json"], project);
    } catch (e) {
      throw new Error(`tsc --strict failed:\n${(e as { stdout?: string }).stdout}`);
    }

    fs.writeFileSync(
      path.join(project, "users.json"),
      JSON.stringify({
        url: BASE_URL,
        alice: { username: alice.username, password: TEST_PASSWORD },
        bob: { username: bob.username, password: TEST_PASSWORD },
      }),
    );
    const output = await new Promise<string>((resolve, reject) => {
      // Asynchronously: the server under test runs in this process.
      execFile(
        process.execPath,
        ["out/check.js", "users.json"],
        { cwd: project, timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const result = JSON.parse(output.trim().split("\n").pop()!) as { invitationId: string; map: string; seq: number };
    assert.equal(result.map, "classic");
    assert.ok(result.seq > 0, "events carry the seat's seq");
    const stored = await fetch(`${BASE_URL}/api/game-invitations?direction=received`, {
      headers: { authorization: `Bearer ${bob.token}` },
    }).then((r) => r.json() as Promise<{ items: Array<{ id: string }> }>);
    assert.ok(
      stored.items.some((i) => i.id === result.invitationId),
      "the invitation is stored",
    );
    console.log(
      `      pack ${((packedAt - started) / 1000).toFixed(1)} s, install + tsc + run ${((Date.now() - packedAt) / 1000).toFixed(1)} s`,
    );
  });
});
