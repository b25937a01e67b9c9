import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx } from "../helpers/server";
import { createUser, type TestUser } from "../helpers/users";

/** Issue 14: only matches and friends may open a conversation, so these tests make the pair friends first. */
async function open(from: TestUser, participantId: string) {
  await ctx().db.query(
    `INSERT INTO friendships (requester_id, addressee_id, status, accepted_at)
     SELECT $1::uuid, u.id, 'accepted', now() FROM users u WHERE u.id = $2::uuid AND u.id <> $1::uuid
     ON CONFLICT DO NOTHING`,
    [from.id, participantId],
  );
  return api("POST", "/api/v1/conversations", { token: from.token, body: { participantId } });
}

const post = (from: TestUser, conversationId: string, body: unknown) =>
  api("POST", `/api/v1/conversations/${conversationId}/messages`, { token: from.token, body });

const history = (reader: TestUser, conversationId: string, qs = "") =>
  api("GET", `/api/v1/conversations/${conversationId}/messages${qs}`, { token: reader.token });

const count = async (table: string) =>
  (await ctx().db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

async function conversationOf(a: TestUser, b: TestUser): Promise<string> {
  const res = await open(a, b.id);
  assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
  return res.body.id;
}

describe("REST /api/v1/conversations", () => {
  it("creates a 1:1 conversation once, and returns the same one to either side", async () => {
    const alice = await createUser();
    const bob = await createUser({ avatarUrl: "https://example.com/bob.png" });
    const created = await open(alice, bob.id);
    assert.equal(created.status, 201);
    assert.equal(created.body.match_id, null);
    assert.equal(created.body.last_message, null);
    assert.equal(created.body.unread_count, 0);
    assert.ok(!Number.isNaN(Date.parse(created.body.created_at)));
    assert.deepEqual(
      [...created.body.participants].sort((x: any, y: any) => x.id.localeCompare(y.id)),
      [
        { id: alice.id, username: alice.username, profile_picture: null },
        { id: bob.id, username: bob.username, profile_picture: "https://example.com/bob.png" },
      ].sort((x, y) => x.id.localeCompare(y.id)),
    );
    const again = await open(alice, bob.id);
    const fromBob = await open(bob, alice.id.toUpperCase());
    assert.equal(again.status, 200);
    assert.equal(fromBob.status, 200);
    assert.equal(again.body.id, created.body.id);
    assert.equal(fromBob.body.id, created.body.id);
    assert.equal(await count("conversations"), 1);
    assert.equal(await count("conversation_participants"), 2);
  });

  it("ends with one conversation when both open it at the same moment", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const [a, b] = await Promise.all([open(alice, bob.id), open(bob, alice.id)]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.equal(a.body.id, b.body.id);
    assert.equal(await count("conversations"), 1);
  });

  it("reuses the conversation when the pair matches later, linking it to the match", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const id = await conversationOf(alice, bob);
    await api("POST", "/api/v1/matching/likes", { token: alice.token, body: { userId: bob.id } });
    const matched = await api("POST", "/api/v1/matching/likes", { token: bob.token, body: { userId: alice.id } });
    assert.equal(matched.body.conversationId, id);
    const { rows } = await ctx().db.query("SELECT match_id FROM conversations WHERE id = $1", [id]);
    assert.equal(rows[0]!.match_id, matched.body.match.id);
    assert.equal(await count("conversations"), 1);
  });

  it("lists my conversations with their last message and my unread count, latest activity first", async () => {
    const [me, bob, carol, dave] = [await createUser(), await createUser(), await createUser(), await createUser()];
    const withBob = await conversationOf(me, bob);
    const withCarol = await conversationOf(carol, me);
    await conversationOf(bob, dave); // not mine
    await post(carol, withCarol, { content: "hi from carol" });
    await post(bob, withBob, { content: "hi from bob" });
    await post(bob, withBob, { content: "are you there?" });
    await post(me, withBob, { content: "yes" });

    const res = await api("GET", "/api/v1/conversations", { token: me.token });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.items.map((c: any) => c.id),
      [withBob, withCarol],
    );
    const [bobs, carols] = res.body.items;
    assert.equal(bobs.last_message.content, "yes");
    assert.equal(bobs.last_message.sender.id, me.id);
    assert.equal(bobs.unread_count, 2, "bob's two messages; my own do not count");
    assert.equal(carols.unread_count, 1);
    assert.equal(carols.participants.length, 2);

    const lastFromBob = (await history(me, withBob)).body.items.find((m: any) => m.content === "are you there?");
    await ctx().services.messages.markRead(withBob, me, lastFromBob.id);
    const after = await api("GET", "/api/v1/conversations", { token: me.token });
    assert.equal(after.body.items[0].unread_count, 0);

    const empty = await api("GET", "/api/v1/conversations", { token: (await createUser()).token });
    assert.deepEqual(empty.body, { items: [], nextCursor: null, unread_total: 0 });
  });

  it("stores a posted message and returns it in the shared message shape", async () => {
    const alice = await createUser({ avatarUrl: "https://example.com/alice.png" });
    const bob = await createUser();
    const id = await conversationOf(alice, bob);
    const res = await post(alice, id, { content: "  hello bob  ", clientMessageId: "m-1" });
    assert.equal(res.status, 201);
    const { id: messageId, created_at, ...rest } = res.body;
    assert.equal(typeof messageId, "number");
    assert.ok(!Number.isNaN(Date.parse(created_at)));
    assert.deepEqual(rest, {
      conversation_id: id,
      sender: { id: alice.id, username: alice.username, profile_picture: "https://example.com/alice.png" },
      content: "hello bob",
      is_read: false,
      attachment: null,
      client_message_id: "m-1",
    });
    const page = await history(bob, id);
    assert.deepEqual(page.body, { items: [res.body], nextCursor: null });
  });

  it("answers a repeated clientMessageId with the stored message (200) without storing it twice", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const id = await conversationOf(alice, bob);
    const first = await post(alice, id, { content: "once", clientMessageId: "k1" });
    const again = await post(alice, id, { content: "once, retried", clientMessageId: "k1" });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    // The key is the sender's: bob may use the same one.
    const bobs = await post(bob, id, { content: "mine", clientMessageId: "k1" });
    assert.equal(bobs.status, 201);
    assert.notEqual(bobs.body.id, first.body.id);
    assert.equal(await count("messages"), 2);

    // Reusing a key in another conversation is a conflict, not a silent answer from elsewhere.
    const other = await conversationOf(alice, await createUser());
    const clash = await post(alice, other, { content: "elsewhere", clientMessageId: "k1" });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.code, "CONFLICT");
    assert.match(clash.body.error, /clientMessageId/);
    assert.equal(await count("messages"), 2);
  });

  it("pages through history newest first with before/limit, nextCursor null on the last page", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const id = await conversationOf(alice, bob);
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) sent.push((await post(i % 2 ? bob : alice, id, { content: `m${i}` })).body.id);
    assert.deepEqual(
      [...sent].sort((a, b) => a - b),
      sent,
      "ids grow in send order",
    );

    const seen: number[] = [];
    let qs = "?limit=3";
    const cursors: Array<number | null> = [];
    for (;;) {
      const res = await history(alice, id, qs);
      assert.equal(res.status, 200);
      assert.ok(res.body.items.length <= 3);
      seen.push(...res.body.items.map((m: any) => m.id));
      cursors.push(res.body.nextCursor);
      if (res.body.nextCursor === null) break;
      qs = `?limit=3&before=${res.body.nextCursor}`;
    }
    assert.deepEqual(seen, [...sent].reverse());
    assert.deepEqual(cursors, [sent[4], sent[1], null]);

    const defaultPage = await history(alice, id);
    assert.equal(defaultPage.body.items.length, 7);
    assert.equal(defaultPage.body.nextCursor, null);
    const exact = await history(alice, id, "?limit=7");
    assert.equal(exact.body.nextCursor, null, "no empty extra page when the last page is exactly full");
    const beforeFirst = await history(alice, id, `?before=${sent[0]}`);
    assert.deepEqual(beforeFirst.body, { items: [], nextCursor: null });
  });

  it("reports is_read by the contract: true once every participant other than the sender has read it", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const id = await conversationOf(alice, bob);
    const m1 = (await post(alice, id, { content: "one" })).body.id;
    const m2 = (await post(alice, id, { content: "two" })).body.id;
    const m3 = (await post(bob, id, { content: "three" })).body.id;
    const readState = async (reader: TestUser) =>
      Object.fromEntries((await history(reader, id)).body.items.map((m: any) => [m.id, m.is_read]));

    await ctx().services.messages.markRead(id, alice, m3); // alice reads everything, her own included
    assert.deepEqual(await readState(alice), { [m1]: false, [m2]: false, [m3]: true });
    await ctx().services.messages.markRead(id, bob, m1);
    for (const reader of [alice, bob])
      assert.deepEqual(await readState(reader), { [m1]: true, [m2]: false, [m3]: true });
    await ctx().services.messages.markRead(id, bob, m2);
    await ctx().services.messages.markRead(id, bob, m1); // an older mark does not move the position back
    for (const reader of [alice, bob])
      assert.deepEqual(await readState(reader), { [m1]: true, [m2]: true, [m3]: true });
  });

  describe("access and bad input", () => {
    it("refuses another user's conversation with 403 and an unknown one with 404, never the data", async () => {
      const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
      const id = await conversationOf(alice, bob);
      await post(alice, id, { content: "private" });
      for (const res of [await history(mallory, id), await post(mallory, id, { content: "let me in" })]) {
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, {
          status: "failed",
          error: "You are not a participant in this conversation",
          code: "NOT_PARTICIPANT",
        });
      }
      const unknown = crypto.randomUUID();
      for (const res of [await history(alice, unknown), await post(alice, unknown, { content: "hello?" })]) {
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, { status: "failed", error: "Conversation not found", code: "NOT_FOUND" });
      }
      for (const res of [await history(alice, "123"), await post(alice, "not-a-uuid", { content: "x" })]) {
        assert.equal(res.status, 400);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, /^id:/);
      }
      assert.equal(await count("messages"), 1);
      const list = await api("GET", "/api/v1/conversations", { token: mallory.token });
      assert.deepEqual(list.body, { items: [], nextCursor: null, unread_total: 0 });
    });

    it("refuses bad message bodies with 400 naming the field, storing nothing", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const id = await conversationOf(alice, bob);
      const cases: Array<[unknown, RegExp]> = [
        [{}, /content/],
        [{ content: "" }, /content: must not be empty/],
        [{ content: " \n\t " }, /content: must not be empty/],
        [{ content: "x".repeat(2001) }, /content: must be at most 2000/],
        [{ content: 42 }, /content/],
        [{ content: null }, /content/],
        [{ content: "ok", clientMessageId: "" }, /clientMessageId/],
        [{ content: "ok", clientMessageId: "k".repeat(65) }, /clientMessageId/],
        [{ content: "ok", clientMessageId: 7 }, /clientMessageId/],
        [{ content: "ok", sender_id: bob.id }, /sender_id|Unrecognized/i],
        [["content"], /payload|expected object/],
        ["{bad json", /malformed JSON/],
      ];
      for (const [body, field] of cases) {
        const res = await post(alice, id, body);
        assert.equal(res.status, 400, JSON.stringify(body).slice(0, 50));
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
      }
      assert.equal(await count("messages"), 0);
      const longest = await post(alice, id, { content: "x".repeat(2000) });
      assert.equal(longest.status, 201, "2000 characters is allowed");
    });

    it("refuses bad history queries with 400", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const id = await conversationOf(alice, bob);
      for (const qs of [
        "limit=0",
        "limit=101",
        "limit=abc",
        "before=abc",
        "before=0",
        "before=-5",
        "before=1.5",
        "before=99999999999999999999",
        "x=1",
      ]) {
        const res = await history(alice, id, `?${qs}`);
        assert.equal(res.status, 400, qs);
        assert.equal(res.body.code, "INVALID_REQUEST");
      }
    });

    it("refuses opening a conversation with yourself (400), an unknown user (404) or a malformed id (400)", async () => {
      const alice = await createUser();
      const self = await open(alice, alice.id);
      assert.equal(self.status, 400);
      assert.deepEqual(self.body, {
        status: "failed",
        error: "participantId: you cannot start a conversation with yourself",
        code: "INVALID_REQUEST",
      });
      const unknown = await open(alice, crypto.randomUUID());
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error, "User not found");
      for (const body of [
        {},
        { participantId: "bob" },
        { participantId: 1 },
        { participantId: crypto.randomUUID(), x: 1 },
      ]) {
        const res = await api("POST", "/api/v1/conversations", { token: alice.token, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error, /participantId|Unrecognized/);
      }
      assert.equal(await count("conversations"), 0);
    });

    it("requires a token on every route", async () => {
      const id = crypto.randomUUID();
      for (const [method, path] of [
        ["GET", "/api/v1/conversations"],
        ["POST", "/api/v1/conversations"],
        ["GET", `/api/v1/conversations/${id}/messages`],
        ["POST", `/api/v1/conversations/${id}/messages`],
      ]) {
        const res = await api(method!, path!, { body: method === "POST" ? {} : undefined });
        assert.equal(res.status, 401, `${method} ${path}`);
      }
    });
  });
});
