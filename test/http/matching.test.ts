import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { createUser, type TestUser } from "../helpers/users";
import { inbox } from "../helpers/room";
import type { DeliveredEvent } from "../../src/realtime/delivery";
import { WELCOME_MESSAGE } from "../../src/systems/conversation/conversations";

const like = (from: TestUser, to: string) =>
  api("POST", "/api/v1/matching/likes", { token: from.token, body: { userId: to } });

const count = async (table: string) =>
  (await ctx().db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

/** Everything delivered to these users' lobbies (on any process), until `stop()`. */
async function recordDeliveries(...users: TestUser[]) {
  const events = new Map<string, DeliveredEvent[]>(users.map((u) => [u.id, []]));
  const offs = await Promise.all(users.map((u) => ctx().delivery.onUser(u.id, (e) => events.get(u.id)!.push(e))));
  return {
    of: (user: TestUser, type: string): any[] =>
      events
        .get(user.id)!
        .filter((e) => e.type === type)
        .map((e) => e.payload),
    stop: () => offs.forEach((off) => off()),
  };
}

describe("REST /api/v1/matching", () => {
  it("a like without a like back is not a match", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const res = await like(alice, bob.id);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { matched: false });
    assert.equal(await count("likes"), 1);
    assert.equal(await count("matches"), 0);
    assert.equal(await count("conversations"), 0);
  });

  it("a mutual like creates the match, its conversation with both participants and the welcome message, and tells both users", async () => {
    const alice = await createUser({ avatarUrl: "https://example.com/alice.png" });
    const bob = await createUser({ avatarUrl: "https://example.com/bob.png" });
    const deliveries = await recordDeliveries(alice, bob);
    try {
      assert.deepEqual((await like(alice, bob.id)).body, { matched: false });
      const res = await like(bob, alice.id);
      assert.equal(res.status, 200);
      const { matched, match, conversationId } = res.body;
      assert.equal(matched, true);
      assert.deepEqual(match.user, {
        id: alice.id,
        username: alice.username,
        profile_picture: "https://example.com/alice.png",
      });
      assert.ok(!Number.isNaN(Date.parse(match.created_at)));

      const { rows: matches } = await ctx().db.query("SELECT id FROM matches");
      assert.deepEqual(
        matches.map((m) => m.id),
        [match.id],
      );
      const { rows: conversations } = await ctx().db.query("SELECT id, match_id FROM conversations");
      assert.deepEqual(conversations, [{ id: conversationId, match_id: match.id }]);
      const { rows: people } = await ctx().db.query<{ user_id: string }>(
        "SELECT user_id FROM conversation_participants WHERE conversation_id = $1",
        [conversationId],
      );
      assert.deepEqual(people.map((p) => p.user_id).sort(), [alice.id, bob.id].sort());
      const { rows: messages } = await ctx().db.query(
        "SELECT sender_id, content FROM messages WHERE conversation_id = $1",
        [conversationId],
      );
      assert.deepEqual(messages, [{ sender_id: bob.id, content: WELCOME_MESSAGE }]);

      // Each user's copy names the other user.
      const aliceEvents = deliveries.of(alice, "new_match");
      const bobEvents = deliveries.of(bob, "new_match");
      assert.equal(aliceEvents.length, 1);
      assert.equal(bobEvents.length, 1);
      assert.deepEqual(aliceEvents[0], {
        type: "new_match",
        data: {
          type: "new_match",
          match: {
            id: match.id,
            user: { id: bob.id, username: bob.username, profile_picture: "https://example.com/bob.png" },
            created_at: match.created_at,
          },
          conversation_id: conversationId,
        },
      });
      assert.deepEqual(bobEvents[0].data.match.user, match.user);
      assert.equal(bobEvents[0].data.conversation_id, conversationId);

      // A notification-center row per user, pushed live too.
      for (const [user, other] of [
        [alice, bob],
        [bob, alice],
      ] as const) {
        const { items: notes } = await ctx().services.notifications.list(user.id, { limit: 50 });
        assert.equal(notes.length, 1);
        assert.equal(notes[0]!.kind, "new_match");
        assert.deepEqual(notes[0]!.data, { matchId: match.id, conversationId });
        const pushed = deliveries.of(user, "notification");
        assert.equal(pushed.length, 1);
        assert.equal(pushed[0]!.id, notes[0]!.id);
        assert.equal(pushed[0]!.senderUsername, other.username);
      }
    } finally {
      deliveries.stop();
    }
  });

  it("delivers new_match to both users' user_lobby", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const aliceLobby = await sdk(alice.token).joinOrCreate("user_lobby");
    const bobLobby = await sdk(bob.token).joinOrCreate("user_lobby");
    const [aliceBox, bobBox] = [inbox(aliceLobby), inbox(bobLobby)];
    await like(alice, bob.id);
    const { body } = await like(bob, alice.id);
    const toAlice = await aliceBox.next("new_match");
    const toBob = await bobBox.next("new_match");
    assert.equal(toAlice.data.match.user.id, bob.id);
    assert.equal(toBob.data.match.user.id, alice.id);
    assert.equal(toAlice.data.conversation_id, body.conversationId);
    assert.equal(toBob.data.match.id, body.match.id);
    await aliceLobby.leave();
    await bobLobby.leave();
  });

  it("liking again changes nothing: no duplicate like, match, conversation, message or event", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    assert.deepEqual((await like(alice, bob.id)).body, { matched: false });
    assert.deepEqual((await like(alice, bob.id)).body, { matched: false });
    assert.equal(await count("likes"), 1);
    const first = await like(bob, alice.id);

    const deliveries = await recordDeliveries(alice, bob);
    try {
      for (const [from, to] of [
        [alice, bob],
        [bob, alice],
        [alice, bob],
      ] as const) {
        const again = await like(from, to.id);
        assert.equal(again.status, 200);
        assert.equal(again.body.matched, true);
        assert.equal(again.body.match.id, first.body.match.id);
        assert.equal(again.body.match.user.id, to.id);
        assert.equal(again.body.conversationId, first.body.conversationId);
      }
      assert.equal(await count("likes"), 2);
      assert.equal(await count("matches"), 1);
      assert.equal(await count("conversations"), 1);
      assert.equal(await count("messages"), 1);
      assert.equal(await count("notifications"), 2);
      assert.equal(deliveries.of(alice, "new_match").length + deliveries.of(bob, "new_match").length, 0);
    } finally {
      deliveries.stop();
    }
  });

  it("makes exactly one match when two users like each other at the same moment", async () => {
    for (let round = 0; round < 5; round++) {
      const [alice, bob] = [await createUser(), await createUser()];
      const [a, b] = await Promise.all([like(alice, bob.id), like(bob, alice.id)]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal([a, b].filter((r) => r.body.matched).length, 1, "the later like sees the earlier one");
      const { rows } = await ctx().db.query<{ n: number; c: number; m: number }>(
        `SELECT (SELECT count(*)::int FROM matches WHERE user_a IN ($1::uuid, $2::uuid)) AS n,
                (SELECT count(*)::int FROM conversations c JOIN matches m ON m.id = c.match_id WHERE m.user_a IN ($1::uuid, $2::uuid)) AS c,
                (SELECT count(*)::int FROM messages m JOIN conversation_participants p ON p.conversation_id = m.conversation_id WHERE p.user_id = $1) AS m`,
        [alice.id, bob.id],
      );
      assert.deepEqual(rows[0], { n: 1, c: 1, m: 1 });
    }
  });

  it("lists my recent matches, newest first, with the other user and the conversation", async () => {
    const me = await createUser();
    const [first, second, stranger] = [
      await createUser({ avatarUrl: "https://example.com/f.png" }),
      await createUser(),
      await createUser(),
    ];
    for (const other of [first, second]) {
      await like(me, other.id);
      await like(other, me.id);
    }
    await like(stranger, first.id);
    await like(first, stranger.id); // a match that is not mine

    const res = await api("GET", "/api/v1/matching/recent-matches", { token: me.token });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.items.map((m: any) => m.user.id),
      [second.id, first.id],
    );
    const [, older] = res.body.items;
    assert.deepEqual(older.user, {
      id: first.id,
      username: first.username,
      profile_picture: "https://example.com/f.png",
    });
    const { rows } = await ctx().db.query("SELECT c.id FROM conversations c WHERE c.match_id = $1", [older.id]);
    assert.equal(older.conversation_id, rows[0]!.id);
    assert.ok(Date.parse(res.body.items[0].created_at) >= Date.parse(older.created_at));

    const limited = await api("GET", "/api/v1/matching/recent-matches?limit=1", { token: me.token });
    assert.deepEqual(
      limited.body.items.map((m: any) => m.user.id),
      [second.id],
    );
  });

  describe("bad input", () => {
    it("refuses liking yourself with 400 and stores nothing", async () => {
      const alice = await createUser();
      const res = await like(alice, alice.id.toUpperCase());
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        status: "failed",
        error: "userId: you cannot like yourself",
        code: "INVALID_REQUEST",
      });
      assert.equal(await count("likes"), 0);
    });

    it("answers an unknown user with 404 and stores nothing", async () => {
      const alice = await createUser();
      const res = await like(alice, crypto.randomUUID());
      assert.equal(res.status, 404);
      assert.equal(res.body.code, "NOT_FOUND");
      assert.equal(await count("likes"), 0);
    });

    it("refuses malformed bodies with 400 naming the field", async () => {
      const alice = await createUser();
      const cases: Array<[unknown, RegExp]> = [
        [{}, /userId/],
        [{ userId: 42 }, /userId/],
        [{ userId: "not-a-uuid" }, /userId/],
        [{ userId: "x".repeat(10_000) }, /userId/],
        [{ userId: crypto.randomUUID(), extra: true }, /extra|Unrecognized/i],
        [[1, 2], /payload|expected object/],
        ["{not json", /malformed JSON/],
      ];
      for (const [body, field] of cases) {
        const res = await api("POST", "/api/v1/matching/likes", { token: alice.token, body });
        assert.equal(res.status, 400, JSON.stringify(body).slice(0, 40));
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
      }
      for (const q of ["limit=0", "limit=101", "limit=abc", "other=1"]) {
        const res = await api("GET", `/api/v1/matching/recent-matches?${q}`, { token: alice.token });
        assert.equal(res.status, 400, q);
        assert.equal(res.body.code, "INVALID_REQUEST");
      }
      assert.equal(await count("likes"), 0);
    });

    it("requires a token", async () => {
      const bob = await createUser();
      assert.equal((await api("POST", "/api/v1/matching/likes", { body: { userId: bob.id } })).status, 401);
      assert.equal((await api("GET", "/api/v1/matching/recent-matches")).status, 401);
      assert.equal(await count("likes"), 0);
    });
  });
});
