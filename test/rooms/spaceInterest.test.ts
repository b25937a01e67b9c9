import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { withConfig } from "../helpers/config";
import { ctx, sdk, type Room } from "../helpers/server";
import { api } from "../helpers/http";
import { createUsers, type TestUser } from "../helpers/users";
import { inbox, refusal, sleep, until } from "../helpers/room";

/** A space made over REST (as a client would), with the others added as members. */
async function makeSpace(owner: TestUser, members: TestUser[], body: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/spaces", { token: owner.token, body: { name: "Hall", capacity: 10, ...body } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  for (const m of members) {
    await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
      res.body.id,
      m.id,
    ]);
  }
  return res.body as { id: string; viewRadius: number | null };
}

const join = (user: TestUser, spaceId: string, x: number, y: number) =>
  sdk(user.token).joinOrCreate("space", { spaceId, initialPosition: { x, y, direction: "down" } });

/** The userIds in a client's state, sorted. */
const seen = (room: Room): string[] => [...(room.state?.users?.keys() ?? [])].sort();
const sorted = (...users: TestUser[]) => users.map((u) => u.id).sort();
const positionIn = (room: Room, user: TestUser) => {
  const u = room.state?.users?.get(user.id);
  return u && { x: u.x, y: u.y };
};

describe("space interest management", () => {
  it("a client's state holds only the avatars in its view; they leave it and come back as they move", async () => {
    const [alice, bob, carol] = await createUsers(3);
    const space = await makeSpace(alice!, [bob!, carol!], { viewRadius: 100 });
    assert.equal(space.viewRadius, 100);
    const a = await join(alice!, space.id, 100, 100);
    const b = await join(bob!, space.id, 150, 180);
    const c = await join(carol!, space.id, 900, 900);
    await until(() => seen(a).length === 2 && seen(b).length === 2 && seen(c).length === 1, 4000, "initial views");
    assert.deepEqual(seen(a), sorted(alice!, bob!));
    assert.deepEqual(seen(b), sorted(alice!, bob!));
    assert.deepEqual(seen(c), [carol!.id], "carol is alone in her corner");
    assert.equal(a.state.viewRadius, 100);

    // In view, moves arrive as usual.
    b.send("MOVE", { x: 190, y: 120, direction: "right" });
    await until(() => positionIn(a, bob!)?.x === 190, 4000, "bob's move seen by alice");

    // Bob walks out of Alice's view (101 away on x): he disappears from her state, and she from his.
    b.send("MOVE", { x: 201, y: 120, direction: "right" });
    await until(() => seen(a).length === 1 && seen(b).length === 1, 4000, "bob out of view");
    assert.deepEqual(seen(a), [alice!.id]);
    assert.deepEqual(seen(b), [bob!.id]);
    // Moves out of view are not delivered: Alice's state does not bring him back.
    b.send("MOVE", { x: 300, y: 120, direction: "right" });
    await sleep(150);
    assert.deepEqual(seen(a), [alice!.id]);

    // Back within 100 (the edge counts): he reappears where he is now.
    b.send("MOVE", { x: 200, y: 200, direction: "left" });
    await until(() => positionIn(a, bob!)?.x === 200, 4000, "bob back in alice's view");
    assert.deepEqual(positionIn(a, bob!), { x: 200, y: 200 });
    assert.deepEqual(seen(b), sorted(alice!, bob!));
    assert.equal(a.state.users.get(bob!.id).username, bob!.username);

    // Alice walks to Carol: Bob leaves her view, Carol enters it.
    a.send("MOVE", { x: 850, y: 850, direction: "up" });
    await until(() => seen(a).join() === sorted(alice!, carol!).join(), 4000, "alice now sees carol, not bob");
    await until(() => seen(c).length === 2 && seen(b).length === 1, 4000, "carol sees alice; bob is alone");

    // Leaving takes the avatar out of the states that had it.
    await c.leave();
    await until(() => seen(a).length === 1, 4000, "carol gone");
    await Promise.all([a.leave(), b.leave()]);
  });

  it("a live resize (PATCH) brings avatars inside the new bounds and into the views they now fall in", async () => {
    const [alice, bob] = await createUsers(2);
    const space = await makeSpace(alice!, [bob!], { viewRadius: 100, width: 1000, height: 1000 });
    const a = await join(alice!, space.id, 50, 50);
    const b = await join(bob!, space.id, 900, 900);
    await until(() => seen(a).length === 1 && seen(b).length === 1, 4000, "apart at first");

    const patched = await api("PATCH", `/api/spaces/${space.id}`, {
      token: alice!.token,
      body: { width: 120, height: 120 },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    // Bob is brought to (120, 120): 70 from Alice on each axis, inside her view of 100.
    await until(() => positionIn(a, bob!)?.x === 120, 4000, "bob clamped into alice's view");
    assert.deepEqual(positionIn(a, bob!), { x: 120, y: 120 });
    assert.deepEqual(seen(b), sorted(alice!, bob!));
    // The grid follows the new bounds: moves past them are refused, moves inside keep working.
    assert.equal((await refusal(b.request("MOVE", { x: 500, y: 10, direction: "left" }))).code, "INVALID_MESSAGE");
    b.send("MOVE", { x: 110, y: 30, direction: "left" });
    await until(() => positionIn(a, bob!)?.y === 30, 4000, "bob's move inside the new bounds");
    await Promise.all([a.leave(), b.leave()]);
  });

  it("a space its view covers whole shows everyone to everyone, and a resize moves it to and from per-client views", async () => {
    const [alice, bob, carol] = await createUsers(3);
    const space = await makeSpace(alice!, [bob!, carol!], { viewRadius: 100, width: 1000, height: 1000 });
    const resize = async (side: number) => {
      const res = await api("PATCH", `/api/spaces/${space.id}`, {
        token: alice!.token,
        body: { width: side, height: side },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    const a = await join(alice!, space.id, 0, 0);
    const b = await join(bob!, space.id, 900, 900);
    await until(() => seen(a).length === 1 && seen(b).length === 1, 4000, "apart at first");

    // 100 × 100 with a view of 100: Bob is brought to (100, 100), and everyone sees everyone.
    await resize(100);
    await until(() => positionIn(a, bob!)?.x === 100, 4000, "bob in alice's state");
    assert.deepEqual(seen(b), sorted(alice!, bob!));
    const c = await join(carol!, space.id, 50, 0);
    await until(() => [a, b, c].every((r) => seen(r).length === 3), 4000, "carol joins everyone's state");
    b.send("MOVE", { x: 0, y: 100, direction: "left" });
    await until(() => positionIn(c, bob!)?.x === 0 && positionIn(a, bob!)?.x === 0, 4000, "bob's move seen by all");
    // A reconnect gets the whole space too.
    c.reconnection.enabled = false;
    await c.leave(false);
    const back = await sdk(carol!.token).reconnect(c.reconnectionToken);
    await until(() => seen(back).length === 3, 4000, "carol's state after reconnecting");
    assert.deepEqual(positionIn(back, bob!), { x: 0, y: 100 });

    // Grown past the view: each state narrows to its own view as avatars walk apart.
    await resize(1000);
    await until(() => (a.state as any).width === 1000, 4000, "alice sees the new width");
    b.send("MOVE", { x: 500, y: 500, direction: "down" });
    await until(
      () => seen(a).join() === sorted(alice!, carol!).join() && seen(back).join() === sorted(alice!, carol!).join(),
      4000,
      "bob out of alice's and carol's views",
    );
    assert.deepEqual(seen(b), [bob!.id]);
    b.send("MOVE", { x: 120, y: 60, direction: "up" });
    await until(() => seen(back).length === 3 && seen(a).length === 2, 4000, "bob back in carol's view only");
    assert.deepEqual(seen(b), sorted(bob!, carol!));
    await Promise.all([a.leave(), b.leave(), back.leave()]);
  });

  it("after a reconnect the client's state is its view as it is now, and keeps following", async () => {
    const [alice, bob, carol] = await createUsers(3);
    const space = await makeSpace(alice!, [bob!, carol!], { viewRadius: 100 });
    const a = await join(alice!, space.id, 100, 100);
    const b = await join(bob!, space.id, 150, 150);
    const c = await join(carol!, space.id, 800, 800);
    await until(() => seen(b).length === 2, 4000, "bob sees alice");

    b.reconnection.enabled = false;
    await b.leave(false);
    await sleep(100);
    // While Bob is away, Alice walks off and Carol walks up to him; others still see his held avatar.
    a.send("MOVE", { x: 600, y: 100, direction: "right" });
    c.send("MOVE", { x: 200, y: 200, direction: "up" });
    await until(() => seen(c).join() === sorted(bob!, carol!).join(), 4000, "carol sees bob's held avatar");
    await until(() => seen(a).length === 1, 4000, "alice alone");

    const back = await sdk(bob!.token).reconnect(b.reconnectionToken);
    await until(() => seen(back).length === 2, 4000, "bob's view after reconnecting");
    assert.deepEqual(seen(back), sorted(bob!, carol!), "carol, not alice");
    assert.deepEqual(positionIn(back, carol!), { x: 200, y: 200 });
    await sleep(150);
    assert.deepEqual(seen(back), sorted(bob!, carol!), "and no stale entries arrive afterwards");

    // The view keeps following after the reconnect, both ways.
    a.send("MOVE", { x: 120, y: 120, direction: "left" });
    await until(() => seen(back).length === 3, 4000, "alice back in bob's view");
    back.send("MOVE", { x: 500, y: 500, direction: "down" });
    await until(
      () => seen(back).length === 1 && !seen(a).includes(bob!.id) && !seen(c).includes(bob!.id),
      4000,
      "bob walked away",
    );
    await Promise.all([a.leave(), back.leave(), c.leave()]);
  });

  it("CHAT {scope: 'nearby'} reaches only the sender and those in its view; plain CHAT reaches everyone", async () => {
    const [alice, bob, carol] = await createUsers(3);
    const space = await makeSpace(alice!, [bob!, carol!], { viewRadius: 100 });
    const a = await join(alice!, space.id, 100, 100);
    const b = await join(bob!, space.id, 180, 20);
    const c = await join(carol!, space.id, 500, 500);
    await until(() => seen(a).length === 2, 4000, "alice sees bob");
    const [boxA, boxB, boxC] = [inbox(a), inbox(b), inbox(c)];

    a.send("CHAT", { text: "psst", scope: "nearby" });
    for (const box of [boxA, boxB]) {
      const chat = await box.next("CHAT");
      assert.deepEqual(
        { ...chat, timestamp: undefined, seq: undefined },
        {
          spaceId: space.id,
          userId: alice!.id,
          username: alice!.username,
          text: "psst",
          scope: "nearby",
          timestamp: undefined,
          seq: undefined,
        },
      );
    }
    a.send("CHAT", { text: "hello all" });
    for (const box of [boxA, boxB, boxC]) {
      const chat = await box.next("CHAT", 4000, (p) => p.text === "hello all");
      assert.equal(chat.scope, "space");
    }
    assert.deepEqual(
      boxC.of("CHAT").map((m) => m.text),
      ["hello all"],
      "carol never got the nearby chat",
    );

    // A bad scope is refused and nothing is sent.
    a.send("CHAT", { text: "x", scope: "room" });
    const err = await boxA.next("error");
    assert.equal(err.code, "INVALID_MESSAGE");
    assert.match(err.message, /^scope: /);
    await sleep(100);
    assert.equal(boxB.of("CHAT").length, 2);
    await Promise.all([a.leave(), b.leave(), c.leave()]);
  });

  it("viewRadius 0 puts the whole space in view (and nearby chat reaches everyone)", async () => {
    const [alice, bob] = await createUsers(2);
    const space = await makeSpace(alice!, [bob!], { viewRadius: 0 });
    const a = await join(alice!, space.id, 0, 0);
    const b = await join(bob!, space.id, 1000, 1000);
    await until(() => seen(a).length === 2 && seen(b).length === 2, 4000, "both see both across the space");
    b.send("MOVE", { x: 999, y: 1000, direction: "left" });
    await until(() => positionIn(a, bob!)?.x === 999, 4000, "far move seen");
    const boxB = inbox(b);
    a.send("CHAT", { text: "far", scope: "nearby" });
    assert.equal((await boxB.next("CHAT")).text, "far");
    await Promise.all([a.leave(), b.leave()]);
  });

  it("a space without its own radius uses SPACE_VIEW_RADIUS", async () => {
    const [alice] = await createUsers(1);
    const space = await makeSpace(alice!, []);
    assert.equal(space.viewRadius, null);
    const a = await join(alice!, space.id, 1, 1);
    await until(() => seen(a).length === 1, 4000, "own avatar");
    assert.equal(a.state.viewRadius, ctx().config.SPACE_VIEW_RADIUS);
    await a.leave();
  });

  it("accepts capacities up to 1,000 and refuses more, and refuses a negative or fractional view radius", async () => {
    const [owner] = await createUsers(1);
    const big = await api("POST", "/api/spaces", { token: owner!.token, body: { name: "Hall", capacity: 1000 } });
    assert.equal(big.status, 201);
    assert.equal(big.body.capacity, 1000);
    for (const body of [
      { name: "Hall", capacity: 1001 },
      { name: "Hall", capacity: 10, viewRadius: -1 },
      { name: "Hall", capacity: 10, viewRadius: 2.5 },
      { name: "Hall", capacity: 10, viewRadius: "far" },
    ]) {
      const res = await api("POST", "/api/spaces", { token: owner!.token, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.status, "failed");
      assert.equal(res.body.code, "INVALID_REQUEST");
    }
    const { rows } = await ctx().db.query("SELECT capacity FROM spaces WHERE owner_id = $1", [owner!.id]);
    assert.deepEqual(rows, [{ capacity: 1000 }], "nothing else was stored");
    // The room takes the 1,000-seat space's first member like any other.
    const a = await join(owner!, big.body.id, 5, 5);
    await until(() => a.state?.capacity === 1000, 4000, "the room's capacity");
    assert.equal((await refusal(join(owner!, big.body.id, 5, 5))).code, 409);
    await a.leave();
  });

  it("a space with a limited view patches every SPACE_PATCH_MS; one with viewRadius 0 keeps Colyseus' 50 ms", async () => {
    const [alice] = await createUsers(1);
    const limited = await makeSpace(alice!, [], { viewRadius: 100 });
    const unlimited = await makeSpace(alice!, [], { viewRadius: 0 });
    const a = await join(alice!, limited.id, 10, 10);
    const b = await sdk(alice!.token).joinOrCreate("space", { spaceId: unlimited.id });
    await withConfig({ SPACE_PATCH_MS: 40 }, async () => {
      const c = await sdk(alice!.token).joinOrCreate("space", {
        spaceId: (await makeSpace(alice!, [], { viewRadius: 50 })).id,
      });
      assert.equal(matchMaker.getLocalRoomById(c.roomId)?.patchRate, 40);
      await c.leave();
    });
    assert.equal(matchMaker.getLocalRoomById(a.roomId)?.patchRate, ctx().config.SPACE_PATCH_MS);
    assert.equal(ctx().config.SPACE_PATCH_MS, 125, "the default");
    assert.equal(matchMaker.getLocalRoomById(b.roomId)?.patchRate, 50);
    await Promise.all([a.leave(), b.leave()]);
  });
});
