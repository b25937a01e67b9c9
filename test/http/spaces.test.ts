import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { ctx } from "../helpers/server";
import { createUser } from "../helpers/users";

const countSpaces = async () =>
  (await ctx().db.query<{ n: number }>("SELECT count(*)::int AS n FROM spaces")).rows[0]!.n;

describe("REST /api/spaces", () => {
  it("creates a space with default bounds; the creator is its admin and first member", async () => {
    const owner = await createUser();
    const res = await api("POST", "/api/spaces", { token: owner.token, body: { name: "  Plaza  ", capacity: 10 } });
    assert.equal(res.status, 201);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.name, "Plaza");
    assert.equal(res.body.capacity, 10);
    assert.equal(res.body.width, 1000);
    assert.equal(res.body.height, 1000);
    assert.equal(res.body.ownerId, owner.id);
    assert.equal(res.body.role, "admin");
    assert.equal(res.body.memberCount, 1);
    assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
    const { rows } = await ctx().db.query("SELECT user_id, role FROM space_members WHERE space_id = $1", [res.body.id]);
    assert.deepEqual(rows, [{ user_id: owner.id, role: "admin" }]);
  });

  it("takes width and height at creation", async () => {
    const owner = await createUser();
    const res = await api("POST", "/api/spaces", {
      token: owner.token,
      body: { name: "Hall", capacity: 2, width: 640, height: 480 },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.width, 640);
    assert.equal(res.body.height, 480);
  });

  it("lists only the spaces the caller is a member of, with role and member count", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const a = (await api("POST", "/api/spaces", { token: alice.token, body: { name: "A", capacity: 5 } })).body;
    const b = (await api("POST", "/api/spaces", { token: bob.token, body: { name: "B", capacity: 5 } })).body;

    const mine = await api("GET", "/api/spaces", { token: alice.token });
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.items.map((s: any) => s.id),
      [a.id],
    );

    await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
      b.id,
      alice.id,
    ]);
    const both = await api("GET", "/api/spaces", { token: alice.token });
    const byId = new Map(both.body.items.map((s: any) => [s.id, s]));
    assert.equal(both.body.items.length, 2);
    assert.equal((byId.get(a.id) as any).role, "admin");
    assert.equal((byId.get(b.id) as any).role, "member");
    assert.equal((byId.get(b.id) as any).memberCount, 2);

    const stranger = await createUser();
    assert.deepEqual((await api("GET", "/api/spaces", { token: stranger.token })).body, {
      items: [],
      nextCursor: null,
    });
  });

  it("requires a token", async () => {
    for (const [method, body] of [
      ["GET", undefined],
      ["POST", { name: "x", capacity: 1 }],
    ] as const) {
      const res = await api(method, "/api/spaces", { body });
      assert.equal(res.status, 401);
      assert.equal(res.body.status, "failed");
      assert.equal(res.body.code, "UNAUTHORIZED");
    }
    assert.equal(await countSpaces(), 0);
  });

  describe("bad input: 400 INVALID_REQUEST naming the field, nothing stored", () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["missing name", { capacity: 5 }, /name/],
      ["blank name", { name: "   ", capacity: 5 }, /name/],
      ["huge name", { name: "n".repeat(10_000), capacity: 5 }, /name/],
      ["name of the wrong type", { name: 42, capacity: 5 }, /name/],
      ["missing capacity", { name: "S" }, /capacity/],
      ["capacity 0", { name: "S", capacity: 0 }, /capacity/],
      ["capacity too large", { name: "S", capacity: 1001 }, /capacity/],
      ["fractional capacity", { name: "S", capacity: 2.5 }, /capacity/],
      ["capacity as a string", { name: "S", capacity: "5" }, /capacity/],
      ["width 0", { name: "S", capacity: 5, width: 0 }, /width/],
      ["height of the wrong type", { name: "S", capacity: 5, height: "big" }, /height/],
      [
        "unknown field",
        { name: "S", capacity: 5, ownerId: "00000000-0000-4000-8000-000000000000" },
        /ownerId|Unrecognized/i,
      ],
      ["array body", [1, 2], /payload|expected object/],
    ];
    for (const [name, body, field] of cases) {
      it(name, async () => {
        const owner = await createUser();
        const res = await api("POST", "/api/spaces", { token: owner.token, body });
        assert.equal(res.status, 400);
        assert.equal(res.body.status, "failed");
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
        assert.equal(await countSpaces(), 0);
      });
    }

    it("malformed JSON", async () => {
      const owner = await createUser();
      const res = await api("POST", "/api/spaces", { token: owner.token, body: "{name:" });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "INVALID_REQUEST");
      assert.equal(await countSpaces(), 0);
    });
  });
});
