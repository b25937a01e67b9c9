import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { sdk, type Room } from "../helpers/server";
import { createUser, createUsers } from "../helpers/users";
import { inbox, refusal, until } from "../helpers/room";

/** Group seats by room id. */
function byRoom(rooms: Room[]): Map<string, Room[]> {
  const groups = new Map<string, Room[]>();
  for (const room of rooms) groups.set(room.roomId, [...(groups.get(room.roomId) ?? []), room]);
  return groups;
}

describe("bigger_dice quick match", () => {
  it("seats a second player with the one waiting (whatever method is called), then opens a new room for the third", async () => {
    const [a, b, c] = await createUsers(3);
    const first = await sdk(a!.token).joinOrCreate("bigger_dice", { quick: true });
    const box = inbox(first);
    const second = await sdk(b!.token).join("bigger_dice", { quick: true });
    assert.equal(second.roomId, first.roomId);
    await box.next("room_joined", 4000, (e) => e.player.user_id === b!.id);
    const third = await sdk(c!.token).create("bigger_dice", { quick: true });
    assert.notEqual(third.roomId, first.roomId);
    // The paired room plays like any other.
    await first.request("ready");
    await second.request("ready");
    await box.next("game_started");
    await until(() => first.state.status === "in_progress", 4000, "started");
    assert.match(first.state.roomName, /^Quick match /);
  });

  it("never pairs a player with themselves, nor with a game that has started", async () => {
    const [a, b, c] = await createUsers(3);
    const mine = await sdk(a!.token).joinOrCreate("bigger_dice", { quick: true });
    const again = await refusal(sdk(a!.token).joinOrCreate("bigger_dice", { quick: true }));
    assert.equal(again.code, 409, "a second device of the waiting player is refused");
    const b1 = await sdk(b!.token).joinOrCreate("bigger_dice", { quick: true });
    assert.equal(b1.roomId, mine.roomId);
    await mine.request("ready");
    await b1.request("ready");
    await until(() => mine.state.status === "in_progress", 4000, "started");
    const c1 = await sdk(c!.token).joinOrCreate("bigger_dice", { quick: true });
    assert.notEqual(c1.roomId, mine.roomId);
  });

  it("pairs 50 players arriving at once into 25 games: no room of three, nobody left alone", async function () {
    this.timeout(60_000);
    const users = await createUsers(50);
    const rooms = await Promise.all(users.map((u) => sdk(u.token).joinOrCreate("bigger_dice", { quick: true })));
    const groups = byRoom(rooms);
    assert.equal(groups.size, 25, `rooms: ${[...groups.values()].map((g) => g.length).join(",")}`);
    for (const seats of groups.values()) assert.equal(seats.length, 2);
    const listed = await matchMaker.query({ name: "bigger_dice" });
    assert.equal(listed.length, 25);
    assert.ok(
      listed.every((r) => r.clients === 2 && r.locked && r.metadata?.quick === true),
      "every quick room is full and locked",
    );
  });

  it("refuses a malformed quick option with 400", async () => {
    const user = await createUser();
    assert.equal((await refusal(sdk(user.token).joinOrCreate("bigger_dice", { quick: "yes" }))).code, 400);
  });
});
