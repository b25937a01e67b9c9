import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { ctx, sdk, type Room } from "../helpers/server";
import { befriend, createUser, createUsers, type TestUser } from "../helpers/users";
import { inbox, refusal, until } from "../helpers/room";

/** Space membership and settings (issue 18) and the invite rules of issue 14, over real HTTP and SDK clients. */

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

const send = (from: TestUser, to: TestUser, spaceId: string) =>
  api("POST", "/metaverse/invites/send", { token: from.token, body: { toUserId: to.id, spaceId } });
const memberIds = async (spaceId: string) =>
  (await ctx().db.query<{ user_id: string }>("SELECT user_id FROM space_members WHERE space_id = $1", [spaceId])).rows
    .map((r) => r.user_id)
    .sort();
const spaceCount = async (id: string) => (await ctx().db.query("SELECT 1 FROM spaces WHERE id = $1", [id])).rows.length;

function expectFailure(res: { status: number; body: any }, status: number, code: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual([res.body.status, res.body.code], ["failed", code]);
}

/** Join the space room and wait for the state; resolves the close code when the seat is closed. */
async function seat(user: TestUser, spaceId: string): Promise<{ room: Room; closed: Promise<number> }> {
  const room = await sdk(user.token).joinOrCreate("space", { spaceId });
  const closed = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
  await until(() => room.state?.users?.has?.(user.id), 4000, "seated");
  return { room, closed };
}

async function withBudget<T>(perMinute: number, fn: () => Promise<T>): Promise<T> {
  const before = ctx().config.INVITES_PER_MINUTE;
  ctx().config.INVITES_PER_MINUTE = perMinute;
  try {
    return await fn();
  } finally {
    ctx().config.INVITES_PER_MINUTE = before;
  }
}

describe("space membership and settings", () => {
  describe("GET /api/spaces/:id/members", () => {
    it("lists members with role and online flag, paged, to members only", async () => {
      const [admin, bob, carol, stranger] = await createUsers(4);
      const space = await makeSpace(admin!, 10, [bob!, carol!]);
      const lobby = await sdk(bob!.token).joinOrCreate("user_lobby");
      try {
        await until(async () => ctx().delivery.isOnline(bob!.id), 4000, "bob online");
        const first = await api("GET", `/api/spaces/${space.id}/members?limit=2`, { token: carol!.token });
        assert.equal(first.status, 200);
        assert.equal(first.body.items.length, 2);
        assert.equal(typeof first.body.nextCursor, "string");
        const rest = await api("GET", `/api/spaces/${space.id}/members?limit=2&cursor=${first.body.nextCursor}`, {
          token: carol!.token,
        });
        assert.equal(rest.body.items.length, 1);
        assert.equal(rest.body.nextCursor, null);
        const all = [...first.body.items, ...rest.body.items];
        assert.deepEqual(
          all.map((m: any) => m.username),
          [admin!, bob!, carol!].map((u) => u.username).sort(),
        );
        const byId = new Map(all.map((m: any) => [m.userId, m]));
        assert.equal(byId.get(admin!.id).role, "admin");
        assert.equal(byId.get(bob!.id).role, "member");
        assert.equal(byId.get(bob!.id).online, true);
        assert.equal(byId.get(carol!.id).online, false);
      } finally {
        await lobby.leave();
      }
      expectFailure(await api("GET", `/api/spaces/${space.id}/members`, { token: stranger!.token }), 403, "NO_ACCESS");
      expectFailure(
        await api("GET", `/api/spaces/${space.id}/members?limit=101`, { token: bob!.token }),
        400,
        "INVALID_REQUEST",
      );
      expectFailure(
        await api("GET", `/api/spaces/${space.id}/members?cursor=junk`, { token: bob!.token }),
        400,
        "INVALID_REQUEST",
      );
    });
  });

  describe("leaving", () => {
    it("lets a member leave (their live seat is closed); the last admin cannot leave while others remain", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, 10, [bob!]);
      const { closed } = await seat(bob!, space.id);
      expectFailure(
        await api("DELETE", `/api/spaces/${space.id}/members/me`, { token: admin!.token }),
        409,
        "LAST_ADMIN",
      );
      assert.deepEqual(await memberIds(space.id), [admin!.id, bob!.id].sort());
      assert.equal((await api("DELETE", `/api/spaces/${space.id}/members/me`, { token: bob!.token })).status, 204);
      assert.equal(await closed, 4403);
      assert.deepEqual(await memberIds(space.id), [admin!.id]);
      // Alone, the admin may leave: the empty space is deleted.
      assert.equal((await api("DELETE", `/api/spaces/${space.id}/members/me`, { token: admin!.token })).status, 204);
      assert.equal(await spaceCount(space.id), 0);
    });
  });

  describe("removal", () => {
    it("closes the removed member's live seat with REMOVED and 4403, and refuses their next join with 403", async () => {
      const [admin, bob, carol] = await createUsers(3);
      const space = await makeSpace(admin!, 10, [bob!, carol!]);
      const bobSeat = await seat(bob!, space.id);
      const bobBox = inbox(bobSeat.room);
      const carolSeat = await seat(carol!, space.id);
      const carolBox = inbox(carolSeat.room);

      const res = await api("DELETE", `/api/spaces/${space.id}/members/${bob!.id}`, { token: admin!.token });
      assert.equal(res.status, 204);
      const removed = await bobBox.next("REMOVED");
      assert.deepEqual([removed.spaceId, removed.reason], [space.id, "removed"]);
      assert.equal(await bobSeat.closed, 4403);
      await carolBox.next("USER_LEFT", 4000, (e) => e.userId === bob!.id);
      assert.equal((await refusal(sdk(bob!.token).joinOrCreate("space", { spaceId: space.id }))).code, 403);
      assert.deepEqual(await memberIds(space.id), [admin!.id, carol!.id].sort());
    });

    it("refuses removing a non-member (404 NOT_SPACE_MEMBER) and removal by a non-admin (403), changing nothing", async () => {
      const [admin, bob, stranger] = await createUsers(3);
      const space = await makeSpace(admin!, 10, [bob!]);
      const del = (who: TestUser, id: string) =>
        api("DELETE", `/api/spaces/${space.id}/members/${id}`, { token: who.token });
      expectFailure(await del(admin!, stranger!.id), 404, "NOT_SPACE_MEMBER");
      expectFailure(await del(bob!, admin!.id), 403, "FORBIDDEN");
      expectFailure(await del(stranger!, bob!.id), 403, "NO_ACCESS");
      expectFailure(await del(admin!, "nope"), 400, "INVALID_REQUEST");
      assert.deepEqual(await memberIds(space.id), [admin!.id, bob!.id].sort());
    });
  });

  describe("roles", () => {
    it("promotes and demotes; the last admin cannot step down while others remain", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, 10, [bob!]);
      const patch = (who: TestUser, id: string, role: string) =>
        api("PATCH", `/api/spaces/${space.id}/members/${id}`, { token: who.token, body: { role } });
      expectFailure(await patch(admin!, admin!.id, "member"), 409, "LAST_ADMIN");
      expectFailure(await patch(bob!, bob!.id, "admin"), 403, "FORBIDDEN");
      const promoted = await patch(admin!, bob!.id, "admin");
      assert.equal(promoted.status, 200);
      assert.deepEqual([promoted.body.userId, promoted.body.role], [bob!.id, "admin"]);
      assert.equal((await patch(bob!, admin!.id, "member")).body.role, "member");
      expectFailure(await patch(bob!, admin!.id, "owner"), 400, "INVALID_REQUEST");
    });
  });

  describe("settings", () => {
    it("changes name, capacity and bounds (admin); the live room takes them; capacity below the members is 409", async () => {
      const [admin, bob] = await createUsers(2);
      const space = await makeSpace(admin!, 10, [bob!]);
      const { room } = await seat(bob!, space.id);
      const box = inbox(room);
      const patch = (who: TestUser, body: unknown) =>
        api("PATCH", `/api/spaces/${space.id}`, { token: who.token, body });

      expectFailure(await patch(admin!, { capacity: 1 }), 409, "CAPACITY_BELOW_MEMBERS");
      expectFailure(await patch(bob!, { name: "Mine now" }), 403, "FORBIDDEN");
      expectFailure(await patch(admin!, {}), 400, "INVALID_REQUEST");
      expectFailure(await patch(admin!, { width: 0 }), 400, "INVALID_REQUEST");
      assert.equal((await ctx().services.spaces.get(space.id))!.capacity, 10);

      const res = await patch(admin!, { name: "Renamed", capacity: 2, width: 300, height: 200 });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.name, res.body.capacity, res.body.width, res.body.height], ["Renamed", 2, 300, 200]);
      const updated = await box.next("SPACE_UPDATED");
      assert.deepEqual(updated, {
        spaceId: space.id,
        name: "Renamed",
        capacity: 2,
        width: 300,
        height: 200,
        seq: updated.seq,
      });
      await until(() => room.state.name === "Renamed" && room.state.width === 300, 4000, "state updated");
      // The new bounds apply to moves at once.
      assert.equal((await refusal(room.request("MOVE", { x: 299, y: 250, direction: "up" }))).code, "INVALID_MESSAGE");
    });
  });

  describe("deletion", () => {
    it("closes live seats (4404), deletes the space and expires its pending invites", async () => {
      const [admin, bob, carol] = await createUsers(3);
      const space = await makeSpace(admin!, 10, [bob!]);
      const invite = await send(admin!, carol!, space.id);
      assert.equal(invite.status, 201);
      const { room, closed } = await seat(bob!, space.id);
      const box = inbox(room);
      expectFailure(await api("DELETE", `/api/spaces/${space.id}`, { token: bob!.token }), 403, "FORBIDDEN");
      assert.equal((await api("DELETE", `/api/spaces/${space.id}`, { token: admin!.token })).status, 204);
      await box.next("SPACE_DELETED");
      assert.equal(await closed, 4404);
      assert.equal(await spaceCount(space.id), 0);
      const accept = await api("POST", `/metaverse/invites/${invite.body.data.invite.id}/accept`, {
        token: carol!.token,
      });
      expectFailure(accept, 410, "INVITE_EXPIRED");
    });
  });
});

describe("space invites: duplicates, budget, the invitable list and the answer to the sender", () => {
  it("refuses a second pending invite for the same space and invitee with 409 DUPLICATE_INVITATION", async () => {
    const [admin, bob] = await createUsers(2);
    const space = await makeSpace(admin!);
    const first = await send(admin!, bob!, space.id);
    assert.equal(first.status, 201);
    expectFailure(await send(admin!, bob!, space.id), 409, "DUPLICATE_INVITATION");
    const racing = await Promise.all([1, 2, 3].map(() => send(admin!, bob as TestUser, space.id)));
    assert.ok(racing.every((r) => r.status === 409));
    const n = await ctx().db.query("SELECT 1 FROM notifications WHERE kind = 'space_invite' AND user_id = $1", [
      bob!.id,
    ]);
    assert.equal(n.rows.length, 1);
    // Once answered, a new invite may be sent.
    await api("POST", `/metaverse/invites/${first.body.data.invite.id}/decline`, { token: bob!.token });
    assert.equal((await send(admin!, bob!, space.id)).status, 201);
  });

  it("spends the sender's invite budget (INVITES_PER_MINUTE): beyond it, 429 RATE_LIMITED and nothing stored", async () => {
    const [admin, ...invitees] = await createUsers(4);
    const space = await makeSpace(admin!);
    const results = await withBudget(2, () => Promise.all(invitees.map((u) => send(admin!, u, space.id))));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expectFailure(refused, 429, "RATE_LIMITED");
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const n = await ctx().db.query("SELECT 1 FROM notifications WHERE kind = 'space_invite'");
    assert.equal(n.rows.length, 2);
  });

  it("lists only the caller's friends (not members), plus one user by exact username, paged", async () => {
    const admin = await createUser({ username: "inv_admin" });
    const [f1, f2, f3] = [
      await createUser({ username: "inv_f1" }),
      await createUser({ username: "inv_f2" }),
      await createUser({ username: "inv_f3" }),
    ];
    const stranger = await createUser({ username: "inv_stranger" });
    const space = await makeSpace(admin, 10, [f3]);
    for (const f of [f1, f2, f3]) await befriend(admin, f);
    const list = (q: string) => api("GET", `/metaverse/invites/users/${space.id}${q}`, { token: admin.token });

    const all = await list("");
    assert.deepEqual(
      all.body.data.users.map((u: any) => u.username),
      ["inv_f1", "inv_f2"],
      "friends only, members excluded",
    );
    const page1 = await list("?limit=1");
    assert.deepEqual(
      page1.body.data.users.map((u: any) => u.username),
      ["inv_f1"],
    );
    const page2 = await list(`?limit=1&cursor=${page1.body.data.nextCursor}`);
    assert.deepEqual(
      page2.body.data.users.map((u: any) => u.username),
      ["inv_f2"],
    );
    assert.equal(page2.body.data.nextCursor, null);

    assert.deepEqual(
      (await list("?username=inv_stranger")).body.data.users.map((u: any) => u.id),
      [stranger.id],
    );
    assert.deepEqual((await list("?username=inv_str")).body.data.users, [], "exact only");
    assert.deepEqual((await list("?q=stranger")).body.data.users, [], "q narrows friends, never the directory");
  });

  it("tells the sender live (INVITE_ACCEPTED / INVITE_DECLINED on their lobby) and stores a notification", async () => {
    const [admin, bob, carol] = await createUsers(3);
    const space = await makeSpace(admin!);
    const lobby = await sdk(admin!.token).joinOrCreate("user_lobby");
    try {
      const box = inbox(lobby);
      const toBob = (await send(admin!, bob!, space.id)).body.data.invite.id;
      const toCarol = (await send(admin!, carol!, space.id)).body.data.invite.id;
      await api("POST", `/metaverse/invites/${toBob}/accept`, { token: bob!.token });
      const accepted = await box.next("INVITE_ACCEPTED");
      assert.deepEqual(accepted.invite, { id: toBob, space: { id: space.id, name: space.name }, outcome: "accepted" });
      assert.deepEqual(accepted.user, { id: bob!.id, username: bob!.username });
      await api("POST", `/metaverse/invites/${toCarol}/decline`, { token: carol!.token });
      const declined = await box.next("INVITE_DECLINED");
      assert.deepEqual(
        [declined.invite.id, declined.invite.outcome, declined.user.id],
        [toCarol, "declined", carol!.id],
      );

      const stored = await api("GET", "/api/notifications", { token: admin!.token });
      const kinds = stored.body.items.map((n: any) => n.kind ?? n.type);
      assert.ok(
        kinds.includes("space_invite_accepted") && kinds.includes("space_invite_declined"),
        JSON.stringify(kinds),
      );
    } finally {
      await lobby.leave();
    }
  });
});
