import assert from "node:assert/strict";
import { ctx, sdk } from "../helpers/server";
import { inbox, sleep, until, type Inbox } from "../helpers/room";
import { cryptoDice, scriptedDice } from "../../src/systems/biggerDice/rules";
import {
  assertSeqContinuous,
  dropHeld,
  join,
  quickUser,
  serverRoom,
  setConfig,
  TRIVIA_QUESTIONS,
  type Seat,
} from "./support/world";

/**
 * "Nothing missed across a drop" (PROTOCOL.md §1, issue 8): a client dropped without consent
 * mid-game, mid-trivia and mid-chat gets, on return, every event addressed to it while away,
 * in order, with `seq` continuing from before the drop, before anything newer; `events_lost`
 * first when its buffer overflowed; and every action acknowledged meanwhile is stored.
 *
 * The drops are real socket closes and the returns are the SDK's own automatic reconnection
 * (held back until the test has produced the missed events), so the same SDK Room object and
 * its handlers carry on, exactly as in an app.
 */

const withoutSeq = ({ seq: _seq, ...rest }: any) => rest;
const events = (box: Inbox, from: number) =>
  box.all.slice(from).map((m) => ({ type: m.type, payload: withoutSeq(m.payload) }));

/** Events from index `from` up to and including the first that `isMarker` picks. */
function upTo(box: Inbox, from: number, isMarker: (m: { type: string; payload: any }) => boolean) {
  const list = events(box, from);
  const end = list.findIndex(isMarker);
  assert.ok(end >= 0, `marker received; got ${list.map((m) => m.type).join(", ")}`);
  return list.slice(0, end + 1);
}

describe("nothing missed across a drop", () => {
  afterEach(() => {
    ctx().dice = cryptoDice;
  });

  it("dice, mid-game: the dropped player gets every event it missed, in order, before player_rejoined; every acknowledged roll is in the history", async () => {
    const [ua, ub, uc, ud] = [await quickUser(), await quickUser(), await quickUser(), await quickUser()];
    // draw 1: the creator (a) starts; rolls a 6, b 1, a 5, b 2 → a wins 2-0.
    ctx().dice = scriptedDice([1, 6, 1, 5, 2]);
    const roomA = await sdk(ua.token).create("bigger_dice", { roomName: "drop-table", targetScore: 2 });
    const a: Seat = { user: ua, room: roomA, box: inbox(roomA) };
    const b = await join(ub, "bigger_dice", { roomName: "drop-table" });
    await a.room.request("ready");
    await b.room.request("ready");
    await b.box.next("game_started");
    const roll = (seat: Seat) => seat.room.request("roll");
    await roll(a);
    await b.box.next("turn_changed");
    const fromA = a.box.all.length;
    const fromB = b.box.all.length;

    const drop = await dropHeld(a);
    await roll(b); // acknowledged while a is away
    const s1 = await join(uc, "bigger_dice", { roomName: "drop-table", spectate: true });
    const s2 = await join(ud, "bigger_dice", { roomName: "drop-table", spectate: true });
    await s1.room.leave();
    await b.box.next("spectator_left");
    await drop.release();

    const rejoined = (m: { type: string }) => m.type === "player_rejoined";
    await a.box.next("player_rejoined");
    const missed = upTo(a.box, fromA, rejoined);
    assert.deepEqual(missed, upTo(b.box, fromB, rejoined), "a got exactly what b saw while a was away");
    assert.deepEqual(
      missed.map((m) => m.type),
      [
        "player_disconnected",
        "bigger_dice.rolled",
        "bigger_dice.round_result",
        "turn_changed",
        "spectator_joined",
        "spectator_joined",
        "spectator_left",
        "player_rejoined",
      ],
    );

    await roll(a);
    await roll(b);
    const ended = await a.box.next("game_ended");
    assert.deepEqual([ended.winner_id, ended.reason], [ua.id, "win"]);
    assertSeqContinuous(a.box, "dropped player");
    assertSeqContinuous(b.box, "opponent");

    const [history] = (await ctx().services.games.history(ua.id, { limit: 50 })).items as any[];
    assert.deepEqual(
      history.rolls.map((r: any) => [r.userId, r.roll]),
      [
        [ua.id, 6],
        [ub.id, 1],
        [ua.id, 5],
        [ub.id, 2],
      ],
      "every acknowledged roll is stored, in order",
    );
    await s2.room.leave();
  });

  it("trivia, mid-question: the dropped participant gets the close, scores, chat and the next question it missed; every acknowledged answer is stored", async () => {
    const orgId = "acme";
    const [host, p1, p2] = [await quickUser({ orgId }), await quickUser({ orgId }), await quickUser({ orgId })];
    const session = await ctx().services.trivia.create(host, {
      title: "Drop quiz",
      questions: TRIVIA_QUESTIONS.slice(0, 2),
    });
    const h = await join(host, "trivia", { sessionId: session.id });
    const one = await join(p1, "trivia", { sessionId: session.id, team: "red" });
    const two = await join(p2, "trivia", { sessionId: session.id, team: "blue" });
    await until(() => serverRoom(h.room.roomId).clients.length === 3, 4000, "three seated");
    await h.room.request("start");
    const q1 = await one.box.next("question_started");
    await two.box.next("question_started");
    await sleep(50);
    const from1 = one.box.all.length;
    const from2 = two.box.all.length;

    const drop = await dropHeld(one);
    await two.room.request("answer", { questionId: q1.data.question_id, choiceIndex: 1 }); // acknowledged; closes q1
    await two.box.next("question_closed");
    for (const text of ["while", "you", "were away"]) await two.room.request("chat", { text });
    await h.room.request("next_question");
    const q2 = await two.box.next("question_started");
    await drop.release();
    await two.room.request("chat", { text: "welcome back" });

    const marker = (m: { type: string; payload: any }) => m.type === "chat" && m.payload.data.text === "welcome back";
    await one.box.next("chat", 4000, (p) => p.data.text === "welcome back");
    const missed = upTo(one.box, from1, marker);
    assert.deepEqual(missed, upTo(two.box, from2, marker), "p1 got exactly what p2 saw while p1 was away");
    const types = missed.map((m) => m.type);
    for (const t of ["question_closed", "score_update", "chat", "question_started"])
      assert.ok(types.includes(t), `missed ${t} replayed`);
    assert.ok(types.indexOf("question_closed") < types.indexOf("question_started"), "in their order");

    await one.room.request("answer", { questionId: q2.data.question_id, choiceIndex: 0 });
    await two.room.request("answer", { questionId: q2.data.question_id, choiceIndex: 1 });
    await one.box.next("question_closed", 4000, (e) => e.data.question_id === q2.data.question_id);
    await h.room.request("next_question"); // after the last question: finished, results stored
    await one.box.next("session_update", 4000, (e) => e.data.state === "finished");
    assertSeqContinuous(one.box, "dropped participant");

    const { rows } = await ctx().db.query<{ user_id: string; question_id: string }>(
      "SELECT user_id, question_id FROM trivia_answers WHERE session_id = $1 ORDER BY answered_at",
      [session.id],
    );
    assert.deepEqual(
      rows.map((r) => [r.user_id, r.question_id]),
      [
        [p2.id, q1.data.question_id],
        [p1.id, q2.data.question_id],
        [p2.id, q2.data.question_id],
      ],
      "every acknowledged answer is stored",
    );
    const results = await ctx().services.trivia.results(orgId, session.id);
    assert.equal(results.status, "finished");
    assert.equal(results.items.find((i) => i.userId === p1.id)!.score > 0, true, "p1's answer after the return scored");
  });

  it("conversation, mid-chat: the dropped participant gets typing and every message in send order, then newer ones; every acknowledged message is stored", async () => {
    const [alice, bob] = [await quickUser(), await quickUser()];
    const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
    const a = await join(alice, "conversation", { conversationId: conversation.id });
    const b = await join(bob, "conversation", { conversationId: conversation.id });
    await a.box.next("user_status", 4000, (e) => e.user_id === bob.id);
    await a.room.request("message", { content: "before" });
    await b.box.next("message");
    const fromB = b.box.all.length;

    const drop = await dropHeld(b);
    a.room.send("typing", { is_typing: true });
    const acked: any[] = [];
    for (let i = 0; i < 10; i++)
      acked.push(await a.room.request("message", { content: `while away ${i}`, clientMessageId: `away-${i}` }));
    await drop.release();
    const after = await a.room.request("message", { content: "after" });
    await b.box.next("message", 4000, (e) => e.message.id === after.id);

    const seen = events(b.box, fromB);
    assert.deepEqual(
      seen.map((m) => (m.type === "message" ? m.payload.message.id : m.type)),
      ["typing", ...acked.map((m) => m.id), after.id],
      "typing, the missed messages in send order, then the newer one",
    );
    assert.deepEqual(
      seen.filter((m) => m.type === "message").map((m) => m.payload.message),
      [...acked, after],
      "the very messages the sender was acknowledged with",
    );
    assertSeqContinuous(b.box, "dropped participant");

    const { rows } = await ctx().db.query<{ id: string }>(
      "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id",
      [conversation.id],
    );
    const stored = new Set(rows.map((r) => Number(r.id)));
    for (const m of [...acked, after]) assert.ok(stored.has(m.id), `acknowledged message ${m.id} is stored`);
  });

  it("space: a dropped member gets the CHAT and ACTION events it missed after a manual reconnect with its token", async () => {
    const [admin, member] = [await quickUser(), await quickUser()];
    const space = await ctx().services.spaces.create(admin.id, { name: "Drop plaza", capacity: 5 });
    await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
      space.id,
      member.id,
    ]);
    const a = await join(admin, "space", { spaceId: space.id });
    const b = await join(member, "space", { spaceId: space.id });
    await a.box.next("USER_JOINED");
    a.room.send("CHAT", { text: "first" });
    await b.box.next("CHAT");
    const lastSeq = b.box.all.at(-1)!.payload.seq;

    const token = b.room.reconnectionToken;
    b.room.reconnection.enabled = false;
    b.room.connection.close();
    await until(() => serverRoom(a.room.roomId).clients.length === 1, 4000, "the drop");
    for (const text of ["one", "two", "three"]) await a.room.request("CHAT", { text });
    await a.room.request("ACTION", { action: "wave" });

    const back = await sdk(member.token).reconnect(token);
    const box = inbox(back);
    await box.next("ACTION");
    assert.deepEqual(
      box.all.map((m) => [m.type, m.payload.text ?? m.payload.action, m.payload.seq]),
      [
        ["CHAT", "one", lastSeq + 1],
        ["CHAT", "two", lastSeq + 2],
        ["CHAT", "three", lastSeq + 3],
        ["ACTION", "wave", lastSeq + 4],
      ],
    );
  });

  it("user_lobby: a dropped device gets the events delivered to its user while it was away, as the connected device got them", async () => {
    const [bob, carol] = [await quickUser(), await quickUser()];
    const phone = await join(bob, "user_lobby");
    const laptop = await join(bob, "user_lobby");
    await until(
      () => phone.room.state?.friends !== undefined && laptop.room.state?.friends !== undefined,
      4000,
      "lobby state",
    );
    const fromPhone = phone.box.all.length;
    const fromLaptop = laptop.box.all.length;
    const drop = await dropHeld(phone);
    const request = await ctx().services.friends.request(carol.id, bob.username);
    await ctx().services.friends.accept(bob.id, request.id);
    const notes = ctx().services.notifications;
    for (const message of ["first", "second"]) {
      await notes.push(await notes.create({ userId: bob.id, type: "updates", kind: "test", title: "Hi", message }));
    }
    await laptop.box.next("notification", 4000, (n) => n.message === "second");
    await drop.release();
    laptop.room.send("ping"); // only to the laptop: not part of the phone's stream
    await phone.box.next("notification", 4000, (n) => n.message === "second");
    const marker = (m: { type: string; payload: any }) => m.type === "notification" && m.payload.message === "second";
    const missed = upTo(phone.box, fromPhone, marker);
    assert.deepEqual(missed, upTo(laptop.box, fromLaptop, marker), "the phone got what the laptop got");
    assert.deepEqual(
      missed.filter((m) => m.type !== "friend_request").map((m) => m.payload.message ?? m.type),
      ["friends_changed", "first", "second"],
    );
    assertSeqContinuous(phone.box, "lobby device");
    await until(() => phone.room.state.friends.get(carol.id), 4000, "the state resynced");
  });

  describe("buffer overflow", () => {
    let restore: () => void;
    beforeEach(() => {
      restore = setConfig({ EVENT_BUFFER_SIZE: 5 });
    });
    afterEach(() => restore());

    it("conversation: events_lost {count} comes first, then the newest buffered events in order; sync recovers the rest, nothing acknowledged is lost", async () => {
      const [alice, bob] = [await quickUser(), await quickUser()];
      const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
      const a = await join(alice, "conversation", { conversationId: conversation.id });
      const b = await join(bob, "conversation", { conversationId: conversation.id });
      await a.box.next("user_status", 4000, (e) => e.user_id === bob.id);
      const first = await a.room.request("message", { content: "seen" });
      await b.box.next("message");
      const fromB = b.box.all.length;

      const drop = await dropHeld(b);
      const acked: any[] = [];
      for (let i = 0; i < 12; i++) acked.push(await a.room.request("message", { content: `m${i}` }));
      await drop.release();
      await b.box.next("message", 4000, (e) => e.message.id === acked.at(-1).id);
      await sleep(100);

      const seen = events(b.box, fromB);
      assert.deepEqual(seen[0], { type: "events_lost", payload: { count: 7 } }, "events_lost first");
      assert.deepEqual(
        seen.slice(1).map((m) => m.payload.message.id),
        acked.slice(7).map((m) => m.id),
        "then the 5 newest, in order",
      );
      assertSeqContinuous(b.box, "dropped participant");

      const synced = await b.room.request("sync", { afterMessageId: first.id });
      assert.deepEqual(
        synced.messages.map((m: any) => m.id),
        acked.map((m) => m.id),
        "sync recovers every acknowledged message",
      );
    });

    it("trivia: a participant away during a chat burst gets events_lost, then the newest events", async () => {
      const orgId = "acme";
      const [host, p1] = [await quickUser({ orgId }), await quickUser({ orgId })];
      const session = await ctx().services.trivia.create(host, {
        title: "Overflow",
        questions: TRIVIA_QUESTIONS.slice(0, 1),
      });
      const h = await join(host, "trivia", { sessionId: session.id });
      const one = await join(p1, "trivia", { sessionId: session.id });
      await one.box.next("session_update");
      await until(() => serverRoom(h.room.roomId).clients.length === 2, 4000, "seated");
      const from = one.box.all.length;
      const drop = await dropHeld(one);
      for (let i = 0; i < 9; i++) await h.room.request("chat", { text: `c${i}` });
      await drop.release();
      await one.box.next("chat", 4000, (p) => p.data.text === "c8");
      const seen = events(one.box, from);
      assert.deepEqual(seen[0], { type: "events_lost", payload: { count: 4 } });
      assert.deepEqual(
        seen.slice(1).map((m) => m.payload.data.text),
        ["c4", "c5", "c6", "c7", "c8"],
      );
      assertSeqContinuous(one.box, "participant");
    });
  });
});
