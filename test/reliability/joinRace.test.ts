import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ctx, sdk, type Room } from "../helpers/server";
import { MAX_SPECTATORS } from "../../src/systems/biggerDice/BiggerDiceRoom";
import { bulkUsers, serverRoom, setConfig, TRIVIA_QUESTIONS } from "./support/world";

/**
 * Join races (issue 8): 100 clients joining at once never put more than N into a room, for
 * every room kind, counted on the server (room.clients and the room's state), and never open
 * a second room for the same thing.
 */

const RACERS = 100;

interface RaceResult {
  joined: Room[];
  refused: Array<{ code: unknown; message: string }>;
}

async function race(joins: Array<() => Promise<Room>>): Promise<RaceResult> {
  // The SDK warns for each refused join and each event nobody listens to: hundreds of lines.
  const warn = console.warn;
  console.warn = () => undefined;
  const settled = await Promise.allSettled(
    joins.map((j) => j().then((room) => (room.onMessage("*", () => undefined), room))),
  ).finally(() => (console.warn = warn));
  const joined: Room[] = [];
  const refused: RaceResult["refused"] = [];
  for (const s of settled) {
    if (s.status === "fulfilled") joined.push(s.value);
    else refused.push({ code: s.reason?.code, message: s.reason?.message });
  }
  return { joined, refused };
}

/**
 * Refusals are 409, or 521 "no rooms found": under a burst the matchmaker counts seats being
 * reserved (for joins the room is about to refuse) towards maxClients, so the room is briefly
 * locked and hidden from join-by-name.
 */
function assertRefused({ refused }: RaceResult): void {
  const odd = refused.filter((r) => r.code !== 409 && !(r.code === 521 && /no rooms found/.test(r.message)));
  assert.deepEqual(odd, [], "refusals are 409 (or 521 while seats are being reserved)");
}

/** Every live room of a kind matching `filter`, from the matchmaker. */
const roomsOf = (name: string, filter: Record<string, unknown> = {}) => matchMaker.query({ name, ...filter });

describe("join races", () => {
  it(`bigger_dice: ${RACERS} players racing for one table seat only one; ${RACERS} spectators never pass ${MAX_SPECTATORS}`, async function () {
    this.timeout(30_000);
    const [owner, ...others] = await bulkUsers(1 + RACERS * 2);
    const first = await sdk(owner!.token).create("bigger_dice", { roomName: "race-table" });
    const room = serverRoom<any>(first.roomId);

    const players = await race(
      others.slice(0, RACERS).map((u) => () => sdk(u.token).join("bigger_dice", { roomName: "race-table" })),
    );
    assert.equal(players.joined.length, 1, "one seat was free");
    assertRefused(players);
    assert.equal(room.state.players.size, 2);

    const spectators = await race(
      others
        .slice(RACERS)
        .map((u) => () => sdk(u.token).join("bigger_dice", { roomName: "race-table", spectate: true })),
    );
    assert.equal(spectators.joined.length, MAX_SPECTATORS);
    assertRefused(spectators);
    assert.equal(room.state.spectators.size, MAX_SPECTATORS);
    assert.equal(room.clients.length, 2 + MAX_SPECTATORS, "server-side clients never past maxClients");
    assert.ok(room.clients.length <= room.maxClients);
    assert.equal((await roomsOf("bigger_dice", { roomName: "race-table" })).length, 1, "one room");
  });

  it(`space: ${RACERS} members racing into a space of capacity 5 seat exactly 5, in one room`, async function () {
    this.timeout(30_000);
    const [admin, ...members] = await bulkUsers(1 + RACERS);
    const space = await ctx().services.spaces.create(admin!.id, { name: "Race plaza", capacity: 5 });
    await ctx().db.query(
      "INSERT INTO space_members (space_id, user_id, role) SELECT $1, unnest($2::uuid[]), 'member'",
      [space.id, members.map((m) => m.id)],
    );
    const result = await race(members.map((u) => () => sdk(u.token).joinOrCreate("space", { spaceId: space.id })));
    assert.equal(result.joined.length, 5);
    assert.ok(
      result.refused.every((r) => r.code === 409),
      JSON.stringify(result.refused.slice(0, 3)),
    );
    const rooms = await roomsOf("space", { spaceId: space.id });
    assert.equal(rooms.length, 1, "one room for the space");
    const room = serverRoom<any>(rooms[0]!.roomId);
    assert.equal(room.clients.length, 5);
    assert.equal(room.state.users.size, 5);
  });

  describe("trivia", () => {
    let restore: () => void;
    beforeEach(() => {
      restore = setConfig({ TRIVIA_MAX_PARTICIPANTS: 5 });
    });
    afterEach(() => restore());

    it(`${RACERS} players racing into a session capped at 5 (TRIVIA_MAX_PARTICIPANTS) seat exactly 5, in one room`, async function () {
      this.timeout(30_000);
      const [host, ...players] = await bulkUsers(1 + RACERS, { orgId: "acme" });
      const session = await ctx().services.trivia.create(host!, { title: "Race quiz", questions: TRIVIA_QUESTIONS });
      // Nobody is in the session yet: the racers also race to create its room.
      const result = await race(
        players.map((u) => () => sdk(u.token).joinOrCreate("trivia", { sessionId: session.id })),
      );
      assert.equal(result.joined.length, 5);
      assert.ok(
        result.refused.every((r) => r.code === 409),
        JSON.stringify(result.refused.slice(0, 3)),
      );
      const rooms = await roomsOf("trivia", { sessionId: session.id });
      assert.equal(rooms.length, 1, "one room for the session");
      const room = serverRoom<any>(rooms[0]!.roomId);
      assert.equal(room.clients.length, 5);
      assert.equal(room.state.participants.size, 5);
    });
  });

  describe("with the per-user device cap lifted (MAX_CONNECTIONS_PER_USER=0; the cap has its own tests in test/rooms/userLimits.test.ts)", () => {
    let restore: () => void;
    beforeEach(() => {
      restore = setConfig({ MAX_CONNECTIONS_PER_USER: 0 });
    });
    afterEach(() => restore());

    it(`conversation: ${RACERS} devices of its two participants share one room (no device cap: N is the 2 participants); ${RACERS / 5} strangers get no seat`, async function () {
      this.timeout(30_000);
      const [alice, bob, ...strangers] = await bulkUsers(2 + RACERS / 5);
      const { conversation } = await ctx().services.conversations.openDirect(alice!.id, bob!.id);
      const options = { conversationId: conversation.id };
      const devices = Array.from({ length: RACERS }, (_, i) => (i % 2 ? alice! : bob!));
      const result = await race([
        ...devices.map((u) => () => sdk(u.token).joinOrCreate("conversation", options)),
        ...strangers.map((u) => () => sdk(u.token).joinOrCreate("conversation", options)),
      ]);
      assert.equal(result.joined.length, RACERS);
      assert.equal(result.refused.length, strangers.length);
      assert.ok(result.refused.every((r) => r.code === 403));
      const rooms = await roomsOf("conversation", options);
      assert.equal(rooms.length, 1, "one room for the conversation");
      const room = serverRoom<any>(rooms[0]!.roomId);
      assert.equal(room.clients.length, RACERS);
      assert.deepEqual([...room.state.participants.keys()].sort(), [alice!.id, bob!.id].sort());
      const userIds = new Set(room.clients.map((c: any) => c.auth.id));
      assert.deepEqual([...userIds].sort(), [alice!.id, bob!.id].sort(), "only the participants hold seats");
    });

    it(`user_lobby: ${RACERS} devices of one user racing in open one lobby (no device cap: N is its one owner); others racing alongside never land in it`, async function () {
      this.timeout(30_000);
      const [bob, ...others] = await bulkUsers(1 + RACERS / 5);
      const result = await race([
        ...Array.from({ length: RACERS }, () => () => sdk(bob!.token).joinOrCreate("user_lobby")),
        ...others.map((u) => () => sdk(u.token).joinOrCreate("user_lobby")),
      ]);
      assert.equal(result.refused.length, 0, JSON.stringify(result.refused.slice(0, 3)));
      const lobbies = await roomsOf("user_lobby", { ownerId: bob!.id });
      assert.equal(lobbies.length, 1, "one lobby for the user");
      const lobby = serverRoom<any>(lobbies[0]!.roomId);
      assert.equal(lobby.clients.length, RACERS);
      assert.ok(
        lobby.clients.every((c: any) => c.auth.id === bob!.id),
        "only the owner's devices",
      );
      assert.equal((await roomsOf("user_lobby")).length, 1 + others.length, "one lobby each");
    });
  });
});
