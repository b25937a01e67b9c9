import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { sdk } from "../helpers/server";
import { createUser } from "../helpers/users";
import { inbox, refusal } from "../helpers/room";

/** Behaviour every room inherits from RallyRoom, checked through the user_lobby room. */
describe("RallyRoom conventions", () => {
  it("answers ping with pong {t}, numbering every event with seq from 1", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const box = inbox(room);
    room.send("ping");
    const pong = await box.next("pong");
    assert.equal(typeof pong.t, "number");
    room.send("no_such_message", { x: 1 });
    const err = await box.next("error");
    assert.equal(err.code, "UNKNOWN_MESSAGE");
    assert.equal(err.type, "no_such_message");
    const seqs = box.all.map((m) => m.payload.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => seqs[0] + i),
      "seq grows by one",
    );
    assert.ok(err.seq > pong.seq);
    await room.leave();
  });

  it("answers ping as a request without seq, and an unknown request with no_handler", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const reply = await room.request("ping");
    assert.equal(typeof reply.t, "number");
    assert.equal(reply.seq, undefined);
    const err: any = await refusal(room.request("no_such_request"));
    assert.ok(err, "rejected");
    assert.ok(room.connection.isOpen, "client stays connected");
    await room.leave();
  });

  it("rate-limits a flood with RATE_LIMITED and keeps the client connected", async () => {
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    const box = inbox(room);
    for (let i = 0; i < 150; i++) room.send("ping");
    await box.next("error", 4000, (e) => e.code === "RATE_LIMITED");
    const pongs = box.of("pong").length;
    assert.ok(pongs >= 60 && pongs < 150, `burst of 60 then limited (got ${pongs} pongs)`);
    assert.ok(room.connection.isOpen);
    await room.leave();
  });
});

describe("room metrics", () => {
  it("counts received messages by room and type in /metrics", async () => {
    const read = async () => {
      const text = String((await api("GET", "/metrics")).body);
      const line = text.split("\n").find((l) => l.startsWith('rally_messages_in_total{room="user_lobby",type="ping"}'));
      return line ? Number(line.split(" ").pop()) : 0;
    };
    const before = await read();
    const user = await createUser();
    const room = await sdk(user.token).joinOrCreate("user_lobby");
    for (let i = 0; i < 5; i++) await room.request("ping");
    assert.equal((await read()) - before, 5);
    await room.leave();
  });
});
