import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { createUser } from "../helpers/users";
import { inbox, sleep } from "../helpers/room";

/** Friends over REST (docs/PROTOCOL.md §2). */

const friendshipCount = async () =>
  (await ctx().db.query("SELECT count(*)::int AS n FROM friendships")).rows[0].n as number;
const friendshipRows = async () =>
  (await ctx().db.query("SELECT id, requester_id, addressee_id, status FROM friendships ORDER BY id")).rows;

describe("REST friends", () => {
  it("request by username → listed incoming and outgoing → accept → both list each other", async () => {
    const alice = await createUser({ avatarUrl: "https://img.example/a.png" });
    const bob = await createUser();
    const req = await api("POST", "/api/friends/requests", {
      token: alice.token,
      body: { username: bob.username.toUpperCase() },
    });
    assert.equal(req.status, 201, "usernames match case-insensitively");
    assert.equal(req.body.status, "pending");
    assert.deepEqual(req.body.requester, {
      id: alice.id,
      username: alice.username,
      avatarUrl: "https://img.example/a.png",
    });
    assert.deepEqual(req.body.addressee, { id: bob.id, username: bob.username, avatarUrl: null });
    assert.equal(req.body.acceptedAt, null);

    const incoming = await api("GET", "/api/friends/requests?direction=incoming", { token: bob.token });
    assert.deepEqual(
      incoming.body.items.map((r: any) => r.id),
      [req.body.id],
    );
    const outgoing = await api("GET", "/api/friends/requests?direction=outgoing", { token: alice.token });
    assert.deepEqual(
      outgoing.body.items.map((r: any) => r.id),
      [req.body.id],
    );
    assert.deepEqual(
      (await api("GET", "/api/friends/requests?direction=incoming", { token: alice.token })).body.items,
      [],
    );
    assert.deepEqual(
      (await api("GET", "/api/friends", { token: alice.token })).body.items,
      [],
      "not friends until accepted",
    );

    const accepted = await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: bob.token });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.id, req.body.id, "the request and the friendship share one id");
    assert.equal(accepted.body.status, "accepted");
    assert.ok(accepted.body.acceptedAt);

    const alices = await api("GET", "/api/friends", { token: alice.token });
    assert.deepEqual(alices.body, {
      items: [
        {
          friendshipId: req.body.id,
          user: { id: bob.id, username: bob.username, avatarUrl: null },
          online: false,
          lastSeenAt: null,
        },
      ],
      nextCursor: null,
    });
    const bobs = await api("GET", "/api/friends", { token: bob.token });
    assert.deepEqual(bobs.body.items[0].user, {
      id: alice.id,
      username: alice.username,
      avatarUrl: "https://img.example/a.png",
    });
    assert.deepEqual(
      (await api("GET", "/api/friends/requests?direction=incoming", { token: bob.token })).body.items,
      [],
    );
  });

  it("lists a friend as online while they have a lobby open", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
    await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: bob.token });
    // The join resolves after the lobby marked bob online.
    const lobby = await sdk(bob.token).joinOrCreate("user_lobby");
    let friends = await api("GET", "/api/friends", { token: alice.token });
    assert.equal(friends.body.items[0].online, true);
    await lobby.leave();
    for (let i = 0; i < 100 && (await ctx().delivery.isOnline(bob.id)); i++) await sleep(20);
    friends = await api("GET", "/api/friends", { token: alice.token });
    assert.equal(friends.body.items[0].online, false);
  });

  it("accepting tells both lobbies (friends_changed), which reload their friends", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const lobby = await sdk(alice.token).joinOrCreate("user_lobby");
    const box = inbox(lobby);
    const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
    await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: bob.token });
    assert.equal((await box.next("friends_changed")).friendshipId, req.body.id);
    assert.equal(lobby.state.friends.get(bob.id)?.username, bob.username);
  });

  describe("refusals (and nothing changes)", () => {
    it("yourself → 400, an unknown user → 404", async () => {
      const alice = await createUser();
      const self = await api("POST", "/api/friends/requests", {
        token: alice.token,
        body: { username: alice.username },
      });
      assert.equal(self.status, 400);
      assert.equal(self.body.code, "INVALID_REQUEST");
      assert.match(self.body.error, /yourself/);
      const unknown = await api("POST", "/api/friends/requests", {
        token: alice.token,
        body: { username: "nobody_here" },
      });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, { status: "failed", error: "User not found", code: "NOT_FOUND" });
      assert.equal(await friendshipCount(), 0);
    });

    it("a pending request either way, or an existing friendship → 409 CONFLICT", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
      for (const [from, to] of [
        [alice, bob],
        [bob, alice],
      ] as const) {
        const again = await api("POST", "/api/friends/requests", {
          token: from.token,
          body: { username: to.username },
        });
        assert.equal(again.status, 409);
        assert.equal(again.body.code, "CONFLICT");
        assert.match(again.body.error, /pending/);
      }
      await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: bob.token });
      const friends = await api("POST", "/api/friends/requests", {
        token: bob.token,
        body: { username: alice.username },
      });
      assert.equal(friends.status, 409);
      assert.match(friends.body.error, /already friends/);
      assert.equal(await friendshipCount(), 1);
    });

    it("concurrent requests in both directions store one", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const results = await Promise.all([
        api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } }),
        api("POST", "/api/friends/requests", { token: bob.token, body: { username: alice.username } }),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
      assert.equal(await friendshipCount(), 1);
    });

    it("only the addressee may accept: the requester, a stranger, an unknown or malformed id → 404", async () => {
      const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
      const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
      const before = await friendshipRows();
      for (const [token, id] of [
        [alice.token, req.body.id],
        [mallory.token, req.body.id],
        [bob.token, crypto.randomUUID()],
        [bob.token, "not-a-uuid"],
      ]) {
        const res = await api("POST", `/api/friends/requests/${id}/accept`, { token });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, { status: "failed", error: "Friend request not found", code: "NOT_FOUND" });
      }
      assert.deepEqual(await friendshipRows(), before);
      // Accepting twice: the second is a conflict.
      assert.equal(
        (await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: bob.token })).status,
        200,
      );
      const twice = await api("POST", `/api/friends/requests/${req.body.id}/accept`, { token: bob.token });
      assert.equal(twice.status, 409);
      assert.equal(twice.body.code, "CONFLICT");
    });

    const badBodies: Array<[string, unknown, RegExp]> = [
      ["missing username", {}, /username/],
      ["a wrong type", { username: 42 }, /username/],
      ["an empty username", { username: "  " }, /username/],
      ["a huge username", { username: "u".repeat(10_000) }, /username/],
      ["an unknown field", { username: "bob", userId: crypto.randomUUID() }, /userId|Unrecognized/i],
      ["an array body", ["bob"], /payload|expected object/],
    ];
    for (const [name, body, field] of badBodies) {
      it(`POST /api/friends/requests with ${name} → 400 naming the field`, async () => {
        const alice = await createUser();
        const res = await api("POST", "/api/friends/requests", { token: alice.token, body });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
        assert.equal(await friendshipCount(), 0);
      });
    }

    it("a bad direction → 400; no token → 401 on every route", async () => {
      const alice = await createUser();
      const bad = await api("GET", "/api/friends/requests?direction=sideways", { token: alice.token });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /direction/);
      for (const [method, path] of [
        ["GET", "/api/friends"],
        ["GET", "/api/friends/requests"],
        ["POST", "/api/friends/requests"],
        ["POST", `/api/friends/requests/${crypto.randomUUID()}/accept`],
      ]) {
        const res = await api(method!, path!, { body: method === "POST" ? { username: "x" } : undefined });
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.equal(res.body.code, "UNAUTHORIZED");
      }
      assert.equal(await friendshipCount(), 0);
    });
  });
});
