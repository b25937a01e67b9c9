import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { BASE_URL, sdk } from "../helpers/server";
import { refusal, sleep, until } from "../helpers/room";
import { createUser, type TestUser } from "../helpers/users";
import { setConfig } from "../reliability/support/world";

/**
 * Rooms nobody asked for (issue 14): a user may have at most DICE_ROOMS_PER_USER (3) open
 * dice rooms they created, and a room nobody joins within EMPTY_ROOM_SECONDS is disposed and
 * its name freed. Rooms are created over plain HTTP (`POST /matchmake/create/...`), as an
 * attacker would, without ever consuming the seat.
 */

async function createOverHttp(user: TestUser, roomName: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${BASE_URL}/matchmake/create/bigger_dice`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ roomName }),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

async function listedDiceRooms(user: TestUser): Promise<any[]> {
  const res = await api("GET", "/api/rooms/bigger_dice", { token: user.token });
  assert.equal(res.status, 200);
  return res.body.items;
}

describe("rooms nobody asked for", () => {
  it("300 dice creates over plain HTTP by one user leave DICE_ROOMS_PER_USER (3) listed rooms; the rest are refused with 429 TOO_MANY_ROOMS", async function () {
    this.timeout(60_000);
    const mallory = await createUser();
    const results: Array<{ status: number; body: any }> = [];
    for (let batch = 0; batch < 6; batch++) {
      results.push(
        ...(await Promise.all(Array.from({ length: 50 }, (_, i) => createOverHttp(mallory, `spam-${batch * 50 + i}`)))),
      );
    }
    const created = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    assert.equal(created.length, 3);
    for (const r of refused) {
      assert.equal(r.status, 429, JSON.stringify(r.body));
      assert.match(r.body.error, /^TOO_MANY_ROOMS/);
    }
    assert.equal((await listedDiceRooms(mallory)).length, 3);
    // Somebody else still creates rooms.
    const honest = await createUser();
    await sdk(honest.token).create("bigger_dice", { roomName: "honest table" });
  });

  it("counts rooms, not creates: a user whose rooms closed may create again", async () => {
    const restore = setConfig({ DICE_ROOMS_PER_USER: 1 });
    try {
      const bob = await createUser();
      const first = await sdk(bob.token).create("bigger_dice", { roomName: "bob-1" });
      const refused = await refusal(sdk(bob.token).create("bigger_dice", { roomName: "bob-2" }));
      assert.equal(refused.code, 429);
      assert.match(refused.message, /^TOO_MANY_ROOMS/);
      await first.leave(true);
      await until(async () => (await listedDiceRooms(bob)).length === 0, 4000, "the empty room to close");
      await sdk(bob.token).create("bigger_dice", { roomName: "bob-2" });
    } finally {
      restore();
    }
  });

  it("a room nobody joins within EMPTY_ROOM_SECONDS is disposed and its name freed; a joined room stays", async function () {
    this.timeout(20_000);
    const restore = setConfig({ EMPTY_ROOM_SECONDS: 1 });
    try {
      const [mallory, alice] = [await createUser(), await createUser()];
      assert.equal((await createOverHttp(mallory, "squatted")).status, 200);
      const joined = await sdk(alice.token).create("bigger_dice", { roomName: "played" });
      assert.equal((await listedDiceRooms(alice)).length, 2);
      await sleep(1800);
      const names = (await listedDiceRooms(alice)).map((r) => r.metadata.roomName);
      assert.deepEqual(names, ["played"], "the unjoined room is gone, the joined one stays");
      // The name is free again, and mallory's count with it.
      const taken = await sdk(alice.token).create("bigger_dice", { roomName: "squatted" });
      assert.ok(taken.roomId);
      assert.ok(joined.connection.isOpen);
    } finally {
      restore();
    }
  });
});
