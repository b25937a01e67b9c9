import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { befriend, createUser, createUsers, type TestUser } from "../helpers/users";
import { inbox, until } from "../helpers/room";
import type { DeliveredEvent } from "../../src/realtime/delivery";
import type { ServiceDeps } from "../../src/services/deps";

const HOUR = 3_600_000;

async function makeSpace(owner: TestUser, capacity = 10, members: TestUser[] = []) {
  const space = await ctx().services.spaces.create(owner.id, { name: `Space ${capacity}`, capacity });
  for (const m of members) {
    await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
      space.id,
      m.id,
    ]);
  }
  return space;
}

const send = (from: TestUser, toUserId: string, spaceId: string) =>
  api("POST", "/metaverse/invites/send", { token: from.token, body: { toUserId, spaceId } });
const accept = (user: TestUser, id: string) => api("POST", `/metaverse/invites/${id}/accept`, { token: user.token });
const decline = (user: TestUser, id: string) => api("POST", `/metaverse/invites/${id}/decline`, { token: user.token });

async function invite(from: TestUser, to: TestUser, spaceId: string): Promise<string> {
  const res = await send(from, to.id, spaceId);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data.invite.id;
}

const memberIds = async (spaceId: string) =>
  (
    await ctx().db.query<{ user_id: string }>(
      "SELECT user_id FROM space_members WHERE space_id = $1 ORDER BY user_id",
      [spaceId],
    )
  ).rows.map((r) => r.user_id);
const inviteRows = async () =>
  (
    await ctx().db.query(
      "SELECT id, user_id, status, is_active, data, expires_at FROM notifications WHERE kind = 'space_invite'",
    )
  ).rows;

/** Run `fn` with the services' clock set to `at` (the deps object is shared by every service). */
async function atTime<T>(at: Date, fn: () => Promise<T>): Promise<T> {
  const deps = (ctx().services.spaces as unknown as { deps: ServiceDeps }).deps;
  const real = deps.now;
  deps.now = () => at;
  try {
    return await fn();
  } finally {
    deps.now = real;
  }
}

function expectFailure(res: { status: number; body: any }, status: number, code: string, error?: string | RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.status, "failed");
  assert.equal(res.body.code, code);
  if (typeof error === "string") assert.equal(res.body.error, error);
  else if (error) assert.match(res.body.error, error);
}

describe("REST /metaverse/invites", () => {
  describe("send", () => {
    it("stores the invite as an `invites` notification and answers in the product's envelope", async () => {
      const [admin, bob] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const before = Date.now();
      const res = await send(admin, bob.id, space.id);
      assert.equal(res.status, 201);
      const { invite } = res.body.data;
      assert.deepEqual(res.body, {
        status: "success",
        message: "Invite sent successfully",
        data: {
          invite: {
            id: invite.id,
            toUser: { id: bob.id, username: bob.username },
            fromUser: { id: admin.id, username: admin.username },
            space: { id: space.id, name: space.name },
            expiresAt: invite.expiresAt,
          },
        },
      });
      const expiresIn = Date.parse(invite.expiresAt) - before;
      assert.ok(expiresIn >= 24 * HOUR - 5_000 && expiresIn <= 24 * HOUR + 5_000, `expires in 24 h (${expiresIn} ms)`);

      const { rows } = await ctx().db.query("SELECT * FROM notifications WHERE id = $1", [invite.id]);
      const row = rows[0];
      assert.equal(row.user_id, bob.id);
      assert.equal(row.type, "invites");
      assert.equal(row.kind, "space_invite");
      assert.equal(row.status, "unread");
      assert.equal(row.is_active, true);
      assert.deepEqual(row.data, {
        spaceId: space.id,
        spaceName: space.name,
        fromUserId: admin.id,
        fromUsername: admin.username,
      });
      assert.equal(new Date(row.expires_at).toISOString(), invite.expiresAt);
      assert.equal(await ctx().services.notifications.unreadCount(bob.id), 1, "counts in the lobby's unread");
    });

    it("reads INVITE_EXPIRY_HOURS at call time and takes time from the injected clock", async () => {
      const [admin, bob] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const config = ctx().config;
      const hours = config.INVITE_EXPIRY_HOURS;
      config.INVITE_EXPIRY_HOURS = 2;
      try {
        const at = new Date("2030-01-01T00:00:00.000Z");
        const res = await atTime(at, () => send(admin, bob.id, space.id));
        assert.equal(res.body.data.invite.expiresAt, "2030-01-01T02:00:00.000Z");
      } finally {
        config.INVITE_EXPIRY_HOURS = hours;
      }
    });

    it("tells the invitee live: `notification` and INVITE_RECEIVED on the user's delivery channel", async () => {
      const [admin, bob] = [await createUser({ avatarUrl: "https://img.example/admin.png" }), await createUser()];
      const space = await makeSpace(admin);
      const events: DeliveredEvent[] = [];
      const off = await ctx().delivery.onUser(bob.id, (e) => events.push(e));
      try {
        const id = await invite(admin, bob, space.id);
        await until(() => events.length >= 2, 2000, "two delivered events");
        const received = events.find((e) => e.type === "INVITE_RECEIVED")!;
        assert.deepEqual(received.payload, {
          invite: {
            id,
            fromUser: { id: admin.id, username: admin.username },
            space: { id: space.id, name: space.name },
            expiresAt: (await ctx().services.notifications.get(id))!.expiresAt,
          },
        });
        const notification = events.find((e) => e.type === "notification")!;
        assert.equal(notification.payload.id, id);
        assert.equal(notification.payload.type, "space_invite");
        assert.equal(notification.payload.avatar, "https://img.example/admin.png");
        assert.equal(notification.payload.senderUsername, admin.username);
      } finally {
        off();
      }
    });

    it("arrives as INVITE_RECEIVED in the invitee's user_lobby, whose unread count follows it", async () => {
      const [admin, bob] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const lobby = await sdk(bob.token).joinOrCreate("user_lobby");
      try {
        const box = inbox(lobby);
        const id = await invite(admin, bob, space.id);
        const event = await box.next("INVITE_RECEIVED");
        assert.equal(event.invite.id, id);
        assert.deepEqual(event.invite.fromUser, { id: admin.id, username: admin.username });
        assert.deepEqual(event.invite.space, { id: space.id, name: space.name });
        assert.equal(typeof event.invite.expiresAt, "string");
        await until(() => lobby.state.unread === 1, 4000, "unread counts the invite");
        assert.equal((await accept(bob, id)).status, 200);
        await until(() => lobby.state.unread === 0, 4000, "an answered invite is read");
      } finally {
        await lobby.leave();
      }
    });

    it("lets members invite while the space has room, and admins even when it is full", async () => {
      const [admin, member, carol, dave] = await createUsers(4);
      const space = await makeSpace(admin!, 3, [member!]);
      assert.equal((await send(member!, carol!.id, space.id)).status, 201);
      await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
        space.id,
        carol!.id,
      ]);
      expectFailure(await send(member!, dave!.id, space.id), 409, "SPACE_FULL", "Space is full");
      assert.equal((await send(admin!, dave!.id, space.id)).status, 201);
    });

    it("refuses with the contract's strings, storing nothing", async () => {
      const [admin, member, stranger, target] = await createUsers(4);
      const space = await makeSpace(admin!, 10, [member!]);
      const unknownSpace = "00000000-0000-4000-8000-000000000000";
      expectFailure(await send(admin!, target!.id, unknownSpace), 404, "SPACE_NOT_FOUND", "Space not found");
      expectFailure(
        await send(stranger!, target!.id, space.id),
        403,
        "NO_ACCESS",
        "You do not have access to this space",
      );
      expectFailure(
        await send(admin!, member!.id, space.id),
        409,
        "ALREADY_MEMBER",
        "User is already a member of this space",
      );
      expectFailure(
        await send(admin!, admin!.id, space.id),
        409,
        "ALREADY_MEMBER",
        "User is already a member of this space",
      );
      expectFailure(await send(admin!, unknownSpace, space.id), 404, "NOT_FOUND", "User not found");
      assert.deepEqual(await inviteRows(), []);
    });

    describe("bad input: 400 INVALID_REQUEST naming the field", () => {
      const cases: Array<[string, (ids: { user: string; space: string }) => unknown, RegExp]> = [
        ["missing toUserId", ({ space }) => ({ spaceId: space }), /toUserId/],
        ["missing spaceId", ({ user }) => ({ toUserId: user }), /spaceId/],
        ["toUserId not a uuid", ({ space }) => ({ toUserId: "bob", spaceId: space }), /toUserId/],
        ["spaceId of the wrong type", ({ user }) => ({ toUserId: user, spaceId: 42 }), /spaceId/],
        ["huge toUserId", ({ space }) => ({ toUserId: "x".repeat(10_000), spaceId: space }), /toUserId/],
        [
          "unknown field",
          ({ user, space }) => ({ toUserId: user, spaceId: space, role: "admin" }),
          /role|Unrecognized/i,
        ],
        ["array body", () => [1], /payload|expected object/],
      ];
      for (const [name, body, field] of cases) {
        it(name, async () => {
          const [admin, bob] = [await createUser(), await createUser()];
          const space = await makeSpace(admin);
          const res = await api("POST", "/metaverse/invites/send", {
            token: admin.token,
            body: body({ user: bob.id, space: space.id }),
          });
          expectFailure(res, 400, "INVALID_REQUEST", field);
          assert.deepEqual(await inviteRows(), []);
        });
      }
    });
  });

  describe("accept", () => {
    it("makes the invitee a member and answers the invite, in one go", async () => {
      const [admin, bob] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const id = await invite(admin, bob, space.id);
      const res = await accept(bob, id);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        status: "success",
        message: "Invite accepted successfully",
        data: { space: { id: space.id, name: space.name } },
      });
      assert.deepEqual(await memberIds(space.id), [admin.id, bob.id].sort());
      const row = (await inviteRows())[0];
      assert.equal(row.is_active, false);
      assert.equal(row.status, "read");
      assert.equal(row.data.outcome, "accepted");
      const spaces = await api("GET", "/api/spaces", { token: bob.token });
      assert.deepEqual(
        spaces.body.items.map((s: any) => [s.id, s.role]),
        [[space.id, "member"]],
      );

      expectFailure(await accept(bob, id), 409, "INVITATION_NOT_PENDING");
    });

    it("is 404 'Invite not found' for an unknown invite and for someone else's", async () => {
      const [admin, bob, eve] = await createUsers(3);
      const space = await makeSpace(admin!);
      const id = await invite(admin!, bob!, space.id);
      expectFailure(await accept(eve!, id), 404, "INVITATION_NOT_FOUND", "Invite not found");
      expectFailure(await accept(admin!, id), 404, "INVITATION_NOT_FOUND", "Invite not found");
      expectFailure(
        await accept(bob!, "00000000-0000-4000-8000-000000000000"),
        404,
        "INVITATION_NOT_FOUND",
        "Invite not found",
      );
      expectFailure(await accept(bob!, "not-a-uuid"), 400, "INVALID_REQUEST", /notificationId/);
      assert.deepEqual(await memberIds(space.id), [admin!.id]);
      assert.equal((await inviteRows())[0].is_active, true);
    });

    it("checks capacity again: 409 'Space is full', nothing changes", async () => {
      const [admin, member, bob] = await createUsers(3);
      const space = await makeSpace(admin!, 2);
      const id = await invite(admin!, bob!, space.id);
      await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
        space.id,
        member!.id,
      ]);
      expectFailure(await accept(bob!, id), 409, "SPACE_FULL", "Space is full");
      assert.deepEqual(await memberIds(space.id), [admin!.id, member!.id].sort());
      assert.equal((await inviteRows())[0].is_active, true);
    });

    it("is 409 ALREADY_MEMBER when the invitee joined meanwhile", async () => {
      const [admin, bob] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const id = await invite(admin, bob, space.id);
      await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
        space.id,
        bob.id,
      ]);
      expectFailure(await accept(bob, id), 409, "ALREADY_MEMBER", "User is already a member of this space");
    });

    it("expires after INVITE_EXPIRY_HOURS (injected clock): 410 'Invite has expired'", async () => {
      const [admin, bob, carol] = await createUsers(3);
      const space = await makeSpace(admin!);
      const sentAt = new Date();
      const late = await atTime(sentAt, () => invite(admin!, bob!, space.id));
      const inTime = await atTime(sentAt, () => invite(admin!, carol!, space.id));

      const justAfter = new Date(sentAt.getTime() + 24 * HOUR);
      expectFailure(await atTime(justAfter, () => accept(bob!, late)), 410, "INVITE_EXPIRED", "Invite has expired");
      expectFailure(await atTime(justAfter, () => decline(bob!, late)), 410, "INVITE_EXPIRED", "Invite has expired");
      const justBefore = new Date(sentAt.getTime() + 24 * HOUR - 1);
      assert.equal((await atTime(justBefore, () => accept(carol!, inTime))).status, 200);
      assert.deepEqual(await memberIds(space.id), [admin!.id, carol!.id].sort());
    });

    it("never takes a space past its capacity when accepts race", async () => {
      // 12 invites from one admin: more than the default invite budget allows in a minute.
      const budget = ctx().config.INVITES_PER_MINUTE;
      ctx().config.INVITES_PER_MINUTE = 100;
      const admin = await createUser();
      const invitees = await createUsers(12);
      const space = await makeSpace(admin, 5);
      const ids = await Promise.all(invitees.map((u) => invite(admin, u, space.id))).finally(
        () => void (ctx().config.INVITES_PER_MINUTE = budget),
      );
      const results = await Promise.all(invitees.map((u, i) => accept(u, ids[i]!)));
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 4, JSON.stringify(statuses));
      for (const r of results.filter((r) => r.status !== 200)) expectFailure(r, 409, "SPACE_FULL", "Space is full");
      assert.equal((await memberIds(space.id)).length, 5);
      const answered = (await inviteRows()).filter((r: any) => !r.is_active);
      assert.equal(answered.length, 4, "only the winners' invites are answered");
    });
  });

  describe("decline", () => {
    it("answers the invite without making a member; it can no longer be accepted", async () => {
      const [admin, bob] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const id = await invite(admin, bob, space.id);
      const res = await decline(bob, id);
      assert.deepEqual(res.body, {
        status: "success",
        message: "Invite declined successfully",
        data: { space: { id: space.id, name: space.name } },
      });
      const row = (await inviteRows())[0];
      assert.equal(row.is_active, false);
      assert.equal(row.data.outcome, "declined");
      assert.deepEqual(await memberIds(space.id), [admin.id]);
      expectFailure(await accept(bob, id), 409, "INVITATION_NOT_PENDING");
      expectFailure(await decline(bob, id), 409, "INVITATION_NOT_PENDING");
    });

    it("is 404 'Invite not found' for someone else's invite", async () => {
      const [admin, bob, eve] = await createUsers(3);
      const space = await makeSpace(admin!);
      const id = await invite(admin!, bob!, space.id);
      expectFailure(await decline(eve!, id), 404, "INVITATION_NOT_FOUND", "Invite not found");
      expectFailure(await decline(eve!, "x"), 400, "INVALID_REQUEST", /notificationId/);
      assert.equal((await inviteRows())[0].is_active, true);
    });
  });

  describe("users/:spaceId", () => {
    it("lists users who are not members yet, with their avatar", async () => {
      const admin = await createUser({ username: "admin_a" });
      const member = await createUser({ username: "member_b" });
      const carol = await createUser({ username: "carol_c", avatarUrl: "https://img.example/carol.png" });
      const dave = await createUser({ username: "dave_d" });
      const space = await makeSpace(admin, 10, [member]);
      // Only friends are listed (issue 14): the same users, befriended.
      for (const friend of [carol, dave]) {
        await befriend(member, friend);
        await befriend(admin, friend);
      }
      await befriend(admin, member);
      const res = await api("GET", `/metaverse/invites/users/${space.id}`, { token: member.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, "success");
      assert.equal(res.body.data.count, 2);
      assert.deepEqual(res.body.data.users, [
        { id: carol.id, username: "carol_c", displayName: null, avatarUrl: "https://img.example/carol.png" },
        { id: dave.id, username: "dave_d", displayName: null, avatarUrl: null },
      ]);

      const filtered = await api("GET", `/metaverse/invites/users/${space.id}?q=DAVE`, { token: admin.token });
      assert.deepEqual(
        filtered.body.data.users.map((u: any) => u.id),
        [dave.id],
      );
      const limited = await api("GET", `/metaverse/invites/users/${space.id}?limit=1`, { token: admin.token });
      assert.deepEqual(
        limited.body.data.users.map((u: any) => u.id),
        [carol.id],
      );
      assert.equal(limited.body.data.count, 1);
    });

    it("refuses non-members, unknown spaces and bad input", async () => {
      const [admin, stranger] = [await createUser(), await createUser()];
      const space = await makeSpace(admin);
      const get = (path: string, user = admin) => api("GET", path, { token: user.token });
      expectFailure(
        await get(`/metaverse/invites/users/${space.id}`, stranger),
        403,
        "NO_ACCESS",
        "You do not have access to this space",
      );
      expectFailure(
        await get("/metaverse/invites/users/00000000-0000-4000-8000-000000000000"),
        404,
        "SPACE_NOT_FOUND",
        "Space not found",
      );
      expectFailure(await get("/metaverse/invites/users/nope"), 400, "INVALID_REQUEST", /spaceId/);
      expectFailure(await get(`/metaverse/invites/users/${space.id}?limit=0`), 400, "INVALID_REQUEST", /limit/);
      expectFailure(await get(`/metaverse/invites/users/${space.id}?limit=abc`), 400, "INVALID_REQUEST", /limit/);
      expectFailure(
        await get(`/metaverse/invites/users/${space.id}?q=${"q".repeat(100)}`),
        400,
        "INVALID_REQUEST",
        /q/,
      );
      expectFailure(
        await get(`/metaverse/invites/users/${space.id}?admin=1`),
        400,
        "INVALID_REQUEST",
        /admin|Unrecognized/i,
      );
      const anonymous = await api("GET", `/metaverse/invites/users/${space.id}`);
      expectFailure(anonymous, 401, "UNAUTHORIZED");
    });
  });

  describe("my-invites", () => {
    it("lists my pending invites; expired ones only with includeExpired=true", async () => {
      const [admin, bob, eve] = await createUsers(3);
      const [s1, s2, s3] = [await makeSpace(admin!, 5), await makeSpace(admin!, 6), await makeSpace(admin!, 7)];
      const sentAt = new Date();
      const old = await atTime(new Date(sentAt.getTime() - 25 * HOUR), () => invite(admin!, bob!, s1.id));
      const fresh = await atTime(sentAt, () => invite(admin!, bob!, s2.id));
      const answered = await invite(admin!, bob!, s3.id);
      await decline(bob!, answered);
      await invite(admin!, eve!, s1.id);

      const pending = await api("GET", "/metaverse/invites/my-invites", { token: bob!.token });
      assert.equal(pending.status, 200);
      assert.equal(pending.body.status, "success");
      assert.equal(pending.body.data.count, 1);
      const [only] = pending.body.data.invites;
      assert.equal(only.id, fresh);
      assert.deepEqual(only.fromUser, { id: admin!.id, username: admin!.username });
      assert.deepEqual(only.space, { id: s2.id, name: s2.name });
      assert.equal(only.expired, false);
      assert.equal(only.status, "unread");

      const all = await api("GET", "/metaverse/invites/my-invites?includeExpired=true", { token: bob!.token });
      assert.deepEqual(
        all.body.data.invites.map((i: any) => [i.id, i.expired]),
        [
          [fresh, false],
          [old, true],
        ],
      );
      assert.equal(all.body.data.count, 2);
      const explicitFalse = await api("GET", "/metaverse/invites/my-invites?includeExpired=false", {
        token: bob!.token,
      });
      assert.equal(explicitFalse.body.data.count, 1);
    });

    it("refuses a bad includeExpired and a missing token", async () => {
      const bob = await createUser();
      expectFailure(
        await api("GET", "/metaverse/invites/my-invites?includeExpired=maybe", { token: bob.token }),
        400,
        "INVALID_REQUEST",
        /includeExpired/,
      );
      expectFailure(await api("GET", "/metaverse/invites/my-invites"), 401, "UNAUTHORIZED");
    });
  });
});
