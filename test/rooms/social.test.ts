import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { ctx, sdk, type Room } from "../helpers/server";
import { befriend, createUser, type TestUser } from "../helpers/users";
import { inbox, refusal, sleep, until, type Inbox } from "../helpers/room";
import { CLOSE_ACCESS_ENDED } from "../../src/realtime/RallyRoom";

/** Issue 17: the friend lifecycle, block, unmatch, report, message notifications, last seen. */

interface Device {
  room: Room;
  box: Inbox;
}

const withoutSeq = ({ seq: _seq, ...rest }: any) => rest;

async function openLobby(user: TestUser): Promise<Device> {
  const room = await sdk(user.token).joinOrCreate("user_lobby");
  const box = inbox(room);
  await until(() => room.state?.invitations !== undefined, 4000, "the lobby state");
  return { room, box };
}

async function joinConversation(user: TestUser, conversationId: string): Promise<Device & { closed: Promise<number> }> {
  const room = await sdk(user.token).joinOrCreate("conversation", { conversationId });
  const closed = new Promise<number>((resolve) => room.onLeave((code: number) => resolve(code)));
  return { room, box: inbox(room), closed };
}

const count = async (sql: string, params: unknown[] = []) =>
  (await ctx().db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;

const block = (by: TestUser, userId: string) => api("POST", "/api/blocks", { token: by.token, body: { userId } });
const like = (by: TestUser, userId: string) =>
  api("POST", "/api/v1/matching/likes", { token: by.token, body: { userId } });
const post = (by: TestUser, conversationId: string, content: string) =>
  api("POST", `/api/v1/conversations/${conversationId}/messages`, { token: by.token, body: { content } });

/** Two users who liked each other: their match and conversation. */
async function matched(a: TestUser, b: TestUser): Promise<{ matchId: string; conversationId: string }> {
  await like(a, b.id);
  const res = await like(b, a.id);
  assert.equal(res.body.matched, true, JSON.stringify(res.body));
  return { matchId: res.body.match.id, conversationId: res.body.conversationId };
}

const invite = (from: Device, to: TestUser): Promise<{ invitationId: string }> =>
  from.room.request("game_invitation:send", { toUserId: to.id, map: "desert" });

const gameInvitationStatus = async (id: string) =>
  (await ctx().db.query<{ status: string }>("SELECT status FROM game_invitations WHERE id = $1", [id])).rows[0]!.status;

describe("social: friend lifecycle", () => {
  it("the addressee declines a request: it is gone, and the requester is told live", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const a = await openLobby(alice);
    const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
    assert.equal(
      (await api("POST", `/api/friends/requests/${req.body.id}/decline`, { token: carol.token })).status,
      404,
    );
    assert.equal(
      (await api("POST", `/api/friends/requests/${req.body.id}/decline`, { token: alice.token })).status,
      404,
      "not the sender",
    );
    assert.equal(await count("friendships"), 1, "a refused decline changes nothing");

    const declined = await api("POST", `/api/friends/requests/${req.body.id}/decline`, { token: bob.token });
    assert.equal(declined.status, 200);
    assert.equal(declined.body.status, "declined");
    assert.deepEqual(withoutSeq(await a.box.next("friend_request_updated")), { id: req.body.id, status: "declined" });
    assert.equal(await count("friendships"), 0);
    assert.equal((await api("POST", `/api/friends/requests/${req.body.id}/decline`, { token: bob.token })).status, 404);
  });

  it("the requester cancels a request: it is gone, and the addressee is told live", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const b = await openLobby(bob);
    const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
    assert.equal(
      (await api("DELETE", `/api/friends/requests/${req.body.id}`, { token: bob.token })).status,
      404,
      "only its sender cancels",
    );
    const cancelled = await api("DELETE", `/api/friends/requests/${req.body.id}`, { token: alice.token });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, "cancelled");
    assert.deepEqual(withoutSeq(await b.box.next("friend_request_updated")), { id: req.body.id, status: "cancelled" });
    const incoming = await api("GET", "/api/friends/requests?direction=incoming", { token: bob.token });
    assert.deepEqual(incoming.body, { items: [], nextCursor: null });
  });

  it("unfriending tells both live and expires their pending game invitations", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const friendshipId = await befriend(alice, bob);
    const a = await openLobby(alice);
    const b = await openLobby(bob);
    const { invitationId } = await invite(a, bob);
    await b.box.next("game_invitation_received");
    assert.equal(
      (await api("DELETE", `/api/friends/${bob.id}`, { token: carol.token })).status,
      404,
      "not carol's friend",
    );

    const res = await api("DELETE", `/api/friends/${alice.id}`, { token: bob.token });
    assert.equal(res.status, 200);
    for (const d of [a, b]) {
      assert.deepEqual(withoutSeq(await d.box.next("friends_changed")), { friendshipId, status: "removed" });
      await until(
        () => d.room.state.friends.size === 0 && d.room.state.invitations.size === 0,
        4000,
        "friends and invitations emptied",
      );
    }
    assert.deepEqual(withoutSeq(await b.box.next("game_invitation_expired")), { invitationId });
    assert.equal(await gameInvitationStatus(invitationId), "expired");
    assert.equal((await api("GET", "/api/friends", { token: alice.token })).body.items.length, 0);
    assert.equal(
      (await api("DELETE", `/api/friends/${alice.id}`, { token: bob.token })).status,
      404,
      "no longer friends",
    );
  });
});

describe("social: block", () => {
  it("refuses yourself (400) and unknown users (404), is idempotent, pages, and unblocking restores nothing", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await befriend(alice, bob);
    assert.equal((await block(alice, alice.id)).status, 400);
    assert.equal((await block(alice, "6f1c4a52-8a3e-4c55-9a69-0b7e5a0e0000")).status, 404);
    assert.equal(await count("blocks"), 0);

    const first = await block(alice, bob.id);
    assert.equal(first.status, 201);
    assert.equal(first.body.user.id, bob.id);
    const again = await block(alice, bob.id);
    assert.equal(again.status, 200);
    assert.equal(again.body.createdAt, first.body.createdAt);
    assert.equal(await count("blocks"), 1);
    assert.equal(await count("friendships"), 0, "the friendship ended");

    await sleep(5);
    await block(alice, carol.id);
    const page1 = await api("GET", "/api/blocks?limit=1", { token: alice.token });
    assert.deepEqual(
      page1.body.items.map((b: any) => b.user.id),
      [carol.id],
    );
    const page2 = await api("GET", `/api/blocks?limit=1&cursor=${page1.body.nextCursor}`, { token: alice.token });
    assert.deepEqual(
      page2.body.items.map((b: any) => b.user.id),
      [bob.id],
    );
    assert.equal(page2.body.nextCursor, null);
    assert.equal((await api("GET", "/api/blocks?cursor=forged", { token: alice.token })).status, 400);
    assert.equal((await api("GET", "/api/blocks?limit=101", { token: alice.token })).status, 400);

    assert.equal((await api("DELETE", `/api/blocks/${bob.id}`, { token: alice.token })).status, 200);
    assert.deepEqual(
      (await api("GET", "/api/blocks", { token: alice.token })).body.items.map((b: any) => b.user.id),
      [carol.id],
    );
    assert.equal(await count("friendships"), 0, "unblocking does not restore the friendship");
    assert.equal(
      (await api("POST", "/api/friends/requests", { token: bob.token, body: { username: alice.username } })).status,
      201,
    );
  });

  it("closes friend requests either way with 403 BLOCKED, storing nothing", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await block(alice, bob.id);
    for (const [from, to] of [
      [bob, alice],
      [alice, bob],
    ] as const) {
      const res = await api("POST", "/api/friends/requests", { token: from.token, body: { username: to.username } });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { status: "failed", error: "You cannot interact with this user", code: "BLOCKED" });
    }
    assert.equal(await count("friendships"), 0);
  });

  it("closes game invitations with BLOCKED and expires pending ones", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const a = await openLobby(alice);
    const b = await openLobby(bob);
    const { invitationId } = await invite(b, alice);
    await a.box.next("game_invitation_received");
    await block(alice, bob.id);
    await a.box.next("game_invitation_expired");
    assert.equal(await gameInvitationStatus(invitationId), "expired");
    assert.equal((await refusal(invite(b, alice))).code, "BLOCKED");
    assert.equal((await refusal(invite(a, bob))).code, "BLOCKED");
    assert.equal(await count("game_invitations"), 1);
  });

  it("closes space invites with BLOCKED and withdraws pending ones", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const space = await api("POST", "/api/spaces", { token: bob.token, body: { name: "Bob's place", capacity: 10 } });
    const sent = await api("POST", "/metaverse/invites/send", {
      token: bob.token,
      body: { toUserId: alice.id, spaceId: space.body.id },
    });
    assert.equal(sent.status, 201);
    await block(alice, bob.id);
    const mine = await api("GET", "/metaverse/invites/my-invites", { token: alice.token });
    assert.equal(mine.body.data.count, 0, "the pending invite ended");
    const again = await api("POST", "/metaverse/invites/send", {
      token: bob.token,
      body: { toUserId: alice.id, spaceId: space.body.id },
    });
    assert.equal(again.status, 403);
    assert.equal(again.body.code, "BLOCKED");
    assert.equal(await count("notifications WHERE kind = 'space_invite'"), 1);
    // Nor is alice among bob's invitable users.
    const invitable = await api("GET", `/metaverse/invites/users/${space.body.id}`, { token: bob.token });
    assert.ok(!invitable.body.data.users.some((u: any) => u.id === alice.id));
  });

  it("closes likes with BLOCKED, storing nothing", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await block(alice, bob.id);
    for (const [from, to] of [
      [bob, alice],
      [alice, bob],
    ] as const) {
      const res = await like(from, to.id);
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "BLOCKED");
    }
    assert.equal(await count("likes"), 0);
  });

  it("closes REST messages with BLOCKED and hides the conversation and match from both lists", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversationId } = await matched(alice, bob);
    assert.equal((await post(bob, conversationId, "hi")).status, 201);
    await block(alice, bob.id);
    for (const [from, other] of [
      [bob, alice],
      [alice, bob],
    ] as const) {
      const res = await post(from, conversationId, "still there?");
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "BLOCKED");
      const list = await api("GET", "/api/v1/conversations", { token: from.token });
      assert.deepEqual(list.body, { items: [], nextCursor: null, unread_total: 0 });
      assert.equal((await api("GET", "/api/v1/matching/recent-matches", { token: from.token })).body.items.length, 0);
      const opened = await api("POST", "/api/v1/conversations", {
        token: from.token,
        body: { participantId: other.id },
      });
      assert.equal(opened.body.code, "BLOCKED");
    }
    assert.equal(await count("messages"), 2, "the welcome and bob's hi only");
  });

  it("closes the conversation room: live seats are closed and both are refused with 403", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversationId } = await matched(alice, bob);
    const a = await joinConversation(alice, conversationId);
    const b = await joinConversation(bob, conversationId);
    await block(alice, bob.id);
    assert.equal(await a.closed, CLOSE_ACCESS_ENDED);
    assert.equal(await b.closed, CLOSE_ACCESS_ENDED);
    for (const user of [alice, bob]) {
      const refused = await refusal(sdk(user.token).joinOrCreate("conversation", { conversationId }));
      assert.equal(refused.code, 403);
    }
    assert.equal(await count("messages"), 1);
  });

  it("refuses a message sent in the room with BLOCKED, even from a seat taken before the block", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversationId } = await matched(alice, bob);
    const b = await joinConversation(bob, conversationId);
    // The block row alone (as if the seat had not been closed yet): the store refuses.
    await ctx().db.query("INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)", [alice.id, bob.id]);
    const refused = await refusal(b.room.request("message", { content: "hello?" }));
    assert.equal(refused.code, "BLOCKED");
    assert.equal(await count("messages"), 1, "the welcome only");
  });

  it("hides presence both ways: no presence events, no entries, and no by-username lookup", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const a = await openLobby(alice);
    await until(() => a.room.state.friends.size === 1);
    await block(bob, alice.id);
    await until(() => a.room.state.friends.size === 0, 4000, "bob gone from alice's friends");
    a.box.clear();
    const b = await openLobby(bob);
    await b.room.leave();
    await sleep(300);
    assert.deepEqual(a.box.of("presence"), [], "alice hears nothing of bob");
    assert.equal((await api("GET", "/api/friends", { token: bob.token })).body.items.length, 0);
    for (const [who, whom] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      assert.equal((await api("GET", `/api/users/by-username/${whom.username}`, { token: who.token })).status, 404);
    }
  });
});

describe("social: unmatch", () => {
  it("either side ends the match: seats get match_removed and close, messages are refused, old likes do not re-match", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const { matchId, conversationId } = await matched(alice, bob);
    const lobbyA = await openLobby(alice);
    const a = await joinConversation(alice, conversationId);
    const b = await joinConversation(bob, conversationId);
    assert.equal((await api("DELETE", `/api/v1/matching/matches/${matchId}`, { token: carol.token })).status, 404);
    assert.equal((await api("DELETE", "/api/v1/matching/matches/not-a-uuid", { token: carol.token })).status, 404);
    assert.equal(await count("matches"), 1, "a refused unmatch changes nothing");

    const res = await api("DELETE", `/api/v1/matching/matches/${matchId}`, { token: bob.token });
    assert.equal(res.status, 200);
    for (const seat of [a, b]) {
      assert.deepEqual(withoutSeq(await seat.box.next("match_removed")), { matchId, conversationId });
      assert.equal(await seat.closed, CLOSE_ACCESS_ENDED);
    }
    assert.deepEqual(withoutSeq(await lobbyA.box.next("match_removed")), { matchId, conversationId });

    const refused = await post(alice, conversationId, "wait");
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "CONVERSATION_CLOSED");
    assert.equal((await refusal(sdk(alice.token).joinOrCreate("conversation", { conversationId }))).code, 403);
    assert.equal((await api("GET", "/api/v1/conversations", { token: alice.token })).body.items.length, 0);
    assert.equal((await api("GET", "/api/v1/matching/recent-matches", { token: alice.token })).body.items.length, 0);
    assert.equal((await api("DELETE", `/api/v1/matching/matches/${matchId}`, { token: alice.token })).status, 404);

    // One new like is not a match: the old ones are gone.
    assert.equal((await like(alice, bob.id)).body.matched, false);
    assert.equal(await count("matches"), 0);
  });
});

describe("social: reports", () => {
  async function reportedChat() {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversationId } = await matched(alice, bob);
    const sent = await post(bob, conversationId, "something nasty");
    return { alice, bob, conversationId, messageId: sent.body.id as number };
  }

  it("stores a snapshot of the reported message that survives its deletion", async () => {
    const { alice, bob, conversationId, messageId } = await reportedChat();
    const res = await api("POST", "/api/reports", {
      token: alice.token,
      body: { userId: bob.id, reason: "harassment", conversationId, messageId, note: "rude" },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.status, "open");
    assert.deepEqual(
      res.body.evidence.map((m: any) => [m.id, m.content, m.senderId]),
      [[messageId, "something nasty", bob.id]],
    );
    await ctx().db.query("DELETE FROM messages WHERE id = $1", [messageId]);
    const { rows } = await ctx().db.query<{ evidence: any }>("SELECT evidence FROM reports WHERE id = $1", [
      res.body.id,
    ]);
    assert.equal(rows[0]!.evidence[0].content, "something nasty");
  });

  it("refuses unknown reasons (400), messages outside the conversation (404), a second open report (409); none writes", async () => {
    const { alice, bob, conversationId, messageId } = await reportedChat();
    const other = await reportedChat();
    const cases: Array<[unknown, number, string]> = [
      [{ userId: bob.id, reason: "ugly" }, 400, "INVALID_REQUEST"],
      [{ userId: alice.id, reason: "spam" }, 400, "INVALID_REQUEST"],
      [{ userId: bob.id, reason: "spam", conversationId, messageId: other.messageId }, 404, "NOT_FOUND"],
      [{ userId: bob.id, reason: "spam", conversationId: other.conversationId }, 404, "NOT_FOUND"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", "/api/reports", { token: alice.token, body });
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.code, code);
    }
    assert.equal(await count("reports"), 0);
    assert.equal(
      (
        await api("POST", "/api/reports", {
          token: alice.token,
          body: { userId: bob.id, reason: "spam", conversationId, messageId },
        })
      ).status,
      201,
    );
    const dup = await api("POST", "/api/reports", { token: alice.token, body: { userId: bob.id, reason: "scam" } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, "DUPLICATE_REPORT");
    assert.equal(await count("reports"), 1);
  });

  it("is rate-limited per reporter (REPORTS_PER_HOUR)", async () => {
    const saved = ctx().config.REPORTS_PER_HOUR;
    ctx().config.REPORTS_PER_HOUR = 2;
    try {
      const alice = await createUser();
      const targets = [await createUser(), await createUser(), await createUser()];
      const answers = [];
      for (const t of targets)
        answers.push(await api("POST", "/api/reports", { token: alice.token, body: { userId: t.id, reason: "spam" } }));
      assert.deepEqual(
        answers.map((a) => a.status),
        [201, 201, 429],
      );
      // Room for another report when the first leaves the hour's window: about an hour from now.
      const retryAfter = Number(answers[2]!.headers.get("retry-after"));
      assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
      assert.equal(await count("reports"), 2);
    } finally {
      ctx().config.REPORTS_PER_HOUR = saved;
    }
  });

  it("operators list (paged, by status) and resolve reports; never with a normal token; others' reports are 404", async () => {
    const saved = {
      admins: ctx().config.ADMIN_USERNAMES,
      user: ctx().config.MONITOR_USER,
      pass: ctx().config.MONITOR_PASSWORD,
    };
    const admin = await createUser();
    ctx().config.ADMIN_USERNAMES = [admin.username.toLowerCase()];
    ctx().config.MONITOR_USER = "ops";
    ctx().config.MONITOR_PASSWORD = "ops-password";
    try {
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      const r1 = await api("POST", "/api/reports", { token: alice.token, body: { userId: bob.id, reason: "spam" } });
      await sleep(5);
      const r2 = await api("POST", "/api/reports", { token: alice.token, body: { userId: carol.id, reason: "scam" } });

      assert.equal((await api("GET", "/api/admin/reports")).status, 401);
      assert.equal((await api("GET", "/api/admin/reports", { token: alice.token })).status, 403);
      const wrongBasic = { authorization: `Basic ${Buffer.from("ops:nope").toString("base64")}` };
      assert.equal((await api("GET", "/api/admin/reports", { headers: wrongBasic })).status, 401);
      assert.equal(
        (await api("POST", `/api/admin/reports/${r1.body.id}/resolve`, { token: alice.token, body: {} })).status,
        403,
      );

      const page1 = await api("GET", "/api/admin/reports?limit=1", { token: admin.token });
      assert.deepEqual(
        page1.body.items.map((r: any) => r.id),
        [r2.body.id],
      );
      const page2 = await api("GET", `/api/admin/reports?limit=1&cursor=${page1.body.nextCursor}`, {
        token: admin.token,
      });
      assert.deepEqual(
        page2.body.items.map((r: any) => r.id),
        [r1.body.id],
      );

      const basic = { authorization: `Basic ${Buffer.from("ops:ops-password").toString("base64")}` };
      const resolved = await api("POST", `/api/admin/reports/${r1.body.id}/resolve`, {
        headers: basic,
        body: { status: "dismissed", note: "fine" },
      });
      assert.equal(resolved.status, 200);
      assert.equal(resolved.body.status, "dismissed");
      assert.equal(resolved.body.resolvedBy, "monitor:ops");
      assert.equal(
        (await api("POST", `/api/admin/reports/${r1.body.id}/resolve`, { headers: basic, body: {} })).status,
        409,
      );
      const open = await api("GET", "/api/admin/reports?status=open", { token: admin.token });
      assert.deepEqual(
        open.body.items.map((r: any) => r.id),
        [r2.body.id],
      );

      // A reporter withdraws their own report only.
      assert.equal((await api("DELETE", `/api/reports/${r2.body.id}`, { token: bob.token })).status, 404);
      assert.equal(
        (await api("DELETE", `/api/reports/${r2.body.id}`, { token: alice.token })).body.status,
        "withdrawn",
      );
    } finally {
      ctx().config.ADMIN_USERNAMES = saved.admins;
      ctx().config.MONITOR_USER = saved.user;
      ctx().config.MONITOR_PASSWORD = saved.pass;
    }
  });
});

describe("social: message notifications", () => {
  it("a message reaches every lobby device of a receiver without a seat within 200 ms, with the unread count", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversationId } = await matched(alice, bob); // the welcome is from bob's like: 1 unread for alice
    const phone = await openLobby(alice);
    const laptop = await openLobby(alice);
    await until(() => phone.room.state.unreadMessages === 1, 4000, "the welcome counted");

    const started = Date.now();
    const sent = await post(bob, conversationId, "x".repeat(150));
    const [onPhone, onLaptop] = await Promise.all([
      phone.box.next("conversation_message", 200),
      laptop.box.next("conversation_message", 200),
    ]);
    assert.ok(Date.now() - started < 400);
    for (const event of [onPhone, onLaptop]) {
      assert.deepEqual(withoutSeq(event), {
        conversationId,
        messageId: sent.body.id,
        from: { id: bob.id, username: bob.username },
        preview: "x".repeat(100),
        unreadCount: 2,
      });
    }
    assert.equal(phone.room.state.unreadMessages, 2, "the state is patched before the event");
    const list = await api("GET", "/api/v1/conversations", { token: alice.token });
    assert.equal(list.body.unread_total, 2);
    assert.equal(list.body.items[0].unread_count, 2);
    assert.equal(bob.id !== alice.id, true);
    // The sender's own lobby hears nothing of their message.
    const bobLobby = await openLobby(bob);
    await post(bob, conversationId, "again");
    await phone.box.next("conversation_message", 200, (e) => e.unreadCount === 3);
    await sleep(100);
    assert.deepEqual(bobLobby.box.of("conversation_message"), []);
  });

  it("reading lowers unreadMessages live; a receiver seated in the room gets no lobby event", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversationId } = await matched(alice, bob);
    const lobby = await openLobby(alice);
    await post(bob, conversationId, "one");
    await lobby.box.next("conversation_message");
    await until(() => lobby.room.state.unreadMessages === 2);

    const seat = await joinConversation(alice, conversationId);
    const last = await post(bob, conversationId, "two");
    await seat.box.next("message");
    await sleep(150);
    assert.equal(lobby.box.of("conversation_message").length, 1, "seated: no lobby event");
    await seat.room.request("read_receipt", { message_id: last.body.id });
    assert.deepEqual(withoutSeq(await lobby.box.next("conversation_read")), {
      conversationId,
      messageId: last.body.id,
    });
    assert.equal(lobby.room.state.unreadMessages, 0);

    await seat.room.leave();
    await post(bob, conversationId, "three");
    assert.equal((await lobby.box.next("conversation_message", 1000)).unreadCount, 1, "away again: notified again");
  });
});

describe("social: invitations follow their sender, and last seen", () => {
  it("the sender's last lobby device leaving expires their invitations; the receiver is told", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const a = await openLobby(alice);
    const b = await openLobby(bob);
    const { invitationId } = await invite(a, bob);
    await b.box.next("game_invitation_received");
    await a.room.leave();
    assert.deepEqual(withoutSeq(await b.box.next("game_invitation_expired")), { invitationId });
    await until(() => b.room.state.invitations.size === 0, 4000, "the invitation left bob's state");
    assert.equal(await gameInvitationStatus(invitationId), "expired");
  });

  it("the sender is told live when the receiver declines", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const a = await openLobby(alice);
    const b = await openLobby(bob);
    const { invitationId } = await invite(a, bob);
    await b.box.next("game_invitation_received");
    await b.room.request("game_invitation:decline", { invitationId });
    assert.deepEqual(withoutSeq(await a.box.next("game_invitation_updated")), { invitationId, status: "declined" });
  });

  it("friends' entries carry lastSeenAt while offline, stored when the last device leaves", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const a = await openLobby(alice);
    const phone = await openLobby(bob);
    const laptop = await openLobby(bob);
    await until(() => a.room.state.friends.get(bob.id)?.online === true);
    assert.equal(a.room.state.friends.get(bob.id)!.lastSeenAt, "");
    await phone.room.leave();
    await sleep(100);
    assert.equal(a.room.state.friends.get(bob.id)!.online, true, "one device left");
    const before = Date.now();
    await laptop.room.leave();
    const offline = await a.box.next("presence", 4000, (p) => p.online === false);
    assert.ok(Date.parse(offline.lastSeenAt) >= before - 1000);
    await until(() => a.room.state.friends.get(bob.id)!.lastSeenAt === offline.lastSeenAt, 4000, "lastSeenAt in state");
    const rest = await api("GET", "/api/friends", { token: alice.token });
    assert.equal(rest.body.items[0].lastSeenAt, offline.lastSeenAt);
    await openLobby(bob);
    await until(() => a.room.state.friends.get(bob.id)!.lastSeenAt === "");
    assert.equal((await api("GET", "/api/friends", { token: alice.token })).body.items[0].lastSeenAt, null);
  });
});

describe("social: who may open a conversation (issue 14)", () => {
  it("only matches and friends: strangers get 403 NOT_CONNECTED and nothing is stored", async () => {
    const [alice, bob, carol, dave] = [await createUser(), await createUser(), await createUser(), await createUser()];
    const refused = await api("POST", "/api/v1/conversations", { token: alice.token, body: { participantId: bob.id } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "NOT_CONNECTED");
    assert.equal(await count("conversations"), 0);
    await befriend(alice, bob);
    assert.equal(
      (await api("POST", "/api/v1/conversations", { token: alice.token, body: { participantId: bob.id } })).status,
      201,
    );
    const { conversationId } = await matched(carol, dave);
    const existing = await api("POST", "/api/v1/conversations", {
      token: dave.token,
      body: { participantId: carol.id },
    });
    assert.equal(existing.status, 200);
    assert.equal(existing.body.id, conversationId);
  });
});

describe("social: every list is paged", () => {
  /** Walk a list with limit=1 and return every id seen, checking each page holds one item. */
  async function walk(token: string, path: string, idOf: (item: any) => string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    const sep = path.includes("?") ? "&" : "?";
    do {
      const res: any = await api(
        "GET",
        `${path}${sep}limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { token },
      );
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.items.length <= 1);
      ids.push(...res.body.items.map(idOf));
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids;
  }

  it("friends, requests, notifications, invitations, matches, conversations and messages page with limit and cursor", async () => {
    const me = await createUser();
    const others = [await createUser(), await createUser(), await createUser()];
    for (const o of others.slice(0, 2)) await befriend(me, o);
    await api("POST", "/api/friends/requests", { token: others[2]!.token, body: { username: me.username } });
    const friendIds = await walk(me.token, "/api/friends", (f) => f.user.id);
    assert.deepEqual(new Set(friendIds), new Set(others.slice(0, 2).map((o) => o.id)));
    assert.equal((await walk(me.token, "/api/friends/requests?direction=incoming", (r) => r.id)).length, 1);

    const conversations: string[] = [];
    for (const o of others) conversations.push((await matched(me, o)).conversationId);
    const listed = await walk(me.token, "/api/v1/conversations", (c) => c.id);
    assert.deepEqual(new Set(listed), new Set(conversations));
    assert.equal(listed.length, 3);
    assert.equal((await walk(me.token, "/api/v1/matching/recent-matches", (m) => m.id)).length, 3);
    const notes = await walk(me.token, "/api/notifications", (n) => n.id);
    assert.equal(notes.length, await count("notifications WHERE user_id = $1", [me.id]));
    assert.equal(new Set(notes).size, notes.length);

    // Game invitations: two over time (the first expires when its receiver leaves).
    const lobby = await openLobby(me);
    for (const o of others.slice(0, 2)) {
      const theirs = await openLobby(o);
      await invite(lobby, o);
      await theirs.room.leave();
    }
    assert.equal((await walk(me.token, "/api/game-invitations", (i) => i.id)).length, 2);

    // Messages keep their numeric cursor; `cursor` is accepted beside `before`.
    for (const text of ["a", "b"]) await post(me, conversations[0]!, text);
    const first = await api("GET", `/api/v1/conversations/${conversations[0]}/messages?limit=1`, { token: me.token });
    const second = await api(
      "GET",
      `/api/v1/conversations/${conversations[0]}/messages?limit=1&cursor=${first.body.nextCursor}`,
      { token: me.token },
    );
    assert.deepEqual(
      second.body.items.map((m: any) => m.content),
      ["a"],
    );
    assert.equal((await api("GET", "/api/notifications?limit=0", { token: me.token })).status, 400);
    assert.equal((await api("GET", "/api/friends?cursor=abc", { token: me.token })).status, 400);
  });
});
