import assert from "node:assert/strict";
import { BASE_URL, sdk } from "../helpers/server";
import { withConfig } from "../helpers/config";
import { createUser } from "../helpers/users";
import { inbox, until } from "../helpers/room";

/** Transport and flood limits shared by every room (PROTOCOL.md §1 "Limits"). */
describe("limits", () => {
  it("closes a client that keeps flooding with 4008", async function () {
    this.timeout(15_000);
    await withConfig({ FLOOD_DISCONNECT_SECONDS: 2 }, async () => {
      const user = await createUser();
      const room = await sdk(user.token).joinOrCreate("user_lobby");
      room.reconnection.enabled = false;
      const box = inbox(room);
      let closeCode: number | undefined;
      room.onLeave((code) => (closeCode = code));
      const flood = setInterval(() => {
        if (room.connection.isOpen) for (let i = 0; i < 40; i++) room.send("ping");
      }, 50);
      try {
        await until(() => closeCode !== undefined, 8000, "the server to close the flooding client");
      } finally {
        clearInterval(flood);
      }
      assert.equal(closeCode, 4008);
      assert.ok(
        box.of("error").some((e) => e.code === "RATE_LIMITED"),
        "was told RATE_LIMITED before",
      );
    });
  });

  it("does not close a client that is rate limited briefly", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const box = inbox(room);
    for (let i = 0; i < 100; i++) room.send("ping");
    await box.next("error", 4000, (e) => e.code === "RATE_LIMITED");
    await new Promise((r) => setTimeout(r, 1500));
    room.send("ping");
    await box.next("pong", 4000, (p) => p.seq > 60);
    assert.ok(room.connection.isOpen);
    await room.leave();
  });

  it("accepts frames up to 64 KiB and closes larger ones with 1009", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    room.reconnection.enabled = false;
    const box = inbox(room);
    room.send("no_such_type", { blob: "x".repeat(60 * 1024) });
    const err = await box.next("error");
    assert.equal(err.code, "UNKNOWN_MESSAGE");
    assert.ok(room.connection.isOpen);

    let closeCode: number | undefined;
    room.onLeave((code) => (closeCode = code));
    room.send("no_such_type", { blob: "x".repeat(70 * 1024) });
    await until(() => closeCode !== undefined, 4000, "the oversized frame to close the socket");
    assert.equal(closeCode, 1009);
  });
});

/** Frames the SDK never produces, and type names the catch-all must not mistake (issue 8 fuzzing). */
describe("malformed frames", () => {
  const PROTOCOL_ROOM_DATA = 13;
  const PROTOCOL_ROOM_REQUEST = 21;
  const fixstr = (s: string) => [0xa0 | s.length, ...Buffer.from(s)];
  /** A payload that is not MessagePack: a map announcing two entries, cut after one key. */
  const truncated = [0x82, ...fixstr("a")];

  it('refuses a message whose type is literally "*" with UNKNOWN_MESSAGE, as a request and as a send', async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const box = inbox(room);
    const rejected = await room.request("*", { x: 1 }).then(
      () => undefined,
      (e: any) => e.reason,
    );
    assert.equal(rejected?.code, "UNKNOWN_MESSAGE");
    room.send("*", [1, 2]);
    const err = await box.next("error");
    assert.deepEqual([err.code, err.type], ["UNKNOWN_MESSAGE", "*"]);
    assert.ok(room.connection.isOpen);
  });

  it("answers a request whose payload is not MessagePack with an error, and keeps the client", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const box = inbox(room);
    room.connection.send(new Uint8Array([PROTOCOL_ROOM_REQUEST, 7, ...fixstr("notifications:read"), ...truncated]));
    room.send("ping");
    await box.next("pong");
    assert.ok(room.connection.isOpen);
  });

  it("closes the socket of a send whose payload is not MessagePack (4002, the framework's WITH_ERROR); the server stays healthy", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    room.reconnection.enabled = false;
    let closeCode: number | undefined;
    room.onLeave((code) => (closeCode = code));
    room.connection.send(new Uint8Array([PROTOCOL_ROOM_DATA, ...fixstr("notifications:read"), ...truncated]));
    await until(() => closeCode !== undefined, 4000, "the socket to close");
    assert.equal(closeCode, 4002);
    const health = await fetch(`${BASE_URL}/healthz`);
    assert.equal(health.status, 200);
    const again = await sdk(user.token).joinOrCreate("user_lobby");
    assert.ok(again.connection.isOpen, "the user can come back");
  });
});
