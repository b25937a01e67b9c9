import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ctx, h, sdk, type Room } from "../helpers/server";
import { befriend, createUser, createUsers, type TestUser } from "../helpers/users";
import { inbox, refusal, sleep, until } from "../helpers/room";
import { api } from "../helpers/http";
import type { SpaceRoom } from "../../src/systems/space/SpaceRoom";

interface SpaceOpts {
  capacity?: number;
  width?: number;
  height?: number;
  members?: TestUser[];
}

async function makeSpace(owner: TestUser, opts: SpaceOpts = {}) {
  const space = await ctx().services.spaces.create(owner.id, {
    name: "Plaza",
    capacity: opts.capacity ?? 10,
    width: opts.width,
    height: opts.height,
  });
  for (const m of opts.members ?? []) {
    await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
      space.id,
      m.id,
    ]);
  }
  return space;
}

const join = (user: TestUser, spaceId: string, initialPosition?: unknown) =>
  sdk(user.token).joinOrCreate("space", initialPosition === undefined ? { spaceId } : { spaceId, initialPosition });

/** Count the database queries whose SQL contains `fragment` until `stop()`. */
function countQueries(fragment: string): { count: number; stop(): void } {
  const db = ctx().db as { query: (sql: string, params?: unknown[]) => Promise<unknown> };
  const original = db.query;
  const counter = {
    count: 0,
    stop: () => void (db.query = original),
  };
  db.query = function (this: unknown, sql: string, params?: unknown[]) {
    if (sql.includes(fragment)) counter.count++;
    return original.call(this, sql, params);
  };
  return counter;
}

const serverRoom = (room: Room) => h().colyseus.getRoomById(room.roomId) as unknown as SpaceRoom;
const position = (room: Room, userId: string) => {
  const u = room.state?.users?.get(userId);
  return u && { x: u.x, y: u.y, direction: u.direction, action: u.action };
};

describe("space room", () => {
  describe("joining", () => {
    it("gives a member the space's state, at the initial position, and broadcasts USER_JOINED", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, { members: [bob!], width: 640, height: 480 });
      const a = await join(admin!, space.id, { x: 10, y: 20, direction: "left" });
      const boxA = inbox(a);
      await until(() => a.state?.users?.size === 1, 4000, "own avatar");
      const state = a.state;
      assert.equal(state.spaceId, space.id);
      assert.equal(state.name, "Plaza");
      assert.equal(state.capacity, 10);
      assert.equal(state.width, 640);
      assert.equal(state.height, 480);
      assert.deepEqual(position(a, admin!.id), { x: 10, y: 20, direction: "left", action: "" });

      const b = await join(bob!, space.id);
      const joined = await boxA.next("USER_JOINED");
      assert.deepEqual(
        { ...joined, seq: undefined },
        {
          spaceId: space.id,
          userId: bob!.id,
          username: bob!.username,
          position: { x: 320, y: 240, direction: "down" },
          seq: undefined,
        },
      );
      assert.equal(b.roomId, a.roomId, "one room per space");
      await until(() => position(a, bob!.id), 4000, "bob in alice's state");
      assert.equal(a.state.users.get(bob!.id).username, bob!.username);
      await Promise.all([a.leave(), b.leave()]);
    });

    it("refuses a non-member with 403 and an unknown space with 404", async () => {
      const [admin, stranger] = await createUsers(2);
      const space = await makeSpace(admin!);
      const notMember = await refusal(join(stranger!, space.id));
      assert.equal(notMember.code, 403);
      assert.equal(notMember.message, "You do not have access to this space");
      const unknown = await refusal(join(admin!, "00000000-0000-4000-8000-000000000000"));
      assert.equal(unknown.code, 404);
      assert.equal(unknown.message, "Space not found");
      assert.deepEqual(await matchMaker.query({ name: "space" }), [], "no room was created");
    });

    it("refuses garbage join options with 400 naming the field", async () => {
      const admin = await createUser();
      const space = await makeSpace(admin, { width: 100, height: 100 });
      const cases: Array<[unknown, RegExp]> = [
        [{}, /spaceId/],
        [{ spaceId: "plaza" }, /spaceId/],
        [{ spaceId: 42 }, /spaceId/],
        [{ spaceId: space.id, initialPosition: { x: 1, y: 1, direction: "north" } }, /initialPosition\.direction/],
        [{ spaceId: space.id, initialPosition: { x: "1", y: 1, direction: "up" } }, /initialPosition\.x/],
        [{ spaceId: space.id, initialPosition: { x: 1, y: null, direction: "up" } }, /initialPosition\.y/],
        [{ spaceId: space.id, initialPosition: { x: 101, y: 1, direction: "up" } }, /initialPosition\.x/],
        [{ spaceId: space.id, initialPosition: { x: 1, y: -1, direction: "up" } }, /initialPosition\.y/],
        [{ spaceId: space.id, initialPosition: "center" }, /initialPosition/],
      ];
      for (const [options, field] of cases) {
        const err = await refusal(sdk(admin.token).joinOrCreate("space", options));
        assert.equal(err.code, 400, JSON.stringify(options));
        assert.match(err.message, field, JSON.stringify(options));
      }
    });

    it("refuses a second seat for the same user with 409, by filter and by id", async () => {
      const admin = await createUser();
      const space = await makeSpace(admin);
      const first = await join(admin, space.id);
      const again = await refusal(join(admin, space.id));
      assert.equal(again.code, 409);
      const byId = await refusal(sdk(admin.token).joinById(first.roomId, { spaceId: space.id }));
      assert.equal(byId.code, 409);
      await sleep(50);
      assert.equal(serverRoom(first).clients.length, 1);
      assert.equal(first.state.users.size, 1);
      assert.ok(first.connection.isOpen, "the first seat is untouched");
      first.send("MOVE", { x: 5, y: 5, direction: "up" });
      await until(() => position(first, admin.id)?.x === 5, 4000, "the first seat still moves");
      await first.leave();
    });

    it("answers joins into a live room from its copy of the members: a member added since gets in, a removed one does not", async () => {
      const [admin, bob, carol, dave] = await createUsers(4);
      const space = await makeSpace(admin!, { members: [bob!, carol!] });
      const a = await join(admin!, space.id);
      const lookups = countQueries("LEFT JOIN space_members");
      try {
        const b = await join(bob!, space.id);
        const c = await join(carol!, space.id);
        assert.equal(lookups.count, 0, "members of a live room's space are not looked up one by one");
        // Dave became a member after the room took its copy: the database answers for him.
        await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
          space.id,
          dave!.id,
        ]);
        const d = await join(dave!, space.id);
        assert.equal(lookups.count, 1);
        assert.equal(d.roomId, a.roomId);
        // Carol is removed: the room hears it, and her next join is refused.
        const closed = new Promise<number>((resolve) => c.onLeave((code) => resolve(code)));
        const res = await api("DELETE", `/api/spaces/${space.id}/members/${carol!.id}`, { token: admin!.token });
        assert.equal(res.status, 204);
        assert.equal(await closed, 4403);
        assert.equal((await refusal(join(carol!, space.id))).code, 403);
        await Promise.all([b.leave(), d.leave()]);
      } finally {
        lookups.stop();
        await a.leave();
      }
    });

    it("still refuses a member removed without the live room hearing of it, once its copy is SPACE_MEMBER_SNAPSHOT_SECONDS old", async () => {
      const config = ctx().config;
      const before = config.SPACE_MEMBER_SNAPSHOT_SECONDS;
      config.SPACE_MEMBER_SNAPSHOT_SECONDS = 1;
      try {
        const [admin, bob] = await createUsers(2);
        const space = await makeSpace(admin!, { members: [bob!] });
        const a = await join(admin!, space.id);
        // Straight in the table: no MEMBER_REMOVED reaches the room (as when a live delivery fails).
        await ctx().db.query("DELETE FROM space_members WHERE space_id = $1 AND user_id = $2", [space.id, bob!.id]);
        await sleep(1100);
        assert.equal((await refusal(join(bob!, space.id))).code, 403);
        await a.leave();
      } finally {
        config.SPACE_MEMBER_SNAPSHOT_SECONDS = before;
      }
    });

    it("refuses joinById into a space the caller is not a member of (403), whatever spaceId is sent", async () => {
      const [admin, stranger] = await createUsers(2);
      const space = await makeSpace(admin!);
      const room = await join(admin!, space.id);
      const err = await refusal(sdk(stranger!.token).joinById(room.roomId, { spaceId: space.id }));
      assert.equal(err.code, 403);
      // Being a member of another space does not open this one.
      const own = await makeSpace(stranger!);
      const elsewhere = await refusal(sdk(stranger!.token).joinById(room.roomId, { spaceId: own.id }));
      assert.deepEqual(elsewhere, { code: 403, message: "You do not have access to this space" });
      await sleep(50);
      assert.deepEqual([...serverRoom(room).state.users.keys()], [admin!.id]);
      await room.leave();
    });

    it("never has more than `capacity` present when 50 members join at the same moment (Colyseus #678)", async function () {
      this.timeout(60_000);
      const admin = await createUser();
      const members = await createUsers(50);
      const space = await makeSpace(admin, { capacity: 10, members });

      // Watch every room of this space while the joins race: seats granted, and clients.
      let maxUsers = 0;
      let maxClients = 0;
      let sampleError: unknown;
      const sample = async () => {
        const rooms = await matchMaker.query({ name: "space" });
        const local = rooms.map((r) => matchMaker.getLocalRoomById(r.roomId) as unknown as SpaceRoom | undefined);
        const sum = (f: (r: SpaceRoom) => number) => local.reduce((n, r) => n + (r ? f(r) : 0), 0);
        maxUsers = Math.max(
          maxUsers,
          sum((r) => r.state.users.size),
        );
        maxClients = Math.max(
          maxClients,
          sum((r) => r.clients.length),
        );
      };
      const watch = setInterval(() => void sample().catch((e: unknown) => (sampleError ??= e)), 2);
      const results = await Promise.allSettled(members.map((m) => join(m, space.id)));
      await sleep(100);
      clearInterval(watch);
      assert.equal(sampleError, undefined, "every sample of the rooms was read");

      const joined = results
        .filter((r): r is PromiseFulfilledResult<Room> => r.status === "fulfilled")
        .map((r) => r.value);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.equal(joined.length, 10, "exactly capacity joined");
      assert.equal(refused.length, 40);
      for (const r of refused) assert.deepEqual([r.reason?.code, r.reason?.message], [409, "Space is full"]);
      const rooms = await matchMaker.query({ name: "space" });
      assert.equal(rooms.length, 1, "one room for the space");
      const room = serverRoom(joined[0]!);
      assert.equal(room.state.users.size, 10);
      assert.equal(room.clients.length, 10);
      assert.ok(maxUsers <= 10, `at most 10 present at any moment (saw ${maxUsers})`);
      assert.ok(maxClients <= 10, `at most 10 clients at any moment (saw ${maxClients})`);
      const seated = [...room.clients].map((c) => (c as any).auth.id as string).sort();
      assert.deepEqual([...room.state.users.keys()].sort(), seated, "an avatar for every seated client, and no other");

      // Full is full however one asks: by filter and by id, the admin included.
      assert.equal((await refusal(join(admin, space.id))).code, 409);
      assert.equal((await refusal(sdk(admin.token).joinById(room.roomId, { spaceId: space.id }))).code, 409);

      // A seat that frees up can be taken again.
      await joined[0]!.leave();
      const late = await join(admin, space.id);
      assert.equal(late.roomId, room.roomId);
      assert.equal(room.state.users.size, 10);
      assert.ok(room.state.users.has(admin.id));
      await Promise.all([late, ...joined.slice(1)].map((r) => r.leave()));
    });
  });

  describe("MOVE", () => {
    it("moves the avatar; the other client sees it in state (no event is sent)", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, { members: [bob!] });
      const a = await join(admin!, space.id);
      const b = await join(bob!, space.id);
      const boxB = inbox(b);
      a.send("MOVE", { x: 123.5, y: 456, direction: "right" });
      await until(() => position(b, admin!.id)?.x === 123.5, 4000, "move seen by bob");
      assert.deepEqual(position(b, admin!.id), { x: 123.5, y: 456, direction: "right", action: "" });
      assert.deepEqual(await a.request("MOVE", { x: 0, y: 1000, direction: "up" }), { ok: true });
      await until(() => position(b, admin!.id)?.y === 1000, 4000, "second move");
      await sleep(50);
      assert.deepEqual(
        boxB.all.map((m) => m.type).filter((t) => t !== "USER_JOINED"),
        [],
        "movement rides the patch only",
      );
      await Promise.all([a.leave(), b.leave()]);
    });

    it("refuses invalid moves with INVALID_MESSAGE naming the field, changes nothing, keeps the client", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, { members: [bob!], width: 500, height: 400 });
      const a = await join(admin!, space.id, { x: 50, y: 60, direction: "up" });
      const b = await join(bob!, space.id);
      const box = inbox(a);
      const room = serverRoom(a);
      const before = JSON.stringify(room.state.toJSON());
      const cases: Array<[unknown, string]> = [
        [{ x: NaN, y: 1, direction: "up" }, "x"],
        [{ x: Infinity, y: 1, direction: "up" }, "x"],
        [{ x: 1, y: -Infinity, direction: "up" }, "y"],
        [{ x: "10", y: 1, direction: "up" }, "x"],
        [{ x: 1, y: "1", direction: "up" }, "y"],
        [{ x: 501, y: 1, direction: "up" }, "x"],
        [{ x: -1, y: 1, direction: "up" }, "x"],
        [{ x: 1, y: 400.5, direction: "up" }, "y"],
        [{ x: 1, y: 1, direction: "north" }, "direction"],
        [{ x: 1, y: 1, direction: 3 }, "direction"],
        [{ x: 1, y: 1 }, "direction"],
        [{ y: 1, direction: "up" }, "x"],
        [{}, "x"],
        [undefined, "payload"],
        ["up", "payload"],
        [[1, 2], "payload"],
      ];
      for (const [payload, field] of cases) {
        a.send("MOVE", payload);
        const err = await box.next("error");
        assert.equal(err.code, "INVALID_MESSAGE", JSON.stringify(payload));
        assert.equal(err.type, "MOVE");
        assert.match(err.message, new RegExp(`^${field}: `), `${JSON.stringify(payload)} → ${err.message}`);
        const rejected = await refusal(a.request("MOVE", payload));
        assert.equal(rejected.code, "INVALID_MESSAGE");
        assert.match(rejected.message, new RegExp(`^${field}: `));
      }
      await sleep(50);
      assert.equal(JSON.stringify(room.state.toJSON()), before, "state unchanged");
      assert.deepEqual(position(b, admin!.id), { x: 50, y: 60, direction: "up", action: "" });
      assert.ok(a.connection.isOpen, "still connected");
      assert.deepEqual(await a.request("ping").then((r: any) => typeof r.t), "number");
      await Promise.all([a.leave(), b.leave()]);
    });

    it("has its own rate-limit bucket: excess moves are dropped, one RATE_LIMITED a second, general budget untouched", async () => {
      const admin = await createUser();
      const space = await makeSpace(admin);
      const a = await join(admin, space.id);
      const box = inbox(a);
      const { MOVE_RATE_LIMIT_BURST } = ctx().config;
      const flood = MOVE_RATE_LIMIT_BURST + 200;
      for (let i = 1; i <= flood; i++) a.send("MOVE", { x: i, y: 1, direction: "up" });
      a.send("ping");
      await box.next("pong");
      await sleep(100);
      const limited = box.of("error").filter((e) => e.code === "RATE_LIMITED");
      assert.equal(limited.length, 1, "at most one RATE_LIMITED in the second");
      assert.equal(limited[0].type, "MOVE");
      const x = serverRoom(a).state.users.get(admin.id)!.x;
      assert.ok(x >= MOVE_RATE_LIMIT_BURST && x < flood, `the burst moved, later moves were dropped (x=${x})`);
      assert.ok(a.connection.isOpen);
      // The general budget was not spent by the moves.
      for (let i = 0; i < 20; i++) a.send("ping");
      await until(() => box.of("pong").length >= 21, 4000, "pongs");
      assert.equal(box.of("error").filter((e) => e.type === "ping").length, 0);
      await a.leave();
    });
  });

  describe("ACTION and CHAT", () => {
    it("ACTION sets the avatar's action in state and is broadcast", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, { members: [bob!] });
      const a = await join(admin!, space.id);
      const b = await join(bob!, space.id);
      const boxB = inbox(b);
      a.send("ACTION", { action: "wave" });
      const event = await boxB.next("ACTION");
      assert.deepEqual(
        { ...event, seq: undefined },
        { spaceId: space.id, userId: admin!.id, username: admin!.username, action: "wave", seq: undefined },
      );
      await until(() => position(b, admin!.id)?.action === "wave", 4000, "action in state");

      const box = inbox(a);
      for (const bad of [{ action: "x".repeat(33) }, { action: 7 }, {}, null]) {
        a.send("ACTION", bad);
        const err = await box.next("error");
        assert.equal(err.code, "INVALID_MESSAGE");
        assert.match(err.message, /action|payload/);
      }
      await sleep(50);
      assert.equal(serverRoom(a).state.users.get(admin!.id)!.action, "wave");
      await Promise.all([a.leave(), b.leave()]);
    });

    it("CHAT is broadcast with spaceId, userId, username, text and timestamp", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, { members: [bob!] });
      const a = await join(admin!, space.id);
      const b = await join(bob!, space.id);
      const [boxA, boxB] = [inbox(a), inbox(b)];
      a.send("CHAT", { text: "  hello there  " });
      for (const box of [boxA, boxB]) {
        const chat = await box.next("CHAT");
        assert.equal(chat.spaceId, space.id);
        assert.equal(chat.userId, admin!.id);
        assert.equal(chat.username, admin!.username);
        assert.equal(chat.text, "hello there");
        assert.ok(!Number.isNaN(Date.parse(chat.timestamp)));
      }
      await Promise.all([a.leave(), b.leave()]);
    });

    it("refuses a 10 kB chat, an empty one and a wrong type, broadcasting nothing", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, { members: [bob!] });
      const a = await join(admin!, space.id);
      const b = await join(bob!, space.id);
      const [boxA, boxB] = [inbox(a), inbox(b)];
      for (const bad of [{ text: "x".repeat(10_000) }, { text: "x".repeat(501) }, { text: "   " }, { text: 5 }, {}]) {
        a.send("CHAT", bad);
        const err = await boxA.next("error");
        assert.equal(err.code, "INVALID_MESSAGE");
        assert.match(err.message, /^text: /);
      }
      a.send("CHAT", { text: "x".repeat(500) });
      assert.equal((await boxB.next("CHAT")).text.length, 500);
      assert.equal(boxB.of("CHAT").length, 1);
      assert.ok(a.connection.isOpen);
      await Promise.all([a.leave(), b.leave()]);
    });

    it("answers an unknown message with UNKNOWN_MESSAGE", async () => {
      const admin = await createUser();
      const space = await makeSpace(admin);
      const a = await join(admin, space.id);
      const box = inbox(a);
      a.send("TELEPORT", { x: 1 });
      assert.equal((await box.next("error")).code, "UNKNOWN_MESSAGE");
      await a.leave();
    });
  });

  it("broadcasts USER_LEFT and removes the avatar when a member leaves", async () => {
    const [admin, bob] = await createUsers(2);
    const space = await makeSpace(admin!, { members: [bob!] });
    const a = await join(admin!, space.id);
    const b = await join(bob!, space.id);
    const box = inbox(a);
    await b.leave();
    const left = await box.next("USER_LEFT");
    assert.equal(left.spaceId, space.id);
    assert.equal(left.userId, bob!.id);
    await until(() => !a.state.users.has(bob!.id), 4000, "bob gone from state");
    await a.leave();
  });

  it("keeps a dropped member's seat and avatar (counted against capacity) until they reconnect", async () => {
    const [admin, bob, carol] = await createUsers(3);
    const space = await makeSpace(admin!, { capacity: 2, members: [bob!, carol!] });
    const a = await join(admin!, space.id);
    const b = await join(bob!, space.id, { x: 7, y: 8, direction: "right" });
    const box = inbox(a);
    await until(() => position(a, bob!.id), 4000, "bob in alice's state");
    b.reconnection.enabled = false;
    await b.leave(false);
    await until(() => serverRoom(a).clients.length === 1, 4000, "bob dropped");
    assert.deepEqual(position(a, bob!.id), { x: 7, y: 8, direction: "right", action: "" }, "avatar kept");
    assert.deepEqual((await refusal(join(carol!, space.id))).code, 409, "the held seat still counts");
    assert.deepEqual((await refusal(join(bob!, space.id))).code, 409, "no second seat while one is held");

    const back = await sdk(bob!.token).reconnect(b.reconnectionToken);
    back.send("MOVE", { x: 9, y: 9, direction: "up" });
    await until(() => position(a, bob!.id)?.x === 9, 4000, "moves after reconnecting");
    assert.equal(box.of("USER_LEFT").length, 0, "a drop is not a leave");
    await back.leave();
    assert.equal((await box.next("USER_LEFT")).userId, bob!.id);
    await a.leave();
  });

  describe("invites as room messages", () => {
    it("SEND_INVITE, GET_USERS, GET_INVITES, ACCEPT_INVITE reply with the REST data", async () => {
      const [admin, bob] = await createUsers(2);
      await befriend(admin!, bob!); // the invitable list holds friends only (issue 14)
      const space = await makeSpace(admin!);
      const a = await join(admin!, space.id);

      const users = await a.request("GET_USERS");
      assert.deepEqual(
        users.users.map((u: any) => u.id),
        [bob!.id],
      );
      assert.equal(users.count, 1);

      const sent = await a.request("SEND_INVITE", { toUserId: bob!.id });
      assert.equal(sent.invite.toUser.id, bob!.id);
      assert.deepEqual(sent.invite.fromUser, { id: admin!.id, username: admin!.username });
      assert.deepEqual(sent.invite.space, { id: space.id, name: "Plaza" });

      // Bob accepts from inside another space of his own.
      const bobSpace = await makeSpace(bob!);
      const b = await join(bob!, bobSpace.id);
      const mine = await b.request("GET_INVITES");
      assert.deepEqual(
        mine.invites.map((i: any) => i.id),
        [sent.invite.id],
      );
      assert.equal(mine.count, 1);
      assert.deepEqual(await b.request("ACCEPT_INVITE", { notificationId: sent.invite.id }), {
        space: { id: space.id, name: "Plaza" },
      });
      assert.deepEqual((await b.request("GET_INVITES", { includeExpired: true })).invites, []);

      const inSpace = await join(bob!, space.id);
      await until(() => a.state.users.has(bob!.id), 4000, "bob present");
      await Promise.all([a.leave(), b.leave(), inSpace.leave()]);
    });

    it("DECLINE_INVITE answers the invite", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!);
      const a = await join(admin!, space.id);
      const sent = await a.request("SEND_INVITE", { toUserId: bob!.id, spaceId: space.id });
      const b = await join(bob!, (await makeSpace(bob!)).id);
      assert.deepEqual(await b.request("DECLINE_INVITE", { notificationId: sent.invite.id }), {
        space: { id: space.id, name: "Plaza" },
      });
      const again = await refusal(b.request("ACCEPT_INVITE", { notificationId: sent.invite.id }));
      assert.equal(again.code, "INVITATION_NOT_PENDING");
      await Promise.all([a.leave(), b.leave()]);
    });

    it("rejects with the contract's code and message, and refuses bad payloads", async () => {
      const [admin, member, bob, eve] = await createUsers(4);
      const space = await makeSpace(admin!, { capacity: 2, members: [member!] });
      const m = await join(member!, space.id);
      const box = inbox(m);

      const already = await refusal(m.request("SEND_INVITE", { toUserId: admin!.id }));
      assert.deepEqual(already, { code: "ALREADY_MEMBER", message: "User is already a member of this space" });
      const full = await refusal(m.request("SEND_INVITE", { toUserId: bob!.id }));
      assert.deepEqual(full, { code: "SPACE_FULL", message: "Space is full" });
      const notFound = await refusal(
        m.request("ACCEPT_INVITE", { notificationId: "00000000-0000-4000-8000-000000000000" }),
      );
      assert.deepEqual(notFound, { code: "INVITATION_NOT_FOUND", message: "Invite not found" });

      const otherSpace = await makeSpace(eve!);
      const wrongSpace = await refusal(m.request("SEND_INVITE", { toUserId: bob!.id, spaceId: otherSpace.id }));
      assert.equal(wrongSpace.code, "INVALID_MESSAGE");
      assert.match(wrongSpace.message, /spaceId/);
      for (const [type, payload, field] of [
        ["SEND_INVITE", {}, /toUserId/],
        ["SEND_INVITE", { toUserId: "bob" }, /toUserId/],
        ["ACCEPT_INVITE", { notificationId: 5 }, /notificationId/],
        ["DECLINE_INVITE", {}, /notificationId/],
        ["GET_INVITES", { includeExpired: "yes" }, /includeExpired/],
        ["GET_USERS", { limit: 0 }, /limit/],
      ] as const) {
        const err = await refusal(m.request(type, payload));
        assert.equal(err.code, "INVALID_MESSAGE", `${type} ${JSON.stringify(payload)}`);
        assert.match(err.message, field);
      }
      // The same failure sent with room.send is an `error` event to the sender only.
      m.send("SEND_INVITE", { toUserId: bob!.id });
      const err = await box.next("error");
      assert.deepEqual(
        { code: err.code, message: err.message, type: err.type },
        { code: "SPACE_FULL", message: "Space is full", type: "SEND_INVITE" },
      );
      assert.equal((await ctx().db.query("SELECT 1 FROM notifications")).rows.length, 0, "no invite stored");
      assert.ok(m.connection.isOpen);
      await m.leave();
    });

    it("SEND_INVITE from the room reaches the invitee's lobby as INVITE_RECEIVED", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!);
      const lobby = await sdk(bob!.token).joinOrCreate("user_lobby");
      const lobbyBox = inbox(lobby);
      const a = await join(admin!, space.id);
      const sent = await a.request("SEND_INVITE", { toUserId: bob!.id });
      const received = await lobbyBox.next("INVITE_RECEIVED");
      assert.equal(received.invite.id, sent.invite.id);
      assert.deepEqual(received.invite.space, { id: space.id, name: "Plaza" });
      await Promise.all([a.leave(), lobby.leave()]);
    });
  });
});
