import assert from "node:assert/strict";
import crypto from "node:crypto";
import { matchMaker } from "@colyseus/core";
import { api } from "../helpers/http";
import { ctx, sdk, type Room } from "../helpers/server";
import { befriend, createUser, type TestUser } from "../helpers/users";
import { inbox, refusal, sleep, until, type Inbox } from "../helpers/room";

/** `user_lobby` (docs/PROTOCOL.md §3): game invitations, notifications and presence. */

const withoutSeq = ({ seq: _seq, ...rest }: any) => rest;
/** An offline presence event carries when the user was last seen (issue 17): checked, then set aside. */
const seenAt = ({ lastSeenAt, ...rest }: any) => {
  assert.ok(!Number.isNaN(Date.parse(lastSeenAt)), `lastSeenAt: ${lastSeenAt}`);
  return rest;
};
/** `{code, message}` of a rejected `room.request`. */
const reasonOf = (e: any): { code: string; message: string } => e?.reason ?? e;

interface Device {
  room: Room;
  box: Inbox;
}

/** Join the user's lobby and wait for its first state. */
async function openLobby(user: TestUser, options?: Record<string, unknown>): Promise<Device> {
  const room = await sdk(user.token).joinOrCreate("user_lobby", options);
  const box = inbox(room);
  await until(() => room.state?.invitations !== undefined, 4000, "the lobby state");
  return { room, box };
}

/** Close the socket without leaving: the server holds the seat for RECONNECT_SECONDS (2 s in tests). */
function drop(room: Room): void {
  room.reconnection.enabled = false;
  room.connection.close(4500, "test drop"); // any code but CONSENTED (4000)
}

const invite = (from: Device, to: TestUser, map = "desert"): Promise<{ invitationId: string }> =>
  from.room.request("game_invitation:send", { toUserId: to.id, map });

async function invitations(): Promise<
  Array<{ id: string; status: string; sender_id: string; receiver_id: string; room_id: string | null }>
> {
  const { rows } = await ctx().db.query(
    "SELECT id, status, sender_id, receiver_id, room_id FROM game_invitations ORDER BY created_at, id",
  );
  return rows;
}

async function notificationRows(): Promise<Array<{ id: string; user_id: string; status: string }>> {
  const { rows } = await ctx().db.query("SELECT id, user_id, status FROM notifications ORDER BY created_at, id");
  return rows;
}

const lobbyListings = () => matchMaker.query({ name: "user_lobby" });

describe("user_lobby", () => {
  describe("joining", () => {
    it("puts every device of a user into that user's one lobby", async () => {
      const bob = await createUser();
      const phone = await openLobby(bob);
      const laptop = await openLobby(bob);
      assert.equal(laptop.room.roomId, phone.room.roomId);
      const listings = await lobbyListings();
      assert.equal(listings.length, 1);
      assert.equal(listings[0]!.metadata?.ownerId, bob.id);
      assert.equal(listings[0]!.clients, 2);
    });

    it("never places anyone in another user's lobby, whatever ownerId or userId the client sends", async () => {
      const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
      const bobs = await openLobby(bob);

      const spoofed = await openLobby(alice, { ownerId: bob.id, userId: bob.id });
      assert.notEqual(spoofed.room.roomId, bobs.room.roomId, "alice got her own lobby");
      const byOwner = new Map((await lobbyListings()).map((l) => [l.roomId, l.metadata?.ownerId]));
      assert.equal(byOwner.get(spoofed.room.roomId), alice.id);
      assert.equal(byOwner.get(bobs.room.roomId), bob.id);

      // By id, by a fresh create, or a second create: refused or routed to the caller's own.
      const byId = await refusal(sdk(mallory.token).joinById(bobs.room.roomId));
      assert.equal(byId.code, 403);
      const created = await sdk(mallory.token).create("user_lobby", { ownerId: bob.id });
      assert.equal((await lobbyListings()).find((l) => l.roomId === created.roomId)?.metadata?.ownerId, mallory.id);
      const second = await refusal(sdk(alice.token).create("user_lobby", { ownerId: bob.id }));
      assert.equal(second.code, 409);

      // Events for bob reach bob's devices only.
      await ctx().delivery.toUser(bob.id, "ping_test" as never, { n: 1 } as never); // any event is forwarded
      await bobs.box.next("ping_test");
      await sleep(100);
      assert.equal(spoofed.box.of("ping_test").length, 0);
      assert.equal((await lobbyListings()).find((l) => l.roomId === bobs.room.roomId)?.clients, 1);
    });

    it("forwards anything delivered to the user (space invites, matches) to every device, once each", async () => {
      const bob = await createUser();
      const [phone, laptop] = [await openLobby(bob), await openLobby(bob)];
      await ctx().delivery.toUser(bob.id, "INVITE_RECEIVED", { invite: { id: "n1" } } as never);
      await ctx().delivery.toUser(bob.id, "new_match", { type: "new_match", data: { type: "new_match" } } as never);
      for (const device of [phone, laptop]) {
        assert.deepEqual(withoutSeq(await device.box.next("INVITE_RECEIVED")), { invite: { id: "n1" } });
        assert.equal((await device.box.next("new_match")).type, "new_match");
      }
      await sleep(100);
      assert.equal(phone.box.of("INVITE_RECEIVED").length, 1);
    });

    it("loads friends, pending invitations and the unread count from the database on join", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const { invitationId } = await invite(a, bob);
      await b.box.next("notification");
      // Bob's laptop arrives later: it sees the same state.
      const laptop = await openLobby(bob);
      await until(() => laptop.room.state.invitations?.get(invitationId));
      const inv = laptop.room.state.invitations.get(invitationId);
      assert.equal(inv.direction, "received");
      assert.equal(inv.fromUserId, alice.id);
      assert.equal(inv.toUsername, bob.username);
      assert.equal(laptop.room.state.unread, 1);
      assert.equal(laptop.room.state.friends.get(alice.id).username, alice.username);
      assert.equal(laptop.room.state.friends.get(alice.id).online, true);
    });
  });

  describe("game invitations", () => {
    it("invite → receive (exact payload fields) → accept → both get game_ready with a joinable room", async () => {
      const alice = await createUser({ avatarUrl: "https://img.example/alice.png" });
      const bob = await createUser();
      const friendshipId = await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);

      const { invitationId } = await invite(a, bob, "desert");
      assert.ok(invitationId);
      const received = await b.box.next("game_invitation_received");
      assert.deepEqual(withoutSeq(received), {
        invitationId,
        sender_username: alice.username,
        sender_image: "https://img.example/alice.png",
        map: "desert",
        friendship_id: friendshipId,
      });
      const note = withoutSeq(await b.box.next("notification"));
      assert.deepEqual(Object.keys(note).sort(), [
        "avatar",
        "id",
        "isNew",
        "message",
        "senderUsername",
        "timestamp",
        "type",
      ]);
      assert.equal(note.type, "game_invitation");
      assert.equal(note.avatar, "https://img.example/alice.png");
      assert.equal(note.senderUsername, alice.username);
      assert.equal(note.isNew, true);
      assert.ok(!Number.isNaN(Date.parse(note.timestamp)));
      assert.equal(
        a.room.state.invitations.get(invitationId)?.direction,
        "sent",
        "the reply comes after the sender's state",
      );
      await until(() => b.room.state.invitations.get(invitationId));
      assert.equal(b.room.state.invitations.get(invitationId).direction, "received");
      assert.equal(b.room.state.invitations.get(invitationId).map, "desert");
      assert.deepEqual(
        (await invitations()).map((r) => r.status),
        ["pending"],
      );

      const reply: any = await b.room.request("game_invitation:accept", { invitationId });
      assert.equal(reply.invitationId, invitationId);
      assert.equal(typeof reply.roomId, "string");
      for (const device of [a, b]) {
        assert.deepEqual(withoutSeq(await device.box.next("game_invitation_updated")), {
          invitationId,
          status: "accepted",
        });
        assert.deepEqual(withoutSeq(await device.box.next("game_ready")), {
          invitationId,
          roomId: reply.roomId,
          map: "desert",
        });
      }
      const [row] = await invitations();
      assert.equal(row!.status, "accepted");
      assert.equal(row!.room_id, reply.roomId);
      await until(
        () => a.room.state.invitations.size === 0 && b.room.state.invitations.size === 0,
        4000,
        "invitations cleared",
      );

      const seats = await Promise.all([sdk(alice.token).joinById(reply.roomId), sdk(bob.token).joinById(reply.roomId)]);
      assert.ok(seats.every((s) => s.roomId === reply.roomId));
    });

    it("decline: declined, both told, no game", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const { invitationId } = await invite(a, bob);
      await b.box.next("game_invitation_received");

      assert.deepEqual(await b.room.request("game_invitation:decline", { invitationId }), { ok: true });
      for (const device of [a, b]) {
        assert.deepEqual(withoutSeq(await device.box.next("game_invitation_updated")), {
          invitationId,
          status: "declined",
        });
      }
      assert.deepEqual(
        (await invitations()).map((r) => r.status),
        ["declined"],
      );
      await until(() => a.room.state.invitations.size === 0 && b.room.state.invitations.size === 0);
      await sleep(100);
      assert.equal(a.box.of("game_ready").length + b.box.of("game_ready").length, 0);
      // Once answered, the pair may play again (after the dedup window, see "duplicate").
      assert.equal(
        (await refusal(b.room.request("game_invitation:accept", { invitationId }))).code,
        "INVITATION_NOT_PENDING",
      );
    });

    it("not friends: NOT_FRIENDS, nothing stored, nothing sent", async () => {
      const [alice, carol, dave] = [await createUser(), await createUser(), await createUser()];
      // A request that was never accepted is not a friendship either.
      await api("POST", "/api/friends/requests", { token: alice.token, body: { username: dave.username } });
      const a = await openLobby(alice);
      const c = await openLobby(carol);
      const d = await openLobby(dave);
      for (const who of [carol, dave]) {
        const err = await refusal(invite(a, who));
        assert.equal(err.code, "NOT_FRIENDS");
      }
      assert.deepEqual(await invitations(), []);
      await sleep(100);
      assert.equal(c.box.of("game_invitation_received").length + d.box.of("game_invitation_received").length, 0);
      assert.equal(a.room.state.invitations.size, 0);
    });

    it("receiver offline: USER_OFFLINE, nothing stored", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      assert.equal((await refusal(invite(a, bob))).code, "USER_OFFLINE");
      // Online, then gone again.
      const b = await openLobby(bob);
      await b.room.leave();
      await until(() => a.room.state.friends.get(bob.id)?.online === false);
      assert.equal((await refusal(invite(a, bob))).code, "USER_OFFLINE");
      assert.deepEqual(await invitations(), []);
    });

    it("rate limit: at most INVITES_PER_MINUTE stored sends per rolling minute; refused sends do not count", async () => {
      const config = ctx().config;
      const saved = config.INVITES_PER_MINUTE;
      config.INVITES_PER_MINUTE = 2;
      try {
        const alice = await createUser();
        const friends = [await createUser(), await createUser(), await createUser()];
        for (const f of friends) await befriend(alice, f);
        const a = await openLobby(alice);
        const lobbies = await Promise.all(friends.map((f) => openLobby(f)));
        const [bob, carol, dave] = friends as [TestUser, TestUser, TestUser];

        await invite(a, bob);
        assert.equal((await refusal(invite(a, bob))).code, "DUPLICATE_INVITATION", "refused, so not counted");
        await invite(a, carol);
        const limited = await refusal(invite(a, dave));
        assert.equal(limited.code, "RATE_LIMITED");
        assert.match(limited.message, /2 invitations a minute/);
        assert.equal((await invitations()).length, 2);
        await sleep(100);
        assert.equal(lobbies[2]!.box.of("game_invitation_received").length, 0);

        // The window rolls: once the stored sends are older than a minute, dave can be invited.
        await ctx().db.query("UPDATE game_invitations SET created_at = created_at - interval '61 seconds'");
        await invite(a, dave);
        await lobbies[2]!.box.next("game_invitation_received");
      } finally {
        config.INVITES_PER_MINUTE = saved;
      }
    });

    it("duplicate: one pending invitation per pair in either direction, and no second event", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const { invitationId } = await invite(a, bob);
      await b.box.next("game_invitation_received");

      const again = await refusal(invite(a, bob));
      assert.equal(again.code, "DUPLICATE_INVITATION");
      const back = await refusal(invite(b, alice));
      assert.equal(back.code, "DUPLICATE_INVITATION");
      a.room.send("game_invitation:send", { toUserId: bob.id, map: "desert" });
      assert.equal((await a.box.next("error")).code, "DUPLICATE_INVITATION");
      await sleep(150);
      assert.equal(b.box.of("game_invitation_received").length, 1);
      assert.equal(a.box.of("game_invitation_received").length, 0);
      assert.deepEqual(
        (await invitations()).map((r) => r.id),
        [invitationId],
      );

      // A repeat right after an answer is still a duplicate (the source's 2 s dedup window).
      await b.room.request("game_invitation:decline", { invitationId });
      assert.equal((await refusal(invite(a, bob))).code, "DUPLICATE_INVITATION");
      await ctx().db.query("UPDATE game_invitations SET created_at = created_at - interval '3 seconds'");
      await invite(a, bob);
    });

    it("duplicate: concurrent sends in both directions store exactly one", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const results = await Promise.allSettled([invite(a, bob), invite(b, alice), invite(a, bob), invite(b, alice)]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results)
        if (r.status === "rejected") assert.equal(reasonOf(r.reason).code, "DUPLICATE_INVITATION");
      assert.equal((await invitations()).length, 1);
    });

    it("expiry on disconnect: the receiver's last device leaving expires their pending invitations", async () => {
      const [alice, bob, carol, dave] = [
        await createUser(),
        await createUser(),
        await createUser(),
        await createUser(),
      ];
      await befriend(alice, bob);
      await befriend(carol, bob);
      await befriend(bob, dave);
      const a = await openLobby(alice);
      const c = await openLobby(carol);
      const d = await openLobby(dave);
      const b = await openLobby(bob);
      const fromAlice = await invite(a, bob);
      const fromCarol = await invite(c, bob);
      // Issue 17: invitations follow their sender too, so Bob's sent one expires as well.
      const fromBob = await invite(b, dave);
      await d.box.next("game_invitation_received");

      await b.room.leave();
      assert.deepEqual(withoutSeq(await a.box.next("game_invitation_updated")), {
        invitationId: fromAlice.invitationId,
        status: "expired",
      });
      assert.deepEqual(withoutSeq(await c.box.next("game_invitation_updated")), {
        invitationId: fromCarol.invitationId,
        status: "expired",
      });
      const statuses = new Map((await invitations()).map((r) => [r.id, r.status]));
      assert.deepEqual(
        [fromAlice, fromCarol, fromBob].map((i) => statuses.get(i.invitationId)),
        ["expired", "expired", "expired"],
      );
      assert.deepEqual(withoutSeq(await d.box.next("game_invitation_expired")), { invitationId: fromBob.invitationId });
      await until(() => a.room.state.invitations.size === 0 && c.room.state.invitations.size === 0);
      await until(() => d.room.state.invitations.size === 0);

      // Bob sees them as expired when he is back.
      const list = await api("GET", "/api/game-invitations?direction=received", { token: bob.token });
      assert.deepEqual(
        list.body.items.map((i: any) => i.status),
        ["expired", "expired"],
      );
      const back = await openLobby(bob);
      assert.deepEqual([...back.room.state.invitations.keys()], [], "his sent one expired with him (issue 17)");
      assert.equal(
        (await refusal(back.room.request("game_invitation:accept", fromAlice))).code,
        "INVITATION_NOT_PENDING",
      );
    });

    it("expiry on disconnect: a dropped device keeps the user online until its seat expires", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const { invitationId } = await invite(a, bob);
      await b.box.next("game_invitation_received");

      drop(b.room);
      await sleep(700);
      assert.equal(a.box.of("game_invitation_updated").length, 0, "no expiry while the seat is held");
      assert.equal(a.box.of("presence").filter((p) => !p.online).length, 0, "no offline flap");
      assert.equal(await ctx().delivery.isOnline(bob.id), true);

      // RECONNECT_SECONDS is 2 in tests: then bob is gone.
      assert.deepEqual(withoutSeq(await a.box.next("game_invitation_updated", 5000)), {
        invitationId,
        status: "expired",
      });
      assert.deepEqual(seenAt(withoutSeq(await a.box.next("presence", 4000, (p) => !p.online))), {
        userId: bob.id,
        online: false,
      });
      assert.equal(await ctx().delivery.isOnline(bob.id), false);
    });

    it("a device that reconnects within its window changes nothing: no offline, no expiry", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const { invitationId } = await invite(a, bob);
      await b.box.next("game_invitation_received");

      const token = b.room.reconnectionToken;
      drop(b.room);
      await sleep(300);
      const back = await sdk(bob.token).reconnect(token);
      const box = inbox(back);
      await sleep(2500); // past RECONNECT_SECONDS
      assert.equal(a.box.of("presence").filter((p) => !p.online).length, 0);
      assert.equal(a.box.of("game_invitation_updated").length, 0);
      assert.deepEqual(
        (await invitations()).map((r) => r.status),
        ["pending"],
      );
      await back.request("game_invitation:accept", { invitationId });
      await box.next("game_ready");
    });

    it("two devices of one user: both get every event; the user stays online until the last leaves", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const phone = await openLobby(bob);
      const laptop = await openLobby(bob);
      const { invitationId } = await invite(a, bob);
      for (const device of [phone, laptop]) {
        assert.equal((await device.box.next("game_invitation_received")).invitationId, invitationId);
        await device.box.next("notification");
      }

      await phone.room.leave();
      await sleep(200);
      assert.equal(a.box.of("presence").filter((p) => p.online === false).length, 0);
      assert.deepEqual(
        (await invitations()).map((r) => r.status),
        ["pending"],
      );

      const reply: any = await laptop.room.request("game_invitation:accept", { invitationId });
      assert.equal((await laptop.box.next("game_ready")).roomId, reply.roomId);
      assert.equal((await a.box.next("game_ready")).roomId, reply.roomId);
      assert.equal(phone.box.of("game_ready").length, 0, "a device that left gets nothing more");

      await laptop.room.leave();
      assert.deepEqual(seenAt(withoutSeq(await a.box.next("presence", 4000, (p) => p.online === false))), {
        userId: bob.id,
        online: false,
      });
    });
  });

  describe("notifications", () => {
    it("unread count follows invitations, notifications:read / :dismiss, REST and answers", async () => {
      const [alice, carol, bob] = [await createUser(), await createUser(), await createUser()];
      await befriend(alice, bob);
      await befriend(carol, bob);
      const a = await openLobby(alice);
      const c = await openLobby(carol);
      const b = await openLobby(bob);
      assert.equal(b.room.state.unread, 0);

      const first = await invite(a, bob);
      const n1 = await b.box.next("notification");
      assert.equal(b.room.state.unread, 1, "state is patched before the event arrives");
      await invite(c, bob);
      const n2 = await b.box.next("notification");
      assert.equal(b.room.state.unread, 2);

      assert.deepEqual(await b.room.request("notifications:read", { ids: [n1.id] }), { ok: true });
      assert.equal(b.room.state.unread, 1);
      await b.room.request("notifications:dismiss", { ids: [n2.id] });
      assert.equal(b.room.state.unread, 0);
      const statuses = new Map((await notificationRows()).map((r) => [r.id, r.status]));
      assert.equal(statuses.get(n1.id), "read");
      assert.equal(statuses.get(n2.id), "dismissed");

      // A REST change reaches the lobby too; answering an invitation reads its notification.
      await ctx().db.query("UPDATE notifications SET status = 'unread'");
      const viaRest = await api("POST", `/api/notifications/${n2.id}/read`, { token: bob.token });
      assert.equal(viaRest.status, 200);
      await until(() => b.room.state.unread === 1);
      await b.room.request("game_invitation:decline", first);
      await until(() => b.room.state.unread === 0);
      assert.equal((await notificationRows()).find((r) => r.id === n1.id)?.status, "read");
    });

    it("counts notifications of every kind, space invites included", async () => {
      const bob = await createUser();
      const b = await openLobby(bob);
      const n = await ctx().services.notifications.create({
        userId: bob.id,
        type: "invites",
        kind: "space_invite",
        title: "t",
        message: "m",
      });
      await ctx().delivery.toUser(bob.id, "INVITE_RECEIVED", { invite: { id: n.id } } as never);
      await b.box.next("INVITE_RECEIVED");
      assert.equal(b.room.state.unread, 1);
    });
  });

  describe("presence", () => {
    it("presence to friends: online with the first device, offline after the last; state and REST agree", async () => {
      const [alice, bob, stranger] = [await createUser(), await createUser(), await createUser()];
      await befriend(alice, bob);
      const a = await openLobby(alice);
      const s = await openLobby(stranger);
      assert.equal(a.room.state.friends.get(bob.id)?.online, false);

      const b = await openLobby(bob);
      assert.deepEqual(withoutSeq(await a.box.next("presence")), { userId: bob.id, online: true });
      assert.equal(a.room.state.friends.get(bob.id).online, true);
      assert.equal(b.room.state.friends.get(alice.id).online, true);
      const listed = await api("GET", "/api/friends", { token: alice.token });
      assert.equal(listed.body.items[0].online, true);

      const laptop = await openLobby(bob);
      await b.room.leave();
      await sleep(150);
      assert.equal(a.box.of("presence").length, 1, "a second device changes nothing");
      await laptop.room.leave();
      assert.deepEqual(seenAt(withoutSeq(await a.box.next("presence"))), { userId: bob.id, online: false });
      assert.equal(a.room.state.friends.get(bob.id).online, false);
      assert.equal((await api("GET", "/api/friends", { token: alice.token })).body.items[0].online, false);
      assert.equal(s.box.of("presence").length, 0, "strangers are not told");
    });

    it("a friend request accepted over REST updates both lobbies' friends", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      await befriend(alice, bob);
      await until(
        () => a.room.state.friends.get(bob.id) && b.room.state.friends.get(alice.id),
        4000,
        "friends in state",
      );
      assert.equal(a.room.state.friends.get(bob.id).username, bob.username);
      assert.equal(a.room.state.friends.get(bob.id).online, true);
    });
  });

  describe("REST /api/game-invitations", () => {
    it("lists the caller's invitations with their status, by direction", async () => {
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      const friendshipId = await befriend(alice, bob);
      await befriend(carol, alice);
      const a = await openLobby(alice);
      const b = await openLobby(bob);
      const c = await openLobby(carol);
      const toBob = await invite(a, bob, "forest");
      const fromCarol = await invite(c, alice);
      await b.room.request("game_invitation:decline", toBob);

      const sent = await api("GET", "/api/game-invitations?direction=sent", { token: alice.token });
      assert.equal(sent.status, 200);
      assert.equal(sent.body.items.length, 1);
      const item = sent.body.items[0];
      assert.equal(item.id, toBob.invitationId);
      assert.equal(item.status, "declined");
      assert.equal(item.map, "forest");
      assert.equal(item.friendshipId, friendshipId);
      assert.deepEqual(item.sender, { id: alice.id, username: alice.username, avatarUrl: null });
      assert.deepEqual(item.receiver, { id: bob.id, username: bob.username, avatarUrl: null });
      const received = await api("GET", "/api/game-invitations?direction=received", { token: alice.token });
      assert.deepEqual(
        received.body.items.map((i: any) => [i.id, i.status]),
        [[fromCarol.invitationId, "pending"]],
      );
      const both = await api("GET", "/api/game-invitations", { token: alice.token });
      assert.equal(both.body.items.length, 2);
      const pending = await api("GET", "/api/game-invitations?status=pending", { token: alice.token });
      assert.deepEqual(
        pending.body.items.map((i: any) => i.id),
        [fromCarol.invitationId],
      );
      // Nobody else sees them.
      const stranger = await createUser();
      assert.deepEqual((await api("GET", "/api/game-invitations", { token: stranger.token })).body.items, []);
    });

    it("bad queries → 400 naming the field; no token → 401", async () => {
      const alice = await createUser();
      for (const [q, field] of [
        ["direction=up", /direction/],
        ["status=lost", /status/],
        ["limit=500", /limit/],
        ["userId=x", /userId|Unrecognized/i],
      ] as const) {
        const res = await api("GET", `/api/game-invitations?${q}`, { token: alice.token });
        assert.equal(res.status, 400, q);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, field);
      }
      assert.equal((await api("GET", "/api/game-invitations")).status, 401);
    });
  });

  describe("bad input: a clear error, nothing changes, the client stays connected", () => {
    let alice: TestUser, bob: TestUser, carol: TestUser;
    let a: Device, b: Device, c: Device;
    let invitationId: string;

    beforeEach(async () => {
      [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      await befriend(alice, bob);
      await befriend(alice, carol);
      a = await openLobby(alice);
      b = await openLobby(bob);
      c = await openLobby(carol);
      ({ invitationId } = await invite(a, bob));
      await b.box.next("notification");
    });

    async function unchanged(run: () => Promise<void>): Promise<void> {
      const before = { invitations: await invitations(), notifications: await notificationRows() };
      const states = [a, b, c].map((d) => JSON.stringify(d.room.state.toJSON()));
      await run();
      await sleep(50);
      assert.deepEqual(await invitations(), before.invitations);
      assert.deepEqual(await notificationRows(), before.notifications);
      assert.deepEqual(
        [a, b, c].map((d) => JSON.stringify(d.room.state.toJSON())),
        states,
      );
      for (const d of [a, b, c]) assert.ok(d.room.connection.isOpen, "still connected");
    }

    const sendCases: Array<[string, unknown, string, RegExp]> = [
      ["a wrong type", { toUserId: 42, map: "desert" }, "INVALID_MESSAGE", /toUserId/],
      ["a wrong map type", { toUserId: "x", map: 7 }, "INVALID_MESSAGE", /toUserId|map/],
      ["missing toUserId", { map: "desert" }, "INVALID_MESSAGE", /toUserId/],
      ["missing map", { toUserId: crypto.randomUUID() }, "INVALID_MESSAGE", /map/],
      ["a huge map", { toUserId: crypto.randomUUID(), map: "m".repeat(10_000) }, "INVALID_MESSAGE", /map/],
      ["a blank map", { toUserId: crypto.randomUUID(), map: "   " }, "INVALID_MESSAGE", /map/],
      ["a non-object payload", "hello", "INVALID_MESSAGE", /payload|expected object/],
      ["a non-existent user", { toUserId: crypto.randomUUID(), map: "desert" }, "NOT_FOUND", /User not found/],
    ];
    for (const [name, payload, code, message] of sendCases) {
      it(`game_invitation:send with ${name} → ${code}`, async () => {
        await unchanged(async () => {
          const err = await refusal(c.room.request("game_invitation:send", payload));
          assert.equal(err.code, code);
          assert.match(err.message, message);
        });
      });
    }

    it("game_invitation:send with yourself as receiver → INVALID_MESSAGE (also over room.send)", async () => {
      await unchanged(async () => {
        const err = await refusal(c.room.request("game_invitation:send", { toUserId: carol.id, map: "desert" }));
        assert.equal(err.code, "INVALID_MESSAGE");
        assert.match(err.message, /yourself/);
        c.room.send("game_invitation:send", { toUserId: carol.id, map: "desert" });
        const event = await c.box.next("error");
        assert.deepEqual(withoutSeq(event), {
          code: "INVALID_MESSAGE",
          message: err.message,
          type: "game_invitation:send",
        });
      });
    });

    it("an invitation id that is not yours → INVITATION_NOT_FOUND, for accept and decline, sender included", async () => {
      await unchanged(async () => {
        for (const d of [c, a]) {
          for (const type of ["game_invitation:accept", "game_invitation:decline"]) {
            const err = await refusal(d.room.request(type, { invitationId }));
            assert.equal(err.code, "INVITATION_NOT_FOUND", `${type} by ${d === a ? "the sender" : "a stranger"}`);
          }
        }
        const unknown = await refusal(b.room.request("game_invitation:accept", { invitationId: crypto.randomUUID() }));
        assert.equal(unknown.code, "INVITATION_NOT_FOUND");
      });
      await sleep(50);
      assert.equal(a.box.of("game_invitation_updated").length + b.box.of("game_invitation_updated").length, 0);
    });

    it("a malformed or missing invitation id → INVALID_MESSAGE naming invitationId", async () => {
      await unchanged(async () => {
        for (const payload of [
          {},
          { invitationId: 12 },
          { invitationId: "not-a-uuid" },
          { invitationId: "x".repeat(5000) },
        ]) {
          const err = await refusal(b.room.request("game_invitation:accept", payload));
          assert.equal(err.code, "INVALID_MESSAGE");
          assert.match(err.message, /invitationId/);
        }
      });
    });

    it("accepting twice → INVITATION_NOT_PENDING, one room, one game_ready each", async () => {
      const [first, second] = await Promise.allSettled([
        b.room.request("game_invitation:accept", { invitationId }),
        b.room.request("game_invitation:accept", { invitationId }),
      ]);
      const ok = [first, second].filter((r) => r.status === "fulfilled");
      const failed = [first, second].filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.equal(ok.length, 1);
      assert.equal(reasonOf(failed[0]!.reason).code, "INVITATION_NOT_PENDING");
      await a.box.next("game_ready");
      await unchanged(async () => {
        assert.equal(
          (await refusal(b.room.request("game_invitation:accept", { invitationId }))).code,
          "INVITATION_NOT_PENDING",
        );
        assert.equal(
          (await refusal(b.room.request("game_invitation:decline", { invitationId }))).code,
          "INVITATION_NOT_PENDING",
        );
      });
      assert.equal(a.box.of("game_ready").length, 1);
      assert.equal(b.box.of("game_ready").length, 1);
      assert.equal((await invitations())[0]!.status, "accepted");
    });

    it("notifications:read / :dismiss of another user's ids → NOT_FOUND; malformed ids → INVALID_MESSAGE", async () => {
      const [bobsNote] = await notificationRows();
      await unchanged(async () => {
        for (const type of ["notifications:read", "notifications:dismiss"]) {
          assert.equal((await refusal(c.room.request(type, { ids: [bobsNote!.id] }))).code, "NOT_FOUND");
          // Even mixed with one of bob's own ids, nothing changes.
          assert.equal(
            (await refusal(b.room.request(type, { ids: [bobsNote!.id, crypto.randomUUID()] }))).code,
            "NOT_FOUND",
          );
          for (const payload of [
            {},
            { ids: [] },
            { ids: "x" },
            { ids: ["nope"] },
            { ids: Array.from({ length: 101 }, () => crypto.randomUUID()) },
          ]) {
            const err = await refusal(b.room.request(type, payload));
            assert.equal(err.code, "INVALID_MESSAGE", JSON.stringify(payload).slice(0, 40));
            assert.match(err.message, /ids/);
          }
        }
      });
    });

    it("an unknown message → UNKNOWN_MESSAGE", async () => {
      await unchanged(async () => {
        b.room.send("game_invitation:cancel", { invitationId });
        assert.equal((await b.box.next("error")).code, "UNKNOWN_MESSAGE");
      });
    });
  });
});

describe("user_lobby: friend requests", () => {
  it("tells the addressee's lobby about a new friend request at once", async () => {
    const [alice, bob] = await Promise.all([createUser(), createUser()]);
    const { room, box } = await openLobby(bob);
    const req = await api("POST", "/api/friends/requests", { token: alice.token, body: { username: bob.username } });
    assert.equal(req.status, 201);
    const event = await box.next("friend_request");
    assert.equal(event.id, req.body.id);
    assert.deepEqual(event.from, { id: alice.id, username: alice.username });
    await room.leave();
  });
});

describe("user_lobby: a lobby that died with its process", () => {
  it("takes its user offline for friends and expires their received invitations", async () => {
    const [alice, bob] = await Promise.all([createUser(), createUser()]);
    await befriend(alice, bob);
    const aliceDevice = await openLobby(alice);
    const bobDevice = await openLobby(bob);
    await aliceDevice.box.next("presence", 4000, (p) => p.userId === bob.id && p.online);
    const { invitationId } = await invite(aliceDevice, bob);
    await bobDevice.box.next("game_invitation_received");

    // Pretend Bob's lobby lived on a process that is gone: the sweep finds its entry stale.
    await matchMaker.presence.hset("rally:online", bob.id, "dead-process");
    const gone = await ctx().services.presence.pruneDeadProcesses(new Set([matchMaker.processId]));
    assert.deepEqual(gone, [bob.id]);

    const presence = await aliceDevice.box.next("presence", 4000, (p) => p.userId === bob.id && !p.online);
    assert.deepEqual(seenAt(withoutSeq(presence)), { userId: bob.id, online: false });
    await until(() => aliceDevice.room.state.friends.get(bob.id)?.online === false, 4000, "friends state offline");
    const updated = await aliceDevice.box.next("game_invitation_updated");
    assert.deepEqual(withoutSeq(updated), { invitationId, status: "expired" });
    assert.equal(await ctx().delivery.isOnline(bob.id), false);
    // A second sweep finds nothing more to announce.
    assert.deepEqual(await ctx().services.presence.pruneDeadProcesses(new Set([matchMaker.processId])), []);
  });
});
