import assert from "node:assert/strict";
import type { Room } from "@colyseus/sdk";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { createUser, type TestUser } from "../helpers/users";
import { refusal, sleep } from "../helpers/room";

/** A token for `user` that lives `seconds` (the tests here ask for short lifetimes explicitly). */
const tokenFor = (user: TestUser, seconds: number) => ctx().tokens.sign(user, seconds);

/** Resolves with the close code when the client's seat ends. */
const closed = (room: Room) => new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));

/** Close the socket without leaving, the SDK's own reconnection off: the server holds the seat. */
function drop(room: Room): void {
  room.reconnection.enabled = false;
  room.connection.close();
}

/** Token lifetime on open sockets (docs/PROTOCOL.md §1 "Tokens on open seats"). */
describe("token lifetime on seats", function () {
  this.timeout(30_000);

  it("closes a seat whose 3 s token expires with 4401", async () => {
    const user = await createUser();
    const room = await sdk(tokenFor(user, 3)).joinOrCreate("user_lobby");
    const started = Date.now();
    const code = await closed(room);
    assert.equal(code, 4401);
    const after = Date.now() - started;
    assert.ok(after >= 1500 && after < 5000, `closed after ${after} ms`);
  });

  it("keeps a seat refreshed in-band at 2 s open past 6 s, then closes it at the new expiry", async () => {
    const user = await createUser();
    const room = await sdk(tokenFor(user, 3)).joinOrCreate("bigger_dice", { roomName: "lifetime" });
    const leave = closed(room);
    let code: number | undefined;
    void leave.then((c) => (code = c));
    await sleep(2000);
    const reply = await room.request("auth:refresh", { token: tokenFor(user, 7) });
    assert.ok(reply.expiresAt > Date.now() + 5000, "the seat's expiry moved to the new token's");
    await sleep(4500);
    assert.equal(code, undefined, "still open past 6 s");
    assert.deepEqual((await room.request("ping")).t > 0, true);
    assert.equal(await leave, 4401);
  });

  it("refuses an auth:refresh with another user's, an expired or a garbage token, changing nothing", async () => {
    const [user, other] = [await createUser(), await createUser()];
    const room = await sdk(tokenFor(user, 3)).joinOrCreate("user_lobby");
    const leave = closed(room);
    for (const [token, reason] of [
      [tokenFor(other, 60), /another user/],
      [ctx().tokens.sign(user, -10), /token expired/],
      ["garbage", /invalid token/],
    ] as const) {
      const err = await refusal(room.request("auth:refresh", { token }));
      assert.equal(err.code, "UNAUTHORIZED");
      assert.match(err.message, reason);
    }
    const bad = await refusal(room.request("auth:refresh", { nope: 1 }));
    assert.equal(bad.code, "INVALID_MESSAGE");
    assert.equal(await leave, 4401, "the seat still expires with its first token");
  });

  it("refuses a reconnect after the token expired (401), one without a token, and one with another user's", async () => {
    const user = await createUser();
    const room = await sdk(tokenFor(user, 1)).joinOrCreate("bigger_dice", { roomName: "reconnect-expiry" });
    const reconnectionToken = room.reconnectionToken;
    drop(room); // the seat is held for DICE_RECONNECT_SECONDS (2 s in tests)
    await sleep(1100);
    // The SDK keeps the token it joined with, which has now expired.
    const expired = await refusal(sdk(tokenFor(user, -1)).reconnect(reconnectionToken));
    assert.equal(expired.code, 401);
    assert.match(expired.message, /token expired/);
    const missing = await refusal(sdk().reconnect(reconnectionToken));
    assert.equal(missing.code, 401);
    const other = await refusal(sdk((await createUser()).token).reconnect(reconnectionToken));
    assert.equal(other.code, 401);
    assert.match(other.message, /another user/);
  });

  it("refuses the SDK's automatic reconnection (straight to the WebSocket) once its token expired", async () => {
    const user = await createUser();
    const room = await sdk(tokenFor(user, 1)).joinOrCreate("bigger_dice", { roomName: "auto-reconnect" });
    const reconnectionToken = room.reconnectionToken.split(":")[1]!;
    drop(room);
    await sleep(1100);
    const refused = new Promise<{ code: number; message?: string }>((resolve) =>
      room.onError((code, message) => resolve({ code, message })),
    );
    // What the SDK's reconnection does: the same URL (with the token it joined with) plus the reconnection token.
    room.connection.reconnect({ reconnectionToken, skipHandshake: true });
    const err = await refused;
    assert.equal(err.code, 401);
    assert.match(err.message ?? "", /token expired/);
  });

  it("lets a reconnect with a fresh token back into the held seat, which then expires with the new token", async () => {
    const user = await createUser();
    const room = await sdk(tokenFor(user, 60)).joinOrCreate("bigger_dice", { roomName: "reconnect-fresh" });
    const reconnectionToken = room.reconnectionToken;
    drop(room);
    await sleep(100);
    const back = await sdk(tokenFor(user, 2)).reconnect(reconnectionToken);
    assert.equal(back.sessionId, room.sessionId);
    assert.equal(await closed(back), 4401, "the seat took the reconnecting token's expiry");
  });

  it("closes every open seat of a user on logout-all with 4403, and only theirs", async () => {
    const [user, other] = [await createUser(), await createUser()];
    const lobby = await sdk(user.token).joinOrCreate("user_lobby");
    const dice = await sdk(user.token).joinOrCreate("bigger_dice", { roomName: "logout-all" });
    const bystander = await sdk(other.token).joinOrCreate("bigger_dice", { roomName: "logout-all" });
    await sleep(200); // the rooms' subscriptions to the user's sessions topic
    const codes = Promise.all([closed(lobby), closed(dice)]);
    const started = Date.now();
    const res = await api("POST", "/api/auth/logout-all", { token: user.token });
    assert.equal(res.status, 204);
    assert.deepEqual(await codes, [4403, 4403]);
    assert.ok(Date.now() - started < 3000);
    assert.ok((await bystander.request("ping")).t > 0, "another user's seat stays open");
  });
});
