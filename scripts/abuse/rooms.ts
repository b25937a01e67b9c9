/**
 * Room attacks for `npm run abuse` (issue 14): racing creates for one key, rooms created over
 * plain HTTP and never joined, one user opening many connections, and one user flooding
 * across several connections. Each is bounded in count and time and speaks to the target
 * server only, through the same matchmaking routes and SDK any client uses.
 */
import { Client, type Room } from "@colyseus/sdk";
import type { AbuseTarget, AbuseUser, Attack } from "./types";

/** "3 × 200, 297 × 429 TOO_MANY_ROOMS": how often each answer came back. */
function tally(answers: string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n} × ${k}`).join(", ");
}

/** A matchmaking refusal as "409 ROOM_EXISTS" (the code is the message's first word when it has one). */
function refusalOf(e: unknown): string {
  const err = e as { code?: unknown; message?: string };
  const word = /^([A-Z_]{4,})\b/.exec(err.message ?? "")?.[1];
  const code = typeof err.code === "number" || typeof err.code === "string" ? err.code : "error";
  return `${code}${word ? ` ${word}` : ""}`;
}

function sdk(target: AbuseTarget, user: AbuseUser): Client {
  const client = new Client(target.baseUrl);
  client.auth.token = user.token;
  return client;
}

/** Run the joins at once; the joined rooms are left again at the end. */
async function settle(joins: Array<() => Promise<Room>>): Promise<{ joined: Room[]; answers: string[] }> {
  const warn = console.warn;
  console.warn = () => undefined; // the SDK warns for every refused join
  try {
    const settled = await Promise.allSettled(joins.map((j) => j()));
    const joined = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const answers = settled.map((s) => (s.status === "fulfilled" ? "joined" : refusalOf(s.reason)));
    return { joined, answers };
  } finally {
    console.warn = warn;
  }
}

async function leaveAll(rooms: Room[]): Promise<void> {
  await Promise.all(rooms.map((r) => r.leave(true).catch(() => undefined)));
}

/** The JSON body of a REST call (undefined if it is not JSON); T is what the route answers. */
async function rest<T>(
  target: AbuseTarget,
  user: AbuseUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<Partial<T> | undefined> {
  const res = await fetch(`${target.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (res.json() as Promise<Partial<T>>).catch(() => undefined);
}

const RACERS = 20;

const racingCreates: Attack = {
  name: "20 racing creates per room kind",
  sent: "20 × `create` at once for one key, for user_lobby, bigger_dice, space and conversation",
  async run(target) {
    const [alice, bob] = [await target.user("race"), await target.user("race")];
    const space = await rest<{ id: string }>(target, alice, "POST", "/api/spaces", {
      name: "Abuse plaza",
      capacity: 2,
    });
    await rest(target, alice, "POST", "/api/v1/matching/likes", { userId: bob.id });
    const liked = await rest<{ conversationId: string }>(target, bob, "POST", "/api/v1/matching/likes", {
      userId: alice.id,
    });
    const kinds: Array<[string, Record<string, unknown>]> = [
      ["user_lobby", {}],
      ["bigger_dice", { roomName: `abuse-${Date.now()}` }],
      ["space", { spaceId: space?.id }],
      ["conversation", { conversationId: liked?.conversationId }],
    ];
    const parts: string[] = [];
    for (const [kind, options] of kinds) {
      const { joined, answers } = await settle(
        Array.from({ length: RACERS }, () => () => sdk(target, alice).create(kind, options)),
      );
      const rooms = new Set(joined.map((r) => r.roomId)).size;
      parts.push(`${kind}: ${rooms} room (${tally(answers)})`);
      await leaveAll(joined);
    }
    return { answered: parts.join("; ") };
  },
};

const unjoinedDiceRooms: Attack = {
  name: "300 dice rooms over plain HTTP",
  sent: "300 × `POST /matchmake/create/bigger_dice` by one user, seats never used",
  async run(target) {
    const user = await target.user("squatter");
    const answers: string[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const res = await fetch(`${target.baseUrl}/matchmake/create/bigger_dice`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
            body: JSON.stringify({ roomName: `squat-${user.id.slice(0, 8)}-${batch * 50 + i}` }),
          }).catch(() => undefined);
          if (!res) return "error";
          const body = (await res.json().catch(() => ({}))) as { error?: string };
          return refusalOf({ code: res.status, message: res.status === 200 ? "" : body.error });
        }),
      );
      answers.push(...results);
    }
    const listed = await rest<{ items: Array<{ metadata?: { roomName?: string } }> }>(
      target,
      user,
      "GET",
      "/api/rooms/bigger_dice?limit=100",
    );
    const mine = (listed?.items ?? []).filter((r) =>
      String(r.metadata?.roomName ?? "").startsWith(`squat-${user.id.slice(0, 8)}`),
    ).length;
    return { answered: `${tally(answers)}; ${mine} listed (disposed unjoined after EMPTY_ROOM_SECONDS)` };
  },
};

const manyConnections: Attack = {
  name: "one user, 50 connections",
  sent: '50 × `joinOrCreate("user_lobby")` at once with one token',
  async run(target) {
    const user = await target.user("hoarder");
    const { joined, answers } = await settle(
      Array.from({ length: 50 }, () => () => sdk(target, user).joinOrCreate("user_lobby")),
    );
    await leaveAll(joined);
    return { answered: tally(answers) };
  },
};

const floodAcrossConnections: Attack = {
  name: "one user flooding over 5 connections",
  sent: "5 lobby connections of one user, 300 `ping` requests each at once",
  async run(target) {
    const user = await target.user("flooder");
    const { joined } = await settle(
      Array.from({ length: 5 }, () => () => sdk(target, user).joinOrCreate("user_lobby")),
    );
    const closed: number[] = [];
    for (const room of joined) room.onLeave((code) => closed.push(code));
    const results = await Promise.allSettled(
      joined.flatMap((room) => Array.from({ length: 300 }, () => room.request("ping"))),
    );
    const answers = results.map((r) =>
      r.status === "fulfilled"
        ? "answered"
        : ((r.reason as { reason?: { code?: string } } | undefined)?.reason?.code ?? "dropped"),
    );
    const closedByServer = [...closed]; // before our own leaves (4000)
    await leaveAll(joined);
    const closes = closedByServer.length
      ? `; ${closedByServer.length} closed by the server (${[...new Set(closedByServer)].join(", ")})`
      : "";
    return { answered: `${tally(answers)} (one budget for the user)${closes}` };
  },
};

export const attacks: Attack[] = [racingCreates, unjoinedDiceRooms, manyConnections, floodAcrossConnections];
