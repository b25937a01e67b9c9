import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ctx, sdk, type Room } from "../helpers/server";
import { refusal } from "../helpers/room";
import { bulkUsers, serverRoom, TRIVIA_QUESTIONS } from "../reliability/support/world";
import type { TestUser } from "../helpers/users";

/**
 * One live room per key, whatever the client calls (issue 14; src/realtime/roomDirectory.ts):
 * 20 racing `create`s per kind leave exactly one room, the losers are refused with 409
 * ROOM_EXISTS, and `join`/`joinOrCreate` land in that one room.
 */

const RACERS = 20;

interface Raced {
  joined: Room[];
  refused: Array<{ code: unknown; message: string }>;
}

async function race(calls: Array<() => Promise<Room>>): Promise<Raced> {
  const warn = console.warn;
  console.warn = () => undefined;
  const settled = await Promise.allSettled(calls.map((c) => c())).finally(() => (console.warn = warn));
  const joined: Room[] = [];
  const refused: Raced["refused"] = [];
  for (const s of settled) {
    if (s.status === "fulfilled") joined.push(s.value);
    else refused.push({ code: s.reason?.code, message: s.reason?.message });
  }
  return { joined, refused };
}

function assertOneWinner(result: Raced): void {
  assert.equal(
    result.joined.length,
    1,
    `exactly one create won; refusals: ${JSON.stringify(result.refused.slice(0, 3))}`,
  );
  assert.equal(result.refused.length, RACERS - 1);
  for (const r of result.refused) {
    assert.equal(r.code, 409, JSON.stringify(r));
    assert.match(r.message, /^ROOM_EXISTS/);
  }
}

const rooms = (name: string, filter: Record<string, unknown> = {}) => matchMaker.query({ name, ...filter });

describe("one live room per key (RoomDirectory)", () => {
  let users: TestUser[];
  beforeEach(async () => {
    users = await bulkUsers(RACERS, { orgId: "acme" });
  });

  it(`space: ${RACERS} racing creates for one space open one room, and capacity holds`, async () => {
    const [admin, member] = users;
    const space = await ctx().services.spaces.create(admin!.id, { name: "Keyed plaza", capacity: 2 });
    await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
      space.id,
      member!.id,
    ]);
    const result = await race(
      Array.from(
        { length: RACERS },
        (_, i) => () => sdk((i % 2 ? member : admin)!.token).create("space", { spaceId: space.id }),
      ),
    );
    assertOneWinner(result);
    const live = await rooms("space", { spaceId: space.id });
    assert.equal(live.length, 1);
    // The other member joins the one room; a second seat is refused: capacity 2 holds.
    const winner = result.joined[0]!;
    const other = serverRoom<any>(winner.roomId).clients[0].auth.id === admin!.id ? member! : admin!;
    const second = await sdk(other.token).joinOrCreate("space", { spaceId: space.id });
    assert.equal(second.roomId, winner.roomId);
    assert.equal(serverRoom<any>(winner.roomId).state.users.size, 2);
    assert.equal((await refusal(sdk(other.token).create("space", { spaceId: space.id }))).code, 409);
    assert.equal((await rooms("space", { spaceId: space.id })).length, 1);
  });

  it(`conversation: ${RACERS} racing creates by both participants open one room`, async () => {
    const [alice, bob] = users;
    const { conversation } = await ctx().services.conversations.openDirect(alice!.id, bob!.id);
    const result = await race(
      Array.from(
        { length: RACERS },
        (_, i) => () => sdk((i % 2 ? bob : alice)!.token).create("conversation", { conversationId: conversation.id }),
      ),
    );
    assertOneWinner(result);
    assert.equal((await rooms("conversation", { conversationId: conversation.id })).length, 1);
    const joined = await sdk(bob!.token).join("conversation", { conversationId: conversation.id });
    assert.equal(joined.roomId, result.joined[0]!.roomId);
  });

  it(`trivia: ${RACERS} racing creates for one session open one room`, async () => {
    const [host, ...players] = users;
    const session = await ctx().services.trivia.create(host!, { title: "Keyed quiz", questions: TRIVIA_QUESTIONS });
    const result = await race(
      Array.from(
        { length: RACERS },
        (_, i) => () => sdk(players[i % players.length]!.token).create("trivia", { sessionId: session.id }),
      ),
    );
    assertOneWinner(result);
    assert.equal((await rooms("trivia", { sessionId: session.id })).length, 1);
    const hostSeat = await sdk(host!.token).joinOrCreate("trivia", { sessionId: session.id });
    assert.equal(hostSeat.roomId, result.joined[0]!.roomId);
  });

  it(`user_lobby: ${RACERS} racing creates by one user open one lobby`, async () => {
    const [bob] = users;
    const result = await race(Array.from({ length: RACERS }, () => () => sdk(bob!.token).create("user_lobby")));
    assertOneWinner(result);
    assert.equal((await rooms("user_lobby", { ownerId: bob!.id })).length, 1);
  });

  it(`bigger_dice: ${RACERS} racing creates of one name by different users open one room with one player`, async () => {
    const result = await race(users.map((u) => () => sdk(u.token).create("bigger_dice", { roomName: "keyed-table" })));
    assertOneWinner(result);
    const live = await rooms("bigger_dice", { roomName: "keyed-table" });
    assert.equal(live.length, 1);
    assert.equal(serverRoom<any>(live[0]!.roomId).state.players.size, 1);
    // join and joinOrCreate by name land in it.
    const second = await sdk(users[1]!.token).joinOrCreate("bigger_dice", { roomName: "keyed-table" });
    assert.equal(second.roomId, live[0]!.roomId);
    assert.equal((await rooms("bigger_dice", { roomName: "keyed-table" })).length, 1);
  });

  it("a mixed race of create, joinOrCreate and join for one key leaves one room holding every seat it granted", async () => {
    const [admin, ...members] = users;
    const space = await ctx().services.spaces.create(admin!.id, { name: "Mixed plaza", capacity: RACERS });
    await ctx().db.query(
      "INSERT INTO space_members (space_id, user_id, role) SELECT $1, unnest($2::uuid[]), 'member'",
      [space.id, members.map((m) => m.id)],
    );
    const methods = ["create", "joinOrCreate", "join"] as const;
    const result = await race(
      users.map(
        (u, i) => () => (sdk(u.token) as any)[methods[i % 3]!]("space", { spaceId: space.id }) as Promise<Room>,
      ),
    );
    const live = await rooms("space", { spaceId: space.id });
    assert.equal(live.length, 1, "one room for the space");
    assert.ok(result.joined.every((r) => r.roomId === live[0]!.roomId));
    assert.equal(serverRoom<any>(live[0]!.roomId).state.users.size, result.joined.length);
    // Refused: creates that lost (409 ROOM_EXISTS), and joins that came before the room (521).
    for (const r of result.refused) assert.ok([409, 521].includes(r.code as number), JSON.stringify(r));
  });
});
