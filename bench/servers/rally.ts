import crypto from "node:crypto";
import { createApp } from "../../src/app.config";
import { hashPassword } from "../../src/auth/passwords";
import { truncateAll } from "../../test/helpers/truncate";
import { announceReady, serveRpc } from "../lib/ipc";
import { listenOnLoopback } from "./colyseusListen";
import { benchPort, commonCommands, exitOnSigterm } from "./common";

/**
 * rally for the bench: the real composition root (src/app.config.ts createApp: auth,
 * validation, rate limits, the database) listening on 127.0.0.1, plus a few setup commands
 * over IPC that create users, spaces and conversations before a step (outside any measured
 * window). Users are inserted in bulk with one precomputed password hash: hashing thousands
 * of passwords (scrypt) would only slow the setup down. The load-test scripts in loadtest/
 * go through the real register/login routes instead.
 */

export interface BenchUser {
  id: string;
  username: string;
  token: string;
}

async function main(): Promise<void> {
  const port = benchPort();
  exitOnSigterm();
  const app = await createApp({ ...process.env, PORT: String(port), HOST: "127.0.0.1" });
  const { db, tokens } = app.ctx;
  if (app.ctx.db.backend === "postgres") await truncateAll(db);
  await listenOnLoopback(app.options, port);
  const base = `http://127.0.0.1:${port}`;
  const tag = crypto.randomBytes(3).toString("hex");
  const passwordHash = await hashPassword("bench-password");
  let userCounter = 0;

  async function createUsers(count: number, orgId: string | null = null): Promise<BenchUser[]> {
    const out: BenchUser[] = [];
    for (let start = 0; start < count; start += 500) {
      const names = Array.from({ length: Math.min(500, count - start) }, () => `bench_${tag}_${++userCounter}`);
      const { rows } = await db.query<{ id: string; username: string }>(
        `INSERT INTO users (username, password_hash, org_id)
         SELECT name, $2, $3 FROM unnest($1::text[]) AS name RETURNING id, username`,
        [names, passwordHash, orgId],
      );
      if (orgId) {
        // Organizations are data (issue 16): the users are real members of the org their tokens name.
        await db.query(`INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [orgId]);
        await db.query(
          `INSERT INTO org_members (org_id, user_id, role) SELECT $1, id, 'member' FROM unnest($2::uuid[]) AS id ON CONFLICT DO NOTHING`,
          [orgId, rows.map((r) => r.id)],
        );
      }
      for (const r of rows)
        out.push({ id: r.id, username: r.username, token: tokens.sign({ id: r.id, username: r.username, orgId }) });
    }
    return out;
  }

  async function rest<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as T;
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  serveRpc({
    ...commonCommands,

    users: async ({ count, orgId }: { count: number; orgId?: string }) => createUsers(count, orgId ?? null),

    /** `rooms` spaces of `perRoom` members each (the first is the admin); viewRadius 0 = unlimited view. */
    spaces: async ({
      rooms,
      perRoom,
      width = 1000,
      height = 1000,
      viewRadius,
    }: {
      rooms: number;
      perRoom: number;
      width?: number;
      height?: number;
      viewRadius?: number;
    }) => {
      const users = await createUsers(rooms * perRoom);
      const out: Array<{ key: string; members: BenchUser[] }> = [];
      for (let r = 0; r < rooms; r++) {
        const members = users.slice(r * perRoom, (r + 1) * perRoom);
        // The space through the service (its owner becomes admin); the other members are
        // added in one statement rather than through 19 invites and accepts each.
        const space = await app.ctx.services.spaces.create(members[0]!.id, {
          name: `bench space ${tag} ${r}`,
          capacity: perRoom,
          width,
          height,
          viewRadius,
        });
        const spaceId = space.id;
        await db.query(
          `INSERT INTO space_members (space_id, user_id, role)
           SELECT $1, u, 'member' FROM unnest($2::uuid[]) AS u`,
          [spaceId, members.slice(1).map((m) => m.id)],
        );
        out.push({ key: spaceId, members });
      }
      return out;
    },

    /** `count` one-to-one conversations, opened over REST as a client would. */
    conversations: async ({ count }: { count: number }) => {
      const users = await createUsers(count * 2);
      const out: Array<{ key: string; members: BenchUser[] }> = [];
      for (let i = 0; i < count; i++) {
        const a = users[2 * i]!;
        const b = users[2 * i + 1]!;
        // Only matches and friends may open a conversation: like each other first, as a client would.
        await rest("POST", "/api/v1/matching/likes", a.token, { userId: b.id });
        const matched = await rest<{ conversationId: string }>("POST", "/api/v1/matching/likes", b.token, {
          userId: a.id,
        });
        const conv = { id: matched.conversationId };
        out.push({ key: conv.id, members: [a, b] });
      }
      return out;
    },

    countMessages: async () => {
      const { rows } = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM messages");
      return Number(rows[0]!.n);
    },

    countGames: async () => {
      const { rows } = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM game_history");
      return Number(rows[0]!.n);
    },

    backend: () => db.backend,
  });
  announceReady({ port, backend: db.backend });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
