import assert from "node:assert/strict";
import { ctx, sdk } from "../helpers/server";
import { createUser } from "../helpers/users";
import { inbox, until } from "../helpers/room";

/** Transport and flood limits shared by every room (PROTOCOL.md §1 "Limits"). */
describe("limits", () => {
  it("closes a client that keeps flooding with 4008", async function () {
    this.timeout(15_000);
    const saved = ctx().config.FLOOD_DISCONNECT_SECONDS;
    ctx().config.FLOOD_DISCONNECT_SECONDS = 2;
    try {
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
      assert.ok(box.of("error").some((e) => e.code === "RATE_LIMITED"), "was told RATE_LIMITED before");
    } finally {
      ctx().config.FLOOD_DISCONNECT_SECONDS = saved;
    }
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
