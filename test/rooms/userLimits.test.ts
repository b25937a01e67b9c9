import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { sdk, type Room } from "../helpers/server";
import { refusal, until } from "../helpers/room";
import { createUser } from "../helpers/users";
import { setConfig } from "../reliability/support/world";

/**
 * Per user, not per connection (issue 14): a user holds at most MAX_CONNECTIONS_PER_USER
 * connections per room kind, and the message budget is the user's across their connections.
 */

async function settle(
  joins: Array<Promise<Room>>,
): Promise<{ joined: Room[]; refused: Array<{ code: unknown; message: string }> }> {
  const warn = console.warn;
  console.warn = () => undefined;
  const settled = await Promise.allSettled(joins).finally(() => (console.warn = warn));
  return {
    joined: settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : [])),
    refused: settled.flatMap((s) =>
      s.status === "rejected" ? [{ code: s.reason?.code, message: s.reason?.message }] : [],
    ),
  };
}

describe("per-user limits in rooms", () => {
  it("one user opening 50 lobby connections at once gets MAX_CONNECTIONS_PER_USER (5); the rest are refused with 429 TOO_MANY_CONNECTIONS", async function () {
    this.timeout(20_000);
    const bob = await createUser();
    const { joined, refused } = await settle(
      Array.from({ length: 50 }, () => sdk(bob.token).joinOrCreate("user_lobby")),
    );
    assert.equal(joined.length, 5);
    assert.equal(refused.length, 45);
    for (const r of refused) {
      assert.equal(r.code, 429, JSON.stringify(r));
      assert.match(r.message, /^TOO_MANY_CONNECTIONS/);
    }
    const lobby = matchMaker.getLocalRoomById(joined[0]!.roomId);
    assert.equal(lobby.clients.length, 5, "the server holds five connections");

    // A device that leaves frees its place for another.
    await joined[0]!.leave(true);
    await until(() => lobby.clients.length === 4, 4000, "the leave");
    const again = await sdk(bob.token).joinOrCreate("user_lobby");
    assert.equal(again.roomId, joined[1]!.roomId);
    assert.equal((await refusal(sdk(bob.token).joinOrCreate("user_lobby"))).code, 429);

    // Another user is not affected.
    const alice = await createUser();
    await sdk(alice.token).joinOrCreate("user_lobby");
  });

  it("counts per room kind, across rooms: a user spectating six dice tables is refused at the sixth", async function () {
    this.timeout(20_000);
    const [hostA, hostB, watcher] = [await createUser(), await createUser(), await createUser()];
    const tables = [];
    for (let i = 0; i < 6; i++)
      tables.push(await sdk((i < 3 ? hostA : hostB).token).create("bigger_dice", { roomName: `limit-${i}` }));
    const watched: Room[] = [];
    for (let i = 0; i < 5; i++)
      watched.push(await sdk(watcher.token).join("bigger_dice", { roomName: `limit-${i}`, spectate: true }));
    const sixth = await refusal(sdk(watcher.token).join("bigger_dice", { roomName: "limit-5", spectate: true }));
    assert.equal(sixth.code, 429);
    assert.match(sixth.message, /^TOO_MANY_CONNECTIONS/);
    // Other kinds have their own count.
    await sdk(watcher.token).joinOrCreate("user_lobby");
  });

  it("MAX_CONNECTIONS_PER_USER=0 means no limit", async () => {
    const restore = setConfig({ MAX_CONNECTIONS_PER_USER: 0 });
    try {
      const bob = await createUser();
      const { joined } = await settle(Array.from({ length: 8 }, () => sdk(bob.token).joinOrCreate("user_lobby")));
      assert.equal(joined.length, 8);
    } finally {
      restore();
    }
  });

  it("the message budget is the user's across their connections, not each connection's", async function () {
    this.timeout(20_000);
    const restore = setConfig({ RATE_LIMIT_PER_SECOND: 1, RATE_LIMIT_BURST: 10 });
    try {
      const bob = await createUser();
      const devices: Room[] = [];
      for (let i = 0; i < 3; i++) devices.push(await sdk(bob.token).joinOrCreate("user_lobby"));
      // 3 devices × 10 pings at once: one budget of 10 between them, not three.
      const results = await Promise.allSettled(
        devices.flatMap((d) => Array.from({ length: 10 }, () => d.request("ping"))),
      );
      const limited = results.filter((r) => r.status === "rejected" && r.reason?.reason?.code === "RATE_LIMITED");
      const answered = results.filter((r) => r.status === "fulfilled");
      assert.ok(answered.length <= 11, `at most the user's burst (+1 refilled) was answered, got ${answered.length}`);
      assert.ok(limited.length >= 19, `the rest were RATE_LIMITED, got ${limited.length}`);
      // Another user's budget is untouched.
      const alice = await createUser();
      const aliceLobby = await sdk(alice.token).joinOrCreate("user_lobby");
      assert.ok((await aliceLobby.request("ping")).t);
    } finally {
      restore();
    }
  });
});
