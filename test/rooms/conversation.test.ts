import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx, sdk, type Room } from "../helpers/server";
import { createUser, type TestUser } from "../helpers/users";
import { inbox, refusal, sleep, until, type Inbox } from "../helpers/room";
import { ConversationRoom } from "../../src/systems/conversation/ConversationRoom";

interface Seat {
  room: Room;
  box: Inbox;
}

async function conversationOf(a: TestUser, b: TestUser): Promise<string> {
  return (await ctx().services.conversations.openDirect(a.id, b.id)).conversation.id;
}

async function join(user: TestUser, conversationId: string): Promise<Seat> {
  const room = await sdk(user.token).joinOrCreate("conversation", { conversationId });
  return { room, box: inbox(room) };
}

/** A pair of participants, both in the conversation's live room. */
async function chat() {
  const alice = await createUser({ avatarUrl: "https://example.com/alice.png" });
  const bob = await createUser();
  const conversationId = await conversationOf(alice, bob);
  const a = await join(alice, conversationId);
  const b = await join(bob, conversationId);
  await a.box.next("user_status", 4000, (e) => e.user_id === bob.id);
  return { alice, bob, conversationId, a, b };
}

const withoutSeq = ({ seq: _seq, ...rest }: any) => rest;

const count = async (sql: string, params: unknown[] = []) =>
  (await ctx().db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;

const lastRead = async (conversationId: string, userId: string) =>
  Number(
    (
      await ctx().db.query(
        "SELECT last_read_message_id AS n FROM conversation_participants WHERE conversation_id = $1 AND user_id = $2",
        [conversationId, userId],
      )
    ).rows[0]!.n,
  );

/** A drop without a consented leave; the SDK's own auto-reconnect is off so the test decides. */
async function drop(seat: Seat): Promise<void> {
  seat.room.reconnection.enabled = false;
  await seat.room.leave(false);
}

describe("conversation room", () => {
  describe("joining", () => {
    it("admits participants only: 403 for a stranger, 404 for an unknown conversation, 400 for a bad id", async () => {
      const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
      const conversationId = await conversationOf(alice, bob);
      const stranger = await refusal(sdk(mallory.token).joinOrCreate("conversation", { conversationId }));
      assert.deepEqual(stranger, { code: 403, message: "You are not a participant in this conversation" });
      const unknown = await refusal(
        sdk(alice.token).joinOrCreate("conversation", { conversationId: crypto.randomUUID() }),
      );
      assert.deepEqual(unknown, { code: 404, message: "Conversation not found" });
      for (const options of [
        {},
        { conversationId: "42" },
        { conversationId: 42 },
        { conversationId: "x".repeat(5000) },
      ]) {
        const bad = await refusal(sdk(alice.token).joinOrCreate("conversation", options));
        assert.equal(bad.code, 400, JSON.stringify(options).slice(0, 40));
        assert.match(bad.message, /conversationId/);
      }
    });

    it("refuses a stranger who joins the room by id with their own conversation as options", async () => {
      const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
      const theirs = await conversationOf(alice, bob);
      const malloryOwn = await conversationOf(mallory, alice);
      const { room } = await join(alice, theirs);
      const err = await refusal(sdk(mallory.token).joinById(room.roomId, { conversationId: malloryOwn }));
      assert.equal(err.code, 403);
      await room.leave();
    });

    it("routes both participants to one room whatever the id's letter case, with participants in state", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const conversationId = await conversationOf(alice, bob);
      const a = await join(alice, conversationId);
      const b = await join(bob, conversationId.toUpperCase());
      assert.equal(a.room.roomId, b.room.roomId);
      const state: any = await until(() => b.room.state?.participants?.size === 2 && b.room.state);
      assert.equal(state.conversationId, conversationId);
      const me = state.participants.get(bob.id);
      assert.deepEqual(
        {
          userId: me.userId,
          username: me.username,
          online: me.online,
          typing: me.typing,
          lastReadMessageId: me.lastReadMessageId,
        },
        { userId: bob.id, username: bob.username, online: true, typing: false, lastReadMessageId: 0 },
      );
      await until(() => state.participants.get(alice.id).online);
    });
  });

  describe("messages", () => {
    it("stores a message, then broadcasts it to everyone; the sender's request resolves with the stored message", async () => {
      const { alice, conversationId, a, b } = await chat();
      const reply = await a.room.request("message", { content: "  hello bob  ", clientMessageId: "c-1" });
      assert.equal(typeof reply.id, "number");
      assert.deepEqual(
        { ...reply, id: 0, created_at: "" },
        {
          id: 0,
          conversation_id: conversationId,
          sender: { id: alice.id, username: alice.username, profile_picture: "https://example.com/alice.png" },
          content: "hello bob",
          created_at: "",
          is_read: false,
          attachment: null,
          client_message_id: "c-1",
        },
      );
      const stored = await ctx().db.query("SELECT content, sender_id FROM messages WHERE id = $1", [reply.id]);
      assert.deepEqual(stored.rows, [{ content: "hello bob", sender_id: alice.id }]);
      const seenByBob = await b.box.next("message");
      const seenByAlice = await a.box.next("message");
      assert.deepEqual(withoutSeq(seenByBob), { message: reply });
      assert.deepEqual(withoutSeq(seenByAlice), { message: reply });

      // room.send works too: the broadcast is the only answer.
      a.room.send("message", { content: "second" });
      const second = await b.box.next("message");
      assert.equal(second.message.content, "second");
      assert.ok(second.message.id > reply.id);
    });

    it("does not store or broadcast a repeated clientMessageId twice: WS twice, after a reconnect, then REST", async () => {
      const { alice, conversationId, a, b } = await chat();
      const first = await a.room.request("message", { content: "only once", clientMessageId: "dup" });
      const again = await a.room.request("message", { content: "only once", clientMessageId: "dup" });
      assert.deepEqual(again, first);

      await a.room.leave();
      const back = await join(alice, conversationId);
      const afterRejoin = await back.room.request("message", { content: "only once", clientMessageId: "dup" });
      assert.deepEqual(afterRejoin, first);

      const viaRest = await api("POST", `/api/v1/conversations/${conversationId}/messages`, {
        token: alice.token,
        body: { content: "only once", clientMessageId: "dup" },
      });
      assert.equal(viaRest.status, 200);
      assert.deepEqual(viaRest.body, first);

      // A later message is published after every earlier one: once bob has it, nothing else is on its way.
      const marker = await back.room.request("message", { content: "marker" });
      await b.box.next("message", 4000, (e) => e.message.id === marker.id);
      assert.deepEqual(
        b.box.of("message").map((e) => e.message.id),
        [first.id, marker.id],
      );
      assert.equal(await count("messages WHERE client_message_id = 'dup'"), 1);
    });

    it("delivers a message posted over REST to the live room", async () => {
      const { bob, conversationId, a, b } = await chat();
      const res = await api("POST", `/api/v1/conversations/${conversationId}/messages`, {
        token: bob.token,
        body: { content: "sent from the web" },
      });
      assert.equal(res.status, 201);
      assert.deepEqual(withoutSeq(await a.box.next("message")), { message: res.body });
      assert.deepEqual(withoutSeq(await b.box.next("message")), { message: res.body });
    });

    it("gives every reader one order, the id order, over WS, REST and sync", async () => {
      const { alice, bob, conversationId, a, b } = await chat();
      const sent: number[] = [];
      for (let i = 0; i < 6; i++) {
        if (i % 3 === 2) {
          const res = await api("POST", `/api/v1/conversations/${conversationId}/messages`, {
            token: bob.token,
            body: { content: `r${i}` },
          });
          sent.push(res.body.id);
        } else {
          sent.push((await (i % 2 ? b : a).room.request("message", { content: `w${i}` })).id);
        }
      }
      await until(() => a.box.of("message").length === 6 && b.box.of("message").length === 6);
      const live = (box: Inbox) => box.of("message").map((e) => e.message.id);
      assert.deepEqual(live(a.box), sent);
      assert.deepEqual(live(b.box), sent);
      assert.deepEqual(
        [...sent].sort((x, y) => x - y),
        sent,
      );
      const page = await api("GET", `/api/v1/conversations/${conversationId}/messages`, { token: alice.token });
      assert.deepEqual(
        page.body.items.map((m: any) => m.id),
        [...sent].reverse(),
      );
      const synced = await b.room.request("sync", { afterMessageId: 0 });
      assert.deepEqual(
        synced.messages.map((m: any) => m.id),
        sent,
      );
    });

    it("rejects the request and broadcasts nothing when the message cannot be stored", async () => {
      const { a, b } = await chat();
      const service = ctx().services.conversations;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to restore it after the test, never called
      const original = service.send;
      service.send = () => Promise.reject(new Error("connection to the database lost"));
      try {
        const err = await refusal(a.room.request("message", { content: "lost?" }));
        assert.deepEqual(err, { code: "INTERNAL", message: "Internal server error" });
      } finally {
        service.send = original;
      }
      const marker = await a.room.request("message", { content: "marker" });
      await b.box.next("message", 4000, (e) => e.message.id === marker.id);
      assert.deepEqual(
        b.box.of("message").map((e) => e.message.content),
        ["marker"],
      );
      assert.ok(a.room.connection.isOpen);
    });
  });

  describe("typing", () => {
    const defaultTimeout = ConversationRoom.typingTimeoutMs;
    afterEach(() => {
      ConversationRoom.typingTimeoutMs = defaultTimeout;
    });

    it("broadcasts typing on and off to the others only", async () => {
      const { alice, bob, a, b } = await chat();
      a.room.send("typing", { is_typing: true });
      assert.deepEqual(withoutSeq(await b.box.next("typing")), {
        user_id: alice.id,
        username: alice.username,
        is_typing: true,
      });
      await until(() => b.room.state.participants.get(alice.id).typing === true);
      a.room.send("typing", { is_typing: false });
      assert.deepEqual(withoutSeq(await b.box.next("typing")), {
        user_id: alice.id,
        username: alice.username,
        is_typing: false,
      });
      await until(() => b.room.state.participants.get(alice.id).typing === false);

      b.room.send("typing", { is_typing: true });
      assert.equal((await a.box.next("typing")).user_id, bob.id);
      await a.room.request("ping");
      assert.equal(a.box.of("typing").length, 1, "alice never hears her own typing");
      assert.equal(b.box.of("typing").filter((t) => t.user_id === bob.id).length, 0, "bob never hears his own typing");
    });

    it("falls back to false after the timeout without an update", async () => {
      ConversationRoom.typingTimeoutMs = 300;
      const { alice, a, b } = await chat();
      a.room.send("typing", { is_typing: true });
      await b.box.next("typing", 4000, (t) => t.is_typing);
      const fallback = await b.box.next("typing", 4000, (t) => !t.is_typing);
      assert.deepEqual(withoutSeq(fallback), { user_id: alice.id, username: alice.username, is_typing: false });
      await until(() => b.room.state.participants.get(alice.id).typing === false);
      await sleep(400);
      assert.equal(b.box.of("typing").length, 2, "one fallback, no more");
    });

    it("ends typing when the typist goes offline", async () => {
      const { alice, a, b } = await chat();
      a.room.send("typing", { is_typing: true });
      await b.box.next("typing", 4000, (t) => t.is_typing);
      await a.room.leave();
      const stopped = await b.box.next("typing", 4000, (t) => !t.is_typing);
      assert.equal(stopped.user_id, alice.id);
    });
  });

  describe("read receipts", () => {
    it("stores the reader's read position and broadcasts the receipt to everyone", async () => {
      const { alice, bob, conversationId, a, b } = await chat();
      const m1 = await a.room.request("message", { content: "one" });
      const m2 = await a.room.request("message", { content: "two" });

      const reply = await b.room.request("read_receipt", { message_id: m2.id });
      assert.equal(reply.message_id, m2.id);
      assert.equal(await lastRead(conversationId, bob.id), m2.id);
      for (const box of [a.box, b.box]) {
        const receipt = withoutSeq(await box.next("read_receipt"));
        assert.deepEqual(
          { ...receipt, timestamp: "" },
          { message_id: m2.id, user_id: bob.id, username: bob.username, timestamp: "" },
        );
        assert.ok(!Number.isNaN(Date.parse(receipt.timestamp)));
      }
      await until(() => a.room.state.participants.get(bob.id).lastReadMessageId === m2.id);

      // Marking an older message keeps the newer position.
      await b.room.request("read_receipt", { message_id: m1.id });
      assert.equal(await lastRead(conversationId, bob.id), m2.id);
      await a.box.next("read_receipt", 4000, (r) => r.message_id === m1.id);
      assert.equal(a.room.state.participants.get(bob.id).lastReadMessageId, m2.id);

      // is_read from each reader's point of view: alice's messages are read by bob; bob's reply is not yet read by alice.
      const m3 = await b.room.request("message", { content: "three" });
      const isRead = async (reader: TestUser) =>
        Object.fromEntries(
          (
            await api("GET", `/api/v1/conversations/${conversationId}/messages`, { token: reader.token })
          ).body.items.map((m: any) => [m.id, m.is_read]),
        );
      for (const reader of [alice, bob])
        assert.deepEqual(await isRead(reader), { [m1.id]: true, [m2.id]: true, [m3.id]: false });
      await a.room.request("read_receipt", { message_id: m3.id });
      for (const reader of [alice, bob])
        assert.deepEqual(await isRead(reader), { [m1.id]: true, [m2.id]: true, [m3.id]: true });
    });

    it("never marks messages read on behalf of someone else", async () => {
      const { alice, bob, conversationId, a, b } = await chat();
      const m1 = await b.room.request("message", { content: "read me" });
      const err = await refusal(b.room.request("read_receipt", { message_id: m1.id, user_id: alice.id }));
      assert.equal(err.code, "INVALID_MESSAGE");
      assert.match(err.message, /user_id|Unrecognized/);
      assert.equal(await lastRead(conversationId, alice.id), 0);
      assert.equal(await lastRead(conversationId, bob.id), 0);
      assert.equal(a.box.of("read_receipt").length, 0);
    });

    it("refuses a message id that is not in this conversation, storing nothing", async () => {
      const { alice, bob, conversationId, a } = await chat();
      const elsewhere = await conversationOf(bob, await createUser());
      const foreign = await ctx().services.conversations.send(elsewhere, bob.id, "not for alice");
      await a.room.request("message", { content: "mine" });
      for (const message_id of [foreign.message.id, foreign.message.id + 1000]) {
        const err = await refusal(a.room.request("read_receipt", { message_id }));
        assert.deepEqual(err, { code: "NOT_FOUND", message: "message_id: no such message in this conversation" });
      }
      assert.equal(await lastRead(conversationId, alice.id), 0);
      assert.equal(await count("conversation_participants WHERE last_read_message_id <> 0"), 0);
    });
  });

  describe("presence", () => {
    it("broadcasts user_status online and offline as participants join, drop, reconnect and leave", async () => {
      const { bob, a, b } = await chat();
      const bobState = () => a.room.state.participants.get(bob.id);
      await until(() => bobState()?.online === true);

      await drop(b);
      assert.deepEqual(withoutSeq(await a.box.next("user_status")), { user_id: bob.id, status: "offline" });
      await until(() => bobState().online === false);

      const back = await sdk(bob.token).reconnect(b.room.reconnectionToken);
      inbox(back);
      assert.deepEqual(withoutSeq(await a.box.next("user_status")), { user_id: bob.id, status: "online" });
      await until(() => bobState().online === true);

      await back.leave();
      assert.deepEqual(withoutSeq(await a.box.next("user_status")), { user_id: bob.id, status: "offline" });
      await until(() => bobState().online === false);
    });

    it("keeps a participant online while another of their devices is connected", async () => {
      const { bob, conversationId, a } = await chat();
      const secondDevice = await join(bob, conversationId);
      await secondDevice.room.leave();
      await a.room.request("ping");
      await sleep(100);
      assert.equal(a.box.of("user_status").filter((s) => s.status === "offline").length, 0);
      assert.equal(a.room.state.participants.get(bob.id).online, true);
    });
  });

  describe("sync", () => {
    const defaultLimit = ConversationRoom.syncLimit;
    afterEach(() => {
      ConversationRoom.syncLimit = defaultLimit;
    });

    it("returns exactly the messages missed during a disconnect, oldest first", async () => {
      const { bob, conversationId, a, b } = await chat();
      await a.room.request("message", { content: "before" });
      const lastSeen = (await b.box.next("message")).message.id;

      await drop(b);
      const missed: number[] = [];
      for (const content of ["while", "you", "were away"])
        missed.push((await a.room.request("message", { content })).id);

      const back = await sdk(bob.token).reconnect(b.room.reconnectionToken);
      inbox(back); // the seat's buffered broadcasts are replayed on reconnect
      const reply = await back.request("sync", { afterMessageId: lastSeen });
      assert.deepEqual(
        reply.messages.map((m: any) => m.id),
        missed,
      );
      assert.deepEqual(
        reply.messages.map((m: any) => m.content),
        ["while", "you", "were away"],
      );
      assert.equal(reply.hasMore, false);

      // A client whose seat is gone (it left) fills the gap the same way from a fresh join.
      await back.leave();
      const later = (await a.room.request("message", { content: "and now" })).id;
      const fresh = await join(bob, conversationId);
      const again = await fresh.room.request("sync", { afterMessageId: missed[2] });
      assert.deepEqual(
        again.messages.map((m: any) => m.id),
        [later],
      );
    });

    it("caps a sync reply and says hasMore; room.send gets a sync event", async () => {
      ConversationRoom.syncLimit = 2;
      const { a } = await chat();
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await a.room.request("message", { content: `m${i}` })).id);
      const first = await a.room.request("sync", { afterMessageId: 0 });
      assert.deepEqual(
        first.messages.map((m: any) => m.id),
        ids.slice(0, 2),
      );
      assert.equal(first.hasMore, true);
      a.room.send("sync", { afterMessageId: ids[1] });
      const event = await a.box.next("sync");
      assert.deepEqual(
        event.messages.map((m: any) => m.id),
        [ids[2]],
      );
      assert.equal(event.hasMore, false);
    });
  });

  describe("bad input", () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["message", {}, /content/],
      ["message", { content: "" }, /content: must not be empty/],
      ["message", { content: "   \n " }, /content: must not be empty/],
      ["message", { content: "x".repeat(2001) }, /content: must be at most 2000/],
      ["message", { content: 7 }, /content/],
      ["message", { content: "ok", clientMessageId: "" }, /clientMessageId/],
      ["message", { content: "ok", clientMessageId: "k".repeat(65) }, /clientMessageId/],
      ["message", { content: "ok", sender_id: "someone" }, /sender_id|Unrecognized/],
      ["message", "just a string", /payload|expected object/],
      ["message", [1, 2], /payload|expected object/],
      ["typing", {}, /is_typing/],
      ["typing", { is_typing: "yes" }, /is_typing/],
      ["typing", { is_typing: true, user_id: "x" }, /user_id|Unrecognized/],
      ["read_receipt", {}, /message_id/],
      ["read_receipt", { message_id: "abc" }, /message_id/],
      ["read_receipt", { message_id: "12" }, /message_id/],
      ["read_receipt", { message_id: 1.5 }, /message_id/],
      ["read_receipt", { message_id: 0 }, /message_id/],
      ["read_receipt", { message_id: -3 }, /message_id/],
      ["read_receipt", { message_id: 2 ** 60 }, /message_id/],
      ["sync", {}, /afterMessageId/],
      ["sync", { afterMessageId: -1 }, /afterMessageId/],
      ["sync", { afterMessageId: "0" }, /afterMessageId/],
    ];

    it("answers every malformed payload with INVALID_MESSAGE naming the field, changing nothing", async () => {
      const { alice, conversationId, a, b } = await chat();
      const seed = await b.room.request("message", { content: "seed" });
      await a.box.next("message");
      for (const [type, payload, field] of cases) {
        const err = await refusal(a.room.request(type, payload));
        assert.equal(err.code, "INVALID_MESSAGE", `${type} ${JSON.stringify(payload).slice(0, 40)}`);
        assert.match(err.message, field, `${type} ${JSON.stringify(payload).slice(0, 40)}`);
      }
      // The same over room.send: an error event naming the message type.
      a.room.send("read_receipt", { message_id: "abc" });
      const event = await a.box.next("error");
      assert.equal(event.code, "INVALID_MESSAGE");
      assert.equal(event.type, "read_receipt");

      assert.ok(a.room.connection.isOpen, "still connected");
      assert.equal(await count("messages"), 1);
      assert.equal(await lastRead(conversationId, alice.id), 0);
      const state = b.room.state.participants.get(alice.id);
      assert.equal(state.typing, false);
      assert.equal(b.box.of("typing").length + b.box.of("read_receipt").length, 0);
      const marker = await a.room.request("message", { content: "still works" });
      await b.box.next("message", 4000, (e) => e.message.id === marker.id);
      assert.deepEqual(
        b.box.of("message").map((e) => e.message.id),
        [seed.id, marker.id],
      );
    });

    it("accepts exactly 2000 characters", async () => {
      const { a } = await chat();
      const longest = await a.room.request("message", { content: "y".repeat(2000) });
      assert.equal(longest.content.length, 2000);
    });
  });
});
