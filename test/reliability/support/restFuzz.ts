import crypto from "node:crypto";
import fc from "fast-check";
import jwt from "jsonwebtoken";
import { ERROR_CODES } from "../../../src/errors";
import { BASE_URL, ctx } from "../../helpers/server";
import { expiredToken, type TestUser } from "../../helpers/users";
import { dbFingerprint, quickUser, TRIVIA_QUESTIONS } from "./world";

/**
 * Property-based fuzzing of every REST route (issue 8): generated bad bodies, queries, path
 * parameters and tokens. Whatever comes in, the server never answers 5xx; a refusal is the
 * JSON envelope `{status:"failed", error, code}` with a code from src/errors.ts and writes
 * nothing; a private route refuses a missing, forged or expired token with 401. Used by
 * test/reliability/restFuzz.test.ts (bounded) and scripts/fuzz.ts.
 */

/** Users and resources of every kind, some the caller's (alice's) and some not. */
export interface RestWorld {
  alice: TestUser;
  bob: TestUser;
  carol: TestUser;
  dave: TestUser;
  ids: Record<string, string>;
}

export async function restWorld(): Promise<RestWorld> {
  const s = ctx().services;
  const alice = await quickUser({ orgId: "acme" });
  const bob = await quickUser({ orgId: "acme" });
  const carol = await quickUser({ orgId: "other" });
  const dave = await quickUser();
  const ab = await s.friends.request(alice.id, bob.username);
  await s.friends.accept(bob.id, ab.id);
  const toAlice = await s.friends.request(carol.id, alice.username);
  const bobToDave = await s.friends.request(bob.id, dave.username);
  const spaceAlice = await s.spaces.create(alice.id, { name: "Alice's", capacity: 5 });
  const spaceCarol = await s.spaces.create(carol.id, { name: "Carol's", capacity: 5 });
  const inviteToAlice = await s.spaces.sendInvite(carol.id, { toUserId: alice.id, spaceId: spaceCarol.id });
  const inviteToDave = await s.spaces.sendInvite(carol.id, { toUserId: dave.id, spaceId: spaceCarol.id });
  const notes = s.notifications;
  const noteAlice = await notes.create({
    userId: alice.id,
    type: "updates",
    kind: "test",
    title: "t",
    message: "for alice",
  });
  const noteBob = await notes.create({ userId: bob.id, type: "updates", kind: "test", title: "t", message: "for bob" });
  const triviaAcme = await s.trivia.create(alice, { title: "Acme quiz", questions: TRIVIA_QUESTIONS });
  const triviaOther = await s.trivia.create(carol, { title: "Other quiz", questions: TRIVIA_QUESTIONS });
  const convAB = (await s.conversations.openDirect(alice.id, bob.id)).conversation.id;
  const convCD = (await s.conversations.openDirect(carol.id, dave.id)).conversation.id;
  const messageAB = (await s.conversations.send(convAB, bob.id, "hello alice")).message.id;
  await s.conversations.send(convCD, carol.id, "hello dave");
  await s.games.record({
    id: crypto.randomUUID(),
    roomId: "r1",
    roomName: "table",
    invitationId: null,
    targetScore: 1,
    status: "finished",
    reason: "win",
    winnerId: alice.id,
    players: [
      { userId: alice.id, username: alice.username, score: 1 },
      { userId: bob.id, username: bob.username, score: 0 },
    ],
    rolls: [],
    startedAt: new Date(),
    endedAt: new Date(),
  });
  return {
    alice,
    bob,
    carol,
    dave,
    ids: {
      friendRequestToAlice: toAlice.id,
      friendRequestBobToDave: bobToDave.id,
      spaceAlice: spaceAlice.id,
      spaceCarol: spaceCarol.id,
      inviteToAlice: inviteToAlice.invite.id,
      inviteToDave: inviteToDave.invite.id,
      noteAlice: noteAlice.id,
      noteBob: noteBob.id,
      triviaAcme: triviaAcme.id,
      triviaOther: triviaOther.id,
      convAB,
      convCD,
      messageAB: String(messageAB),
    },
  };
}

export interface RouteSpec {
  method: "GET" | "POST";
  path: string;
  /** No token needed. */
  public?: boolean;
  /** Real values for each `:param`, the caller's and others'. */
  params?: (w: RestWorld) => Record<string, string[]>;
  query?: string[];
  /** Valid bodies, mutated into invalid ones. */
  body?: (w: RestWorld) => Array<Record<string, unknown>>;
}

/** Every route of the `*.routes.ts` files under src/. */
export const ROUTES: RouteSpec[] = [
  {
    method: "POST",
    path: "/api/auth/register",
    public: true,
    body: () => [{ username: "fuzzed_user", password: "rally-test-password-42", orgId: "acme" }],
  },
  {
    method: "POST",
    path: "/api/auth/login",
    public: true,
    body: (w) => [{ username: w.alice.username, password: "rally-test-password-42" }],
  },
  { method: "GET", path: "/api/users/me" },
  { method: "POST", path: "/api/friends/requests", body: (w) => [{ username: w.dave.username }] },
  { method: "GET", path: "/api/friends/requests", query: ["direction"] },
  {
    method: "POST",
    path: "/api/friends/requests/:id/accept",
    params: (w) => ({ id: [w.ids.friendRequestToAlice!, w.ids.friendRequestBobToDave!] }),
  },
  { method: "GET", path: "/api/friends" },
  { method: "GET", path: "/api/notifications", query: ["status", "limit"] },
  { method: "POST", path: "/api/notifications/:id/read", params: (w) => ({ id: [w.ids.noteAlice!, w.ids.noteBob!] }) },
  {
    method: "POST",
    path: "/api/notifications/:id/dismiss",
    params: (w) => ({ id: [w.ids.noteAlice!, w.ids.noteBob!] }),
  },
  { method: "GET", path: "/api/game-invitations", query: ["direction", "status", "limit"] },
  {
    method: "GET",
    path: "/api/rooms/:roomName",
    params: () => ({ roomName: ["bigger_dice", "user_lobby", "space", "trivia", "conversation"] }),
  },
  { method: "GET", path: "/api/games/history", query: ["userId", "limit"] },
  { method: "POST", path: "/api/spaces", body: () => [{ name: "Fuzz", capacity: 5, width: 100, height: 100 }] },
  { method: "GET", path: "/api/spaces" },
  {
    method: "POST",
    path: "/metaverse/invites/send",
    body: (w) => [{ toUserId: w.dave.id, spaceId: w.ids.spaceAlice }],
  },
  {
    method: "POST",
    path: "/metaverse/invites/:notificationId/accept",
    params: (w) => ({ notificationId: [w.ids.inviteToAlice!, w.ids.inviteToDave!] }),
  },
  {
    method: "POST",
    path: "/metaverse/invites/:notificationId/decline",
    params: (w) => ({ notificationId: [w.ids.inviteToAlice!, w.ids.inviteToDave!] }),
  },
  {
    method: "GET",
    path: "/metaverse/invites/users/:spaceId",
    params: (w) => ({ spaceId: [w.ids.spaceAlice!, w.ids.spaceCarol!] }),
    query: ["q", "limit"],
  },
  { method: "GET", path: "/metaverse/invites/my-invites", query: ["includeExpired"] },
  {
    method: "POST",
    path: "/api/trivia/sessions",
    body: () => [{ title: "Fuzz quiz", questions: TRIVIA_QUESTIONS.slice(0, 1) }],
  },
  {
    method: "GET",
    path: "/api/trivia/sessions/:id/results",
    params: (w) => ({ id: [w.ids.triviaAcme!, w.ids.triviaOther!] }),
  },
  { method: "POST", path: "/api/v1/matching/likes", body: (w) => [{ userId: w.bob.id }] },
  { method: "GET", path: "/api/v1/matching/recent-matches", query: ["limit"] },
  { method: "GET", path: "/api/v1/conversations" },
  { method: "POST", path: "/api/v1/conversations", body: (w) => [{ participantId: w.dave.id }] },
  {
    method: "GET",
    path: "/api/v1/conversations/:id/messages",
    params: (w) => ({ id: [w.ids.convAB!, w.ids.convCD!] }),
    query: ["before", "limit"],
  },
  {
    method: "POST",
    path: "/api/v1/conversations/:id/messages",
    params: (w) => ({ id: [w.ids.convAB!, w.ids.convCD!] }),
    body: () => [{ content: "hi", clientMessageId: "fz-1" }],
  },
  { method: "GET", path: "/healthz", public: true },
  { method: "GET", path: "/readyz", public: true },
];

export const routeName = (r: RouteSpec) => `${r.method} ${r.path}`;

// ---- requests ----------------------------------------------------------------------------

export type TokenKind = "own" | "none" | "garbage" | "forged" | "expired" | "other";
const BAD_TOKENS: TokenKind[] = ["none", "garbage", "forged", "expired"];

export interface FuzzRequest {
  token: TokenKind;
  params: Record<string, { value: string; raw: boolean }>;
  query: Array<[string, string]>;
  body?: { text: string; contentType?: string };
}

const TRICKY = [
  "",
  " ",
  "%",
  "%zz",
  "%E0%A4%A",
  "..",
  "%2e%2e",
  "/",
  "\u0000",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e3",
  "0x10",
  "__proto__",
  "constructor",
  "[]",
  "{}",
  "'; DROP TABLE users; --",
];

const text = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.uuid(),
  fc.integer().map(String),
  fc.integer({ min: 200, max: 5_000 }).map((n) => "a".repeat(n)),
);

function jsonish(keys: string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...keys, "__proto__", "constructor", ""), fc.string({ maxLength: 10 }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, 0.5, "", "x".repeat(3_000)),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      text,
      tie("array"),
      tie("object"),
    ),
    array: fc.array(tie("value"), { maxLength: 5 }),
    object: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  }));
  return value;
}

function bodies(examples: Array<Record<string, unknown>>): fc.Arbitrary<FuzzRequest["body"]> {
  const keys = [...new Set(examples.flatMap((e) => Object.keys(e)))];
  const value = jsonish(keys);
  const mutated = fc.constantFrom(...examples).chain((ex) =>
    fc.oneof(
      fc.tuple(fc.constantFrom(...Object.keys(ex)), value).map(([k, v]) => ({ ...ex, [k]: v })),
      fc.tuple(fc.string({ maxLength: 10 }), value).map(([k, v]) => ({ ...ex, [k]: v })),
      fc.constantFrom(...Object.keys(ex)).map((k) => Object.fromEntries(Object.entries(ex).filter(([kk]) => kk !== k))),
      fc.constant([ex]),
    ),
  );
  const json = fc.oneof(mutated, mutated, value).map((v) => ({ text: JSON.stringify(v) ?? "null" }));
  const raw = fc.oneof(
    fc.constantFrom(
      "{",
      '{"a":',
      "[1,2",
      "nul",
      "'single'",
      '{"a":1}}',
      "\u0000",
      "NaN",
      "Infinity",
      '{"__proto__":{"admin":true}}',
    ),
    fc.string({ maxLength: 40 }),
  );
  const deep = fc.integer({ min: 100, max: 20_000 }).map((n) => ({ text: "[".repeat(n) + "]".repeat(n) }));
  const huge = fc
    .integer({ min: 65 * 1024, max: 200 * 1024 })
    .map((n) => ({ text: JSON.stringify({ content: "x".repeat(n) }) }));
  return fc.oneof(
    { arbitrary: json, weight: 6 },
    { arbitrary: raw.map((t) => ({ text: t })), weight: 2 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: huge, weight: 1 },
    {
      arbitrary: fc
        .tuple(
          json,
          fc.constantFrom(
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/json; charset=latin1",
            "",
            "application/xml",
          ),
        )
        .map(([b, contentType]) => ({ ...b, contentType })),
      weight: 1,
    },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

export function requests(route: RouteSpec, w: RestWorld): fc.Arbitrary<FuzzRequest> {
  const token = fc.oneof(
    { arbitrary: fc.constant<TokenKind>("own"), weight: 6 },
    { arbitrary: fc.constantFrom<TokenKind>("none", "garbage", "forged", "expired", "other"), weight: 2 },
  );
  const real = route.params?.(w) ?? {};
  const paramNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const params = fc.record(
    Object.fromEntries(
      paramNames.map((name) => [
        name,
        fc.oneof(
          { arbitrary: fc.constantFrom(...(real[name] ?? ["x"])).map((value) => ({ value, raw: false })), weight: 3 },
          { arbitrary: text.map((value) => ({ value, raw: false })), weight: 3 },
          {
            arbitrary: fc
              .constantFrom("%zz", "%", "%E0%A4%A", "%00", "a%2Fb", "..%2F..")
              .map((value) => ({ value, raw: true })),
            weight: 1,
          },
        ),
      ]),
    ),
  );
  const knownKeys = route.query ?? [];
  const queryKey = fc.oneof(
    fc.constantFrom(...knownKeys, "x", "__proto__", "a[b]", "limit[]"),
    fc.string({ maxLength: 8 }),
  );
  const queryValue = fc.oneof(
    text,
    fc.constantFrom(
      ...Object.values(w.ids),
      w.bob.id,
      "incoming",
      "received",
      "unread",
      "true",
      "1",
      "100",
      "101",
      "0",
    ),
  );
  const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 });
  const body = route.body ? bodies(route.body(w)) : fc.oneof(fc.constant(undefined), bodies([{ a: 1 }]));
  return fc.record({ token, params, query, body });
}

export interface RestOutcome {
  status: number;
  code?: string;
  violations: string[];
}

function tokenFor(kind: TokenKind, w: RestWorld): string | undefined {
  switch (kind) {
    case "own":
      return w.alice.token;
    case "other":
      return w.carol.token;
    case "none":
      return undefined;
    case "garbage":
      return "not.a.jwt";
    case "forged":
      return jwt.sign(
        { sub: w.alice.id, username: w.alice.username, org_id: "acme" },
        "some-other-secret-of-enough-length",
        { expiresIn: "1h" },
      );
    case "expired":
      return expiredToken(w.alice);
  }
}

export function urlOf(route: RouteSpec, req: FuzzRequest): string {
  let path = route.path;
  for (const [name, { value, raw }] of Object.entries(req.params)) {
    path = path.replace(`:${name}`, raw ? value : encodeURIComponent(value));
  }
  const qs = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  return qs ? `${path}?${qs}` : path;
}

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

/** Send one request and check every property; never throws (violations are returned). */
export async function checkRequest(
  route: RouteSpec,
  req: FuzzRequest,
  w: RestWorld,
  opts: { checkDb: boolean },
): Promise<RestOutcome> {
  const violations: string[] = [];
  const before = opts.checkDb ? await dbFingerprint() : "";
  const headers: Record<string, string> = {};
  const token = tokenFor(req.token, w);
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (req.body && route.method !== "GET") {
    payload = req.body.text;
    headers["content-type"] = req.body.contentType ?? "application/json";
  }
  let status = 0;
  let body: any;
  try {
    const res = await fetch(`${BASE_URL}${urlOf(route, req)}`, { method: route.method, headers, body: payload });
    status = res.status;
    const raw = await res.text();
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      violations.push(`not JSON: ${raw.slice(0, 120)}`);
    }
  } catch (e) {
    violations.push(`request failed: ${(e as Error).message}`);
    return { status, violations };
  }
  const code = body?.code as string | undefined;
  if (status >= 500) violations.push(`${status} ${JSON.stringify(body)?.slice(0, 200)}`);
  if (status >= 400) {
    if (body?.status !== "failed" || typeof body?.error !== "string" || !KNOWN_CODES.has(code ?? "")) {
      violations.push(`not the failure envelope: ${JSON.stringify(body)?.slice(0, 200)}`);
    }
    if (opts.checkDb && (await dbFingerprint()) !== before) violations.push("refused, but the database changed");
  }
  // A body that is not JSON or too large, or a path that cannot be decoded, is refused before
  // routing (the HTTP edge, express.json and the router run first), so before the token is
  // looked at; and a path parameter such as "" or "/" makes a path that is not this route at all.
  const refusedBeforeRouting =
    (status === 400 && /^(body|path): /.test(body?.error ?? "")) ||
    (status === 413 && code === "PAYLOAD_TOO_LARGE") ||
    (status === 404 && body?.error === "Route not found");
  if (
    !route.public &&
    BAD_TOKENS.includes(req.token) &&
    !(status === 401 && code === "UNAUTHORIZED") &&
    !refusedBeforeRouting
  ) {
    violations.push(`a ${req.token} token was answered ${status} ${code ?? ""}, not 401 UNAUTHORIZED`);
  }
  return { status, code, violations };
}
