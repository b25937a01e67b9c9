import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Room } from "@colyseus/sdk";
import { inbox, type Inbox } from "../helpers/room";
import {
  Launcher,
  Nginx,
  api,
  befriend,
  cleanState,
  eventually,
  matchmake,
  register,
  rejection,
  requiredServices,
  sdk,
  sleep,
  tempDir,
  waitUntilUp,
  writeNginxConfig,
  type Joined,
  type User,
} from "./harness";

/**
 * Issue 9: two real rally processes (scripts/cluster.ts) sharing Redis and PostgreSQL, with
 * nginx in front rendered from deploy/nginx/rally.conf.template, exactly the topology of
 * docs/DEPLOY.md on loopback. Each process advertises nginx's path to itself as its public
 * address, so every WebSocket goes through nginx. A room is created by the process that
 * served its matchmaking request, so the tests place rooms by choosing the path they
 * matchmake through (`/rally-1/`, `/rally-2/`, or `/` for nginx's round robin), and read
 * where a room lives from the seat reservation.
 */

const NGINX_PORT = 2790;
const PROXY = `http://127.0.0.1:${NGINX_PORT}`;
/** Matchmaking and REST through nginx to one process (its HTTP port), or to either. */
const VIA = { any: PROXY, 1: `${PROXY}/rally-1`, 2: `${PROXY}/rally-2` } as const;
/** Each process's public address: nginx's path to it. */
const ADDRESS = { 1: `127.0.0.1:${NGINX_PORT}/rally-1`, 2: `127.0.0.1:${NGINX_PORT}/rally-2` } as const;

const withoutSeq = ({ seq: _seq, ...rest }: any) => rest;

/** `room.request`, failing with the server's `{code, message}` rather than "request rejected". */
async function request(room: Room, type: string, payload?: unknown): Promise<any> {
  try {
    return await room.request(type, payload);
  } catch (e: any) {
    throw new Error(`${type} rejected: ${JSON.stringify(e?.reason ?? e?.message ?? e)}`);
  }
}
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

interface Seat extends Joined {
  box: Inbox;
}

describe("two rally processes behind nginx, sharing Redis and PostgreSQL", function () {
  this.timeout(60_000);
  let launcher: Launcher;
  let nginx: Nginx;
  let nginxDir: string;
  let open: Room[] = [];

  /** Matchmake through `base` and record everything the client receives. */
  async function join(
    base: string,
    user: User,
    method: string,
    target: string,
    options: Record<string, unknown> = {},
  ): Promise<Seat> {
    const joined = await matchmake(base, user.token, method, target, options);
    // The tests decide when to reconnect: the SDK's own retries against a killed process's
    // address would go on in the background for about a minute.
    joined.room.reconnection.enabled = false;
    open.push(joined.room);
    joined.room.onLeave(() => (open = open.filter((r) => r !== joined.room)));
    return { ...joined, box: inbox(joined.room) };
  }

  async function lobby(base: string, user: User): Promise<Seat> {
    const seat = await join(base, user, "joinOrCreate", "user_lobby");
    await eventually(() => seat.room.state?.friends !== undefined, 5000, "the lobby state");
    return seat;
  }

  const listed = async (base: string, token: string): Promise<any[]> => {
    const res = await api(base, "GET", "/api/rooms/bigger_dice", { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.items;
  };

  before(async function () {
    this.timeout(120_000);
    const { databaseUrl, redisUrl } = requiredServices();
    await cleanState(databaseUrl, redisUrl);
    nginxDir = tempDir("rally-cluster-nginx-");
    const conf = writeNginxConfig(nginxDir, {
      RALLY_1: "127.0.0.1:2701",
      RALLY_2: "127.0.0.1:2702",
      NGINX_LISTEN: `127.0.0.1:${NGINX_PORT}`,
      NGINX_ACCESS_LOG: path.join(nginxDir, "access.log"),
    });
    nginx = new Nginx(nginxDir, conf);
    launcher = new Launcher({
      size: 2,
      basePort: 2701,
      publicAddressTemplate: `127.0.0.1:${NGINX_PORT}/rally-{index}`,
      // A process killed by the death test stays dead (the launcher would restart it).
      env: { CLUSTER_RESTART: "0", RECONNECT_SECONDS: "2", DICE_RECONNECT_SECONDS: "2" },
      logName: "launcher.log",
    });
    await launcher.ready();
    try {
      await waitUntilUp(`${VIA[1]}/readyz`, 10_000);
      await waitUntilUp(`${VIA[2]}/readyz`, 10_000);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}\nnginx ${nginx.running ? "is running" : "exited"}:\n${nginx.tail()}\n${nginx.errorLog()}`,
      );
    }
  });

  afterEach(async () => {
    const leaving = open.map((room) => Promise.race([room.leave(true).catch(() => undefined), sleep(2000)]));
    open = [];
    await Promise.all(leaving);
  });

  after(async function () {
    this.timeout(30_000);
    await launcher?.stop("SIGTERM");
    await nginx?.stop("SIGQUIT");
    nginx?.keepLogs();
    if (nginxDir) fs.rmSync(nginxDir, { recursive: true, force: true });
  });

  it("places a room on the process that served its matchmaking, and its WebSocket goes through nginx to that process", async () => {
    const alice = await register(VIA[1], "alice");
    const bob = await register(VIA[2], "bob");
    const a = await lobby(VIA[1], alice);
    const b = await lobby(VIA[2], bob);
    assert.equal(a.seat.publicAddress, ADDRESS[1]);
    assert.equal(b.seat.publicAddress, ADDRESS[2]);
    assert.notEqual(a.seat.processId, b.seat.processId, "two processes");
    assert.equal(a.room.roomId, a.seat.roomId);

    // nginx logs a WebSocket when it closes: the upgrade (101) on each process's own path.
    await a.room.leave(true);
    await b.room.leave(true);
    const upgraded = (address: string, seat: Seat) =>
      nginx
        .requestLog()
        .some((l) =>
          l.includes(`"GET /${address.split("/")[1]}/${seat.seat.processId}/${seat.seat.roomId} HTTP/1.1" 101`),
        );
    await eventually(
      () => upgraded(ADDRESS[1], a) && upgraded(ADDRESS[2], b),
      5000,
      "nginx to log both WebSocket upgrades",
    );
    assert.ok(!nginx.requestLog().some((l) => l.includes("_authToken")), "tokens stay out of the access log");
  });

  it("delivers a game invitation from a user on process 1 to their friend on process 2; accepted, both play the dice room on one process to the end", async function () {
    this.timeout(90_000);
    const alice = await register(VIA.any, "alice");
    const bob = await register(VIA.any, "bob");
    await befriend(alice, VIA[1], bob, VIA[2]);
    const a = await lobby(VIA[1], alice);
    const b = await lobby(VIA[2], bob);
    assert.equal(a.seat.publicAddress, ADDRESS[1]);
    assert.equal(b.seat.publicAddress, ADDRESS[2]);

    const { invitationId } = await request(a.room, "game_invitation:send", { toUserId: bob.id, map: "canyon" });
    const received = await b.box.next("game_invitation_received", 5000);
    assert.equal(received.invitationId, invitationId);
    assert.equal(received.sender_username, alice.username);
    assert.equal(received.map, "canyon");
    await eventually(() => b.room.state.invitations.get(invitationId), 5000, "the invitation in bob's lobby state");

    const accepted = await request(b.room, "game_invitation:accept", { invitationId });
    const readyA = await a.box.next("game_ready", 5000);
    const readyB = await b.box.next("game_ready", 5000);
    assert.equal(readyA.roomId, accepted.roomId);
    assert.equal(readyB.roomId, accepted.roomId);

    // Alice matchmakes through process 1; the room lives on process 2 (which served the
    // accept), so her seat is reserved across processes and she connects to process 2.
    const ga = await join(VIA[1], alice, "joinById", readyA.roomId);
    const gb = await join(VIA[2], bob, "joinById", readyB.roomId);
    assert.equal(ga.seat.processId, b.seat.processId, "the game lives on process 2");
    assert.equal(gb.seat.processId, b.seat.processId);
    assert.equal(ga.seat.publicAddress, ADDRESS[2]);
    assert.equal(ga.room.roomId, gb.room.roomId);

    await request(ga.room, "ready");
    await request(gb.room, "ready");
    const started = await ga.box.next("game_started", 5000);
    const ended = await playToTheEnd(
      new Map([
        [alice.id, ga],
        [bob.id, gb],
      ]),
      started.first_turn,
    );
    assert.equal(ended.reason, "win");
    assert.ok([alice.id, bob.id].includes(ended.winner_id));
    assert.equal(ended.final_scores.find((s: any[]) => s[0] === ended.winner_id)[2], 10);
    assert.equal((await gb.box.next("game_ended", 5000)).winner_id, ended.winner_id);

    // Stored once, readable through either process.
    for (const base of [VIA[1], VIA[2]]) {
      const history = await api(base, "GET", `/api/games/history?userId=${bob.id}`, { token: alice.token });
      assert.equal(history.status, 200);
      assert.equal(history.body.items.length, 1);
      assert.equal(history.body.items[0].winnerId, ended.winner_id);
    }
  });

  it("delivers a chat message between participants who matchmade through different processes, and a REST message posted to the other process reaches the live room", async () => {
    const alice = await register(VIA.any, "alice");
    const bob = await register(VIA.any, "bob");
    // Issue 14: only friends or matches may open a conversation.
    await befriend(alice, VIA[1], bob, VIA[2]);
    const created = await api(VIA[1], "POST", "/api/v1/conversations", {
      token: alice.token,
      body: { participantId: bob.id },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const conversationId = created.body.id;

    const a = await join(VIA[1], alice, "joinOrCreate", "conversation", { conversationId });
    const b = await join(VIA[2], bob, "joinOrCreate", "conversation", { conversationId });
    assert.equal(b.room.roomId, a.room.roomId, "one room for the conversation");
    assert.equal(a.seat.publicAddress, ADDRESS[1]);
    assert.equal(b.seat.publicAddress, ADDRESS[1], "process 2's matchmaker found the room on process 1");
    await a.box.next("user_status", 5000, (e) => e.user_id === bob.id && e.status === "online");

    await request(a.room, "message", { content: "hello from alice", clientMessageId: unique("m") });
    const got = await b.box.next("message", 5000, (m) => m.message.content === "hello from alice");
    assert.equal(got.message.sender.id, alice.id);

    // Process 2 serves the POST; the room on process 1 hears it through Redis.
    const posted = await api(VIA[2], "POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { content: "posted to process 2" },
    });
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    const live = await a.box.next("message", 5000, (m) => m.message.content === "posted to process 2");
    assert.equal(live.message.id, posted.body.id);
    assert.equal(live.message.sender.id, bob.id);
  });

  it("shows a friend whose lobby is on the other process online, and offline when they leave", async () => {
    const alice = await register(VIA.any, "alice");
    const bob = await register(VIA.any, "bob");
    await befriend(alice, VIA.any, bob, VIA.any);
    const a = await lobby(VIA[1], alice);
    assert.equal(a.room.state.friends.get(bob.id).online, false);

    const b = await lobby(VIA[2], bob);
    assert.notEqual(b.seat.processId, a.seat.processId);
    assert.deepEqual(withoutSeq(await a.box.next("presence", 5000)), { userId: bob.id, online: true });
    await eventually(() => a.room.state.friends.get(bob.id).online === true, 5000, "bob online in alice's state");
    await eventually(() => b.room.state.friends.get(alice.id)?.online === true, 5000, "alice online in bob's state");
    const friends = await api(VIA[1], "GET", "/api/friends", { token: alice.token });
    assert.equal(friends.body.items.find((f: any) => f.user.id === bob.id).online, true);

    await b.room.leave(true);
    const offline = withoutSeq(await a.box.next("presence", 5000));
    assert.ok(Date.parse(offline.lastSeenAt) > Date.now() - 60_000, `lastSeenAt: ${offline.lastSeenAt}`);
    assert.deepEqual(offline, { userId: bob.id, online: false, lastSeenAt: offline.lastSeenAt });
    await eventually(() => a.room.state.friends.get(bob.id).online === false, 5000, "bob offline in alice's state");
  });

  it("notifies a lobby on process 2 of REST calls served by process 1 (friend request accepted, space invite)", async () => {
    const alice = await register(VIA.any, "alice");
    const bob = await register(VIA.any, "bob");
    const a = await lobby(VIA[2], alice);
    const b = await lobby(VIA[2], bob);
    assert.equal(a.seat.publicAddress, ADDRESS[2]);
    assert.equal(b.seat.publicAddress, ADDRESS[2]);

    const request = await api(VIA[1], "POST", "/api/friends/requests", {
      token: alice.token,
      body: { username: bob.username },
    });
    assert.equal(request.status, 201);
    const accepted = await api(VIA[1], "POST", `/api/friends/requests/${request.body.id}/accept`, { token: bob.token });
    assert.equal(accepted.status, 200);
    assert.deepEqual(withoutSeq(await a.box.next("friends_changed", 5000)), { friendshipId: request.body.id });
    await eventually(() => a.room.state.friends.get(bob.id), 5000, "bob in alice's friends");

    const space = await api(VIA[1], "POST", "/api/spaces", {
      token: alice.token,
      body: { name: unique("space"), capacity: 5 },
    });
    assert.equal(space.status, 201, JSON.stringify(space.body));
    const sent = await api(VIA[1], "POST", "/metaverse/invites/send", {
      token: alice.token,
      body: { toUserId: bob.id, spaceId: space.body.id },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const invite = await b.box.next("INVITE_RECEIVED", 5000);
    assert.equal(invite.invite.id, sent.body.data.invite.id);
    assert.equal(invite.invite.space.id, space.body.id);
    await eventually(() => b.room.state.unread === 1, 5000, "bob's unread count");
  });

  it("lists live bigger_dice rooms of both processes, asked through either process or nginx", async () => {
    const [east, west] = [await register(VIA.any, "east"), await register(VIA.any, "west")];
    const eastName = unique("east");
    const westName = unique("west");
    const e = await join(VIA[1], east, "create", "bigger_dice", { roomName: eastName });
    const w = await join(VIA[2], west, "create", "bigger_dice", { roomName: westName });
    assert.equal(e.seat.publicAddress, ADDRESS[1]);
    assert.equal(w.seat.publicAddress, ADDRESS[2]);

    for (const base of [VIA[1], VIA[2], VIA.any]) {
      const items = await listed(base, east.token);
      const byId = new Map(items.map((r) => [r.roomId, r]));
      assert.equal(byId.get(e.room.roomId)?.metadata.roomName, eastName, `through ${base}`);
      assert.equal(byId.get(w.room.roomId)?.metadata.roomName, westName, `through ${base}`);
    }
  });

  it("spreads rooms matchmade through nginx's / over both processes, and seats in any of them can be taken through /", async () => {
    const hosts = await Promise.all([1, 2, 3, 4].map(() => register(VIA.any, "host")));
    const guests = await Promise.all([1, 2, 3, 4].map(() => register(VIA.any, "guest")));
    const names = hosts.map(() => unique("rr"));
    const rooms: Seat[] = [];
    for (const [i, host] of hosts.entries())
      rooms.push(await join(VIA.any, host, "create", "bigger_dice", { roomName: names[i] }));
    assert.deepEqual(
      new Set(rooms.map((r) => r.seat.publicAddress)),
      new Set([ADDRESS[1], ADDRESS[2]]),
      "nginx round-robin reached both",
    );

    for (const [i, created] of rooms.entries()) {
      const guest = await join(VIA.any, guests[i]!, "join", "bigger_dice", { roomName: names[i] });
      assert.equal(guest.room.roomId, created.room.roomId);
      assert.equal(guest.seat.publicAddress, created.seat.publicAddress);
      const joined = await created.box.next(
        "room_joined",
        5000,
        (e) => e.player?.userId === guests[i]!.id || e.player?.user_id === guests[i]!.id,
      );
      assert.equal(joined.room_id, created.room.roomId);
    }
  });

  it("kill -9 of process 2: its rooms leave the listings in bounded time, its clients' reconnects are refused promptly, its users go offline, and process 1 keeps serving", async function () {
    this.timeout(90_000);
    const [alice, bob, carol, dave, erin] = await Promise.all([
      register(VIA.any, "alice"),
      register(VIA.any, "bob"),
      register(VIA.any, "carol"),
      register(VIA.any, "dave"),
      register(VIA.any, "erin"),
    ]);
    await befriend(alice, VIA.any, bob, VIA.any);
    const a = await lobby(VIA[1], alice);
    await lobby(VIA[2], bob);
    assert.deepEqual(withoutSeq(await a.box.next("presence", 5000)), { userId: bob.id, online: true });

    const doomedName = unique("doomed");
    const doomed = await join(VIA[2], carol, "create", "bigger_dice", { roomName: doomedName });
    const guest = await join(VIA.any, dave, "join", "bigger_dice", { roomName: doomedName });
    const survivor = await join(VIA[1], erin, "create", "bigger_dice", { roomName: unique("survivor") });
    assert.equal(doomed.seat.publicAddress, ADDRESS[2]);
    assert.equal(guest.seat.publicAddress, ADDRESS[2]);
    assert.equal(survivor.seat.publicAddress, ADDRESS[1]);
    const before = (await listed(VIA.any, erin.token)).map((r) => r.roomId);
    assert.ok(before.includes(doomed.room.roomId) && before.includes(survivor.room.roomId));

    // The SDK would retry the dead address on its own for about a minute; the test asks
    // the matchmaker instead, as a client that wants an answer does.
    doomed.room.reconnection.enabled = false;
    const reconnectionToken = doomed.room.reconnectionToken;
    const left = new Promise<number>((resolve) => doomed.room.onLeave((code) => resolve(code)));

    const pid = await launcher.pidOf(2);
    const killedAt = Date.now();
    process.kill(pid, "SIGKILL");
    await launcher.waitForLine(/^\[rally-2 :2702\] exited \(SIGKILL\)$/, 5000);

    const code = await Promise.race([left, sleep(5000).then(() => "no close within 5 s")]);
    assert.equal(code, 1006, "the client sees its connection drop");

    // Right away (the room is still listed): refused within the IPC timeout, not a hang.
    const early = await rejection(sdk(VIA.any, carol.token).reconnect(reconnectionToken));
    assert.ok(early.ms < 10_000, `reconnect answered in ${early.ms} ms`);
    assert.ok(typeof early.code === "number" && early.message.length > 0, JSON.stringify(early));

    // The sweep (every STALE_PROCESS_SWEEP_MS, 3 s by default) health-checks a process that
    // left its presence channel (2 s IPC timeout) and removes its rooms.
    await eventually(
      async () => !(await listed(VIA.any, erin.token)).some((r) => r.roomId === doomed.room.roomId),
      15_000,
      "the dead process's room to leave the listing",
      50,
    );
    const cleanupMs = Date.now() - killedAt;
    const after = (await listed(VIA.any, erin.token)).map((r) => r.roomId);
    assert.ok(after.includes(survivor.room.roomId), "the survivor's room stays listed");
    console.log(`      ↳ rooms of the killed process left the listing ${cleanupMs} ms after kill -9`);
    console.log(
      `      ↳ reconnect to its room right after the kill refused in ${early.ms} ms: ${early.code} ${early.message.slice(0, 60)}…`,
    );

    // Later: refused at once, saying the room is gone.
    const late = await rejection(sdk(VIA.any, carol.token).reconnect(reconnectionToken));
    assert.equal(late.code, 522, JSON.stringify(late));
    assert.match(late.message, /disposed/);
    assert.ok(late.ms < 2000, `${late.ms} ms`);
    console.log(`      ↳ after cleanup refused in ${late.ms} ms: ${late.code} ${late.message}`);

    // Bob's lobby died with the process: he no longer counts as online.
    await eventually(
      async () => {
        const friends = await api(VIA.any, "GET", "/api/friends", { token: alice.token });
        return friends.body.items.find((f: any) => f.user.id === bob.id).online === false;
      },
      10_000,
      "bob offline in alice's friends list",
    );
    // …and his friends' lobbies are told, as if he had left (with when he was last seen).
    const offline = withoutSeq(await a.box.next("presence", 5000));
    assert.ok(Date.parse(offline.lastSeenAt) > Date.now() - 60_000, `lastSeenAt: ${offline.lastSeenAt}`);
    assert.deepEqual(offline, { userId: bob.id, online: false, lastSeenAt: offline.lastSeenAt });
    const refused = await rejection(a.room.request("game_invitation:send", { toUserId: bob.id, map: "canyon" }));
    assert.equal(refused.code, "USER_OFFLINE");

    // Process 1 keeps serving REST and joins, through nginx's / as well as its own path.
    const frank = await register(VIA.any, "frank");
    const gina = await register(VIA[1], "gina");
    const freshName = unique("after");
    const fresh = await join(VIA.any, frank, "create", "bigger_dice", { roomName: freshName });
    assert.equal(fresh.seat.publicAddress, ADDRESS[1]);
    const seated = await join(VIA.any, gina, "join", "bigger_dice", { roomName: freshName });
    assert.equal(seated.room.roomId, fresh.room.roomId);
    const back = await lobby(VIA.any, bob);
    assert.equal(back.seat.publicAddress, ADDRESS[1], "bob's lobby reopens on the surviving process");
    assert.deepEqual(withoutSeq(await a.box.next("presence", 5000)), { userId: bob.id, online: true });

    // The dead process's own path fails fast at nginx.
    const t0 = Date.now();
    const direct = await api(VIA[2], "GET", "/healthz");
    assert.equal(direct.status, 502);
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe("the cluster launcher (scripts/cluster.ts)", function () {
  this.timeout(90_000);
  before(() => void requiredServices());

  it("restarts a process that crashes, and on SIGTERM stops every process gracefully, each exiting 0, then exits 0", async () => {
    const launcher = new Launcher({ size: 2, basePort: 2711, logName: "launcher-sigterm.log" });
    try {
      await launcher.ready();
      const base1 = "http://127.0.0.1:2711";
      const user = await register(base1, "sig");
      const seat = await matchmake(base1, user.token, "joinOrCreate", "user_lobby");
      assert.equal(seat.seat.publicAddress, "127.0.0.1:2711");
      const left = new Promise<number>((resolve) => seat.room.onLeave((code) => resolve(code)));

      // A crash is followed by a restart with a new pid.
      const from = launcher.lines.length;
      const firstPid = await launcher.pidOf(2);
      process.kill(firstPid, "SIGKILL");
      await launcher.waitForLine(/^\[rally-2 :2712\] restarting in 1 s$/, 5000, from);
      const secondPid = await launcher.pidOf(
        2,
        launcher.lines.findIndex((l, i) => i >= from && /restarting/.test(l)),
      );
      assert.notEqual(secondPid, firstPid);
      await waitUntilUp("http://127.0.0.1:2712/readyz", 30_000);

      const stoppedAt = Date.now();
      const exit = await launcher.stop("SIGTERM", 30_000);
      assert.deepEqual(exit, { code: 0, signal: null }, launcher.tail());
      assert.ok(launcher.lines.includes("[rally-1 :2711] exited (0)"), launcher.tail());
      assert.ok(launcher.lines.includes("[rally-2 :2712] exited (0)"), launcher.tail());
      for (const index of [1, 2]) {
        assert.ok(
          launcher.lines.some((l) => l.startsWith(`[rally-${index} :271${index}] {`) && l.includes('"msg":"bye"')),
          `process ${index} finished its shutdown`,
        );
      }
      console.log(`      ↳ SIGTERM to exit 0 in ${Date.now() - stoppedAt} ms`);
      assert.equal(
        typeof (await Promise.race([left, sleep(2000).then(() => "no close")])),
        "number",
        "the client was disconnected",
      );
      await assert.rejects(fetch("http://127.0.0.1:2711/healthz"));
    } finally {
      if (launcher.running) await launcher.stop("SIGKILL");
    }
  });
});

/**
 * Roll for whoever's turn it is until the game ends. A roll's reply follows its events, so
 * the roller has seen that roll's `turn_changed` (or `game_ended`) when the request resolves;
 * the previous roll's `turn_changed` may still arrive after it (another connection), which
 * is why turns are told apart by `turn_number`.
 */
async function playToTheEnd(seats: Map<string, Seat>, firstTurn: string): Promise<any> {
  let turn = firstTurn;
  let turnNumber = -Infinity;
  for (let rolls = 0; rolls < 1000; rolls++) {
    const roller = seats.get(turn);
    assert.ok(roller, `turn ${turn} is one of the players`);
    await request(roller.room, "roll");
    const next = await eventually(
      () =>
        roller.box.all.find(
          (m) => m.type === "game_ended" || (m.type === "turn_changed" && m.payload.turn_number > turnNumber),
        ),
      5000,
      "the roll's outcome",
      10,
    );
    if (next.type === "game_ended") return next.payload;
    turn = next.payload.current_turn;
    turnNumber = next.payload.turn_number;
  }
  throw new Error("no game_ended after 1000 rolls");
}
