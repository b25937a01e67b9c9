import assert from "node:assert/strict";
import crypto from "node:crypto";
import { api } from "../helpers/http";
import { ctx } from "../helpers/server";
import { createUser, type TestUser } from "../helpers/users";

/** The notification center over REST (docs/PROTOCOL.md §2). */

async function notify(user: TestUser, message: string, createdAt?: string) {
  const n = await ctx().services.notifications.create({
    userId: user.id,
    type: "invites",
    kind: "game_invitation",
    title: "t",
    message,
  });
  if (createdAt) await ctx().db.query("UPDATE notifications SET created_at = $2 WHERE id = $1", [n.id, createdAt]);
  return n;
}

const statuses = async () =>
  new Map(
    (await ctx().db.query<{ id: string; status: string }>("SELECT id, status FROM notifications")).rows.map((r) => [
      r.id,
      r.status,
    ]),
  );

describe("REST notifications", () => {
  it("lists the caller's own notifications, newest first, filtered by status", async () => {
    const [bob, carol] = [await createUser(), await createUser()];
    const older = await notify(bob, "older", "2026-01-01T00:00:00Z");
    const newer = await notify(bob, "newer", "2026-01-02T00:00:00Z");
    await notify(carol, "not bob's");

    const all = await api("GET", "/api/notifications", { token: bob.token });
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.items.map((n: any) => n.id),
      [newer.id, older.id],
    );
    const item = all.body.items[0];
    for (const field of ["id", "type", "kind", "title", "message", "data", "status", "createdAt", "expiresAt"]) {
      assert.ok(field in item, field);
    }
    assert.equal(item.status, "unread");

    await api("POST", `/api/notifications/${older.id}/read`, { token: bob.token });
    const unread = await api("GET", "/api/notifications?status=unread", { token: bob.token });
    assert.deepEqual(
      unread.body.items.map((n: any) => n.id),
      [newer.id],
    );
    const read = await api("GET", "/api/notifications?status=read", { token: bob.token });
    assert.deepEqual(
      read.body.items.map((n: any) => n.id),
      [older.id],
    );
    const limited = await api("GET", "/api/notifications?limit=1", { token: bob.token });
    assert.equal(limited.body.items.length, 1);
  });

  it("marks one read or dismissed and returns it", async () => {
    const bob = await createUser();
    const n = await notify(bob, "hello");
    const read = await api("POST", `/api/notifications/${n.id}/read`, { token: bob.token });
    assert.equal(read.status, 200);
    assert.equal(read.body.id, n.id);
    assert.equal(read.body.status, "read");
    const dismissed = await api("POST", `/api/notifications/${n.id}/dismiss`, { token: bob.token });
    assert.equal(dismissed.body.status, "dismissed");
    const list = await api("GET", "/api/notifications?status=dismissed", { token: bob.token });
    assert.deepEqual(
      list.body.items.map((x: any) => x.id),
      [n.id],
    );
  });

  it("another user's, an unknown or a malformed id → 404, and nothing changes", async () => {
    const [bob, mallory] = [await createUser(), await createUser()];
    const n = await notify(bob, "private");
    const before = await statuses();
    for (const action of ["read", "dismiss"]) {
      for (const [token, id] of [
        [mallory.token, n.id],
        [bob.token, crypto.randomUUID()],
        [bob.token, "not-a-uuid"],
      ]) {
        const res = await api("POST", `/api/notifications/${id}/${action}`, { token });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, { status: "failed", error: "Notification not found", code: "NOT_FOUND" });
      }
    }
    assert.deepEqual(await statuses(), before);
    assert.deepEqual((await api("GET", "/api/notifications", { token: mallory.token })).body.items, []);
  });

  it("bad queries → 400 naming the field; no token → 401", async () => {
    const bob = await createUser();
    for (const [q, field] of [
      ["status=gone", /status/],
      ["limit=0", /limit/],
      ["limit=abc", /limit/],
      ["userId=x", /userId|Unrecognized/i],
    ] as const) {
      const res = await api("GET", `/api/notifications?${q}`, { token: bob.token });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.code, "INVALID_REQUEST");
      assert.match(res.body.error, field);
    }
    for (const [method, path] of [
      ["GET", "/api/notifications"],
      ["POST", `/api/notifications/${crypto.randomUUID()}/read`],
      ["POST", `/api/notifications/${crypto.randomUUID()}/dismiss`],
    ] as const) {
      assert.equal((await api(method, path)).status, 401, `${method} ${path}`);
    }
  });
});
