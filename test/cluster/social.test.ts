import assert from "node:assert/strict";
import { inbox, type Inbox } from "../helpers/room";
import { api, eventually, matchmake, register, sleep, useTwoProcesses, type Joined, type User } from "./harness";

/**
 * Issue 17 across two real processes sharing PostgreSQL and Redis: a conversation message
 * reaches the receiver's lobby on the other process within 200 ms with the right unread
 * count; a receiver seated in the conversation room (on either process) gets no lobby event;
 * an unmatch on one process closes the room's seats on the other.
 */

const BASE_PORT = 2871;
const withoutSeq = ({ seq: _seq, ...rest }: any) => rest;

interface Seat extends Joined {
  box: Inbox;
}

describe("social across two rally processes (PostgreSQL + Redis)", function () {
  this.timeout(60_000);
  const cluster = useTwoProcesses({
    basePort: BASE_PORT,
    env: { RECONNECT_SECONDS: "2", PUBLIC_ADDRESS_TEMPLATE: "127.0.0.1:{port}" },
    logName: "social-launcher.log",
  });
  const VIA = cluster.via;

  async function join(base: string, user: User, target: string, options: Record<string, unknown> = {}): Promise<Seat> {
    const joined = await matchmake(base, user.token, "joinOrCreate", target, options);
    joined.room.reconnection.enabled = false;
    cluster.track(joined.room);
    return { ...joined, box: inbox(joined.room) };
  }

  async function lobby(base: string, user: User): Promise<Seat> {
    const seat = await join(base, user, "user_lobby");
    await eventually(() => seat.room.state?.friends !== undefined, 5000, "the lobby state");
    return seat;
  }

  /** Alice and Bob like each other (through different processes); returns their match and conversation. */
  async function match(alice: User, bob: User): Promise<{ matchId: string; conversationId: string }> {
    await api(VIA[1], "POST", "/api/v1/matching/likes", { token: alice.token, body: { userId: bob.id } });
    const res = await api(VIA[2], "POST", "/api/v1/matching/likes", { token: bob.token, body: { userId: alice.id } });
    assert.equal(res.body.matched, true, JSON.stringify(res.body));
    return { matchId: res.body.match.id, conversationId: res.body.conversationId };
  }

  it("a REST message posted on process 2 reaches the receiver's lobby on process 1 within 200 ms, with the unread count", async () => {
    const alice = await register(VIA[1], "alice");
    const bob = await register(VIA[2], "bob");
    const { conversationId } = await match(alice, bob);
    const a = await lobby(VIA[1], alice);
    assert.equal(a.seat.publicAddress, `127.0.0.1:${BASE_PORT}`);
    await eventually(() => a.room.state.unreadMessages === 1, 5000, "the welcome counted");

    for (const [n, content] of [
      [2, "hello across processes"],
      [3, "still there?"],
    ] as const) {
      const started = Date.now();
      const sent = await api(VIA[2], "POST", `/api/v1/conversations/${conversationId}/messages`, {
        token: bob.token,
        body: { content },
      });
      assert.equal(sent.status, 201);
      const event = await a.box.next("conversation_message", 200, (e) => e.messageId === sent.body.id);
      assert.deepEqual(withoutSeq(event), {
        conversationId,
        messageId: sent.body.id,
        from: { id: bob.id, username: bob.username },
        preview: content,
        unreadCount: n,
      });
      assert.equal(a.room.state.unreadMessages, n);
      assert.ok(Date.now() - started < 1000);
    }
    const list = await api(VIA[2], "GET", "/api/v1/conversations", { token: alice.token });
    assert.equal(list.body.unread_total, 3);
  });

  it("a message sent in the room on process 2 reaches the lobby on process 1; a receiver seated in the room gets none", async () => {
    const alice = await register(VIA[1], "alice");
    const bob = await register(VIA[2], "bob");
    const { conversationId } = await match(alice, bob);
    const a = await lobby(VIA[1], alice);
    const b = await join(VIA[2], bob, "conversation", { conversationId });

    const reply = await b.room.request("message", { content: "from the room" });
    const event = await a.box.next("conversation_message", 200);
    assert.equal(event.messageId, reply.id);
    assert.equal(event.unreadCount, 2);

    // Alice takes a seat (the room is on process 2, her lobby on process 1): no lobby event.
    const seated = await join(VIA[1], alice, "conversation", { conversationId });
    assert.equal(seated.room.roomId, b.room.roomId);
    await b.room.request("message", { content: "you are here" });
    await seated.box.next("message", 2000, (m) => m.message.content === "you are here");
    await sleep(200);
    assert.equal(a.box.of("conversation_message").length, 1);
  });

  it("an unmatch served by process 1 closes the room's seats on process 2 with match_removed", async () => {
    const alice = await register(VIA[1], "alice");
    const bob = await register(VIA[2], "bob");
    const { matchId, conversationId } = await match(alice, bob);
    const b = await join(VIA[2], bob, "conversation", { conversationId });
    const closed = new Promise<number>((resolve) => b.room.onLeave((code: number) => resolve(code)));
    const res = await api(VIA[1], "DELETE", `/api/v1/matching/matches/${matchId}`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.deepEqual(withoutSeq(await b.box.next("match_removed", 2000)), { matchId, conversationId });
    assert.equal(await closed, 4403);
    const refused = await api(VIA[2], "POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { content: "?" },
    });
    assert.equal(refused.status, 403);
  });
});
