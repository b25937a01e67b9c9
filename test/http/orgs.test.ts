import assert from "node:assert/strict";
import jwt from "jsonwebtoken";
import type { Room } from "@colyseus/sdk";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { createUser, type TestUser } from "../helpers/users";
import { refusal, sleep } from "../helpers/room";

const claimsOf = (token: string) => jwt.decode(token) as { org_id?: string };
const question = { text: "2+2?", choices: ["3", "4"], answerIndex: 1, timeLimitSec: 30 };

async function inviteCode(org: string, admin: TestUser, body: object = {}): Promise<string> {
  const res = await api("POST", `/api/orgs/${org}/invite-codes`, { token: admin.token, body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.code;
}

/** Organizations as data (docs/PROTOCOL.md §1 "Organizations"). */
describe("REST /api/orgs", () => {
  it("makes the creator the owner; lists the caller's orgs and, to members only, the members (paged)", async () => {
    const [ann, bob, eve] = [await createUser(), await createUser(), await createUser()];
    const created = await api("POST", "/api/orgs", { token: ann.token, body: { name: "Acme" } });
    assert.equal(created.status, 201);
    assert.equal(created.body.role, "owner");
    const org = created.body.id;
    const joined = await api("POST", "/api/orgs/join", {
      token: bob.token,
      body: { code: await inviteCode(org, ann) },
    });
    assert.equal(joined.status, 200);
    assert.deepEqual([joined.body.id, joined.body.role], [org, "member"]);

    const mine = await api("GET", "/api/orgs", { token: bob.token });
    assert.deepEqual(
      mine.body.items.map((o: any) => [o.id, o.name, o.role]),
      [[org, "Acme", "member"]],
    );
    assert.equal(mine.body.nextCursor, null);

    const page1 = await api("GET", `/api/orgs/${org}/members?limit=1`, { token: bob.token });
    assert.equal(page1.status, 200);
    assert.deepEqual(
      page1.body.items.map((m: any) => [m.username, m.role]),
      [[ann.username, "owner"]],
    );
    const page2 = await api("GET", `/api/orgs/${org}/members?limit=1&cursor=${page1.body.nextCursor}`, {
      token: bob.token,
    });
    assert.deepEqual(
      page2.body.items.map((m: any) => m.username),
      [bob.username],
    );

    const outsider = await api("GET", `/api/orgs/${org}/members`, { token: eve.token });
    assert.equal(outsider.status, 403);
    assert.deepEqual([outsider.body.status, outsider.body.code], ["failed", "NOT_ORG_MEMBER"]);
    assert.equal((await api("GET", "/api/orgs", { token: eve.token })).body.items.length, 0);
  });

  it("lets only admins and owners make invite codes; refuses unknown (404), expired and used-up (410) codes in the envelope", async () => {
    const [owner, member, late, later] = [
      await createUser({ orgId: "acme" }),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await api("POST", "/api/orgs/join", { token: member.token, body: { code: await inviteCode("acme", owner) } });
    const byMember = await api("POST", "/api/orgs/acme/invite-codes", { token: member.token, body: {} });
    assert.deepEqual([byMember.status, byMember.body.code], [403, "NOT_ORG_ADMIN"]);

    const unknown = await api("POST", "/api/orgs/join", { token: late.token, body: { code: "no-such-code" } });
    assert.deepEqual(
      [unknown.status, unknown.body.status, unknown.body.code],
      [404, "failed", "INVITE_CODE_NOT_FOUND"],
    );

    const shortLived = await inviteCode("acme", owner, { expiresInHours: 0.0002 }); // 0.72 s
    await sleep(900);
    const expired = await api("POST", "/api/orgs/join", { token: late.token, body: { code: shortLived } });
    assert.deepEqual([expired.status, expired.body.code], [410, "INVITE_EXPIRED"]);

    const once = await inviteCode("acme", owner, { maxUses: 1 });
    assert.equal((await api("POST", "/api/orgs/join", { token: late.token, body: { code: once } })).status, 200);
    const usedUp = await api("POST", "/api/orgs/join", { token: later.token, body: { code: once } });
    assert.deepEqual([usedUp.status, usedUp.body.code], [410, "INVITE_CODE_USED_UP"]);
    assert.equal(await ctx().services.orgs.isMember("acme", later.id), false);

    const bad = await api("POST", "/api/orgs/acme/invite-codes", { token: owner.token, body: { maxUses: 0 } });
    assert.deepEqual([bad.status, bad.body.code], [400, "INVALID_REQUEST"]);
  });

  it("lets admins and owners remove members, never the last owner", async () => {
    const owner = await createUser({ orgId: "acme" });
    const [a, b] = [await createUser({ orgId: "acme" }), await createUser({ orgId: "acme" })];
    const byMember = await api("DELETE", `/api/orgs/acme/members/${b.id}`, { token: a.token });
    assert.deepEqual([byMember.status, byMember.body.code], [403, "NOT_ORG_ADMIN"]);
    assert.equal((await api("DELETE", `/api/orgs/acme/members/${b.id}`, { token: owner.token })).status, 204);
    assert.equal(await ctx().services.orgs.isMember("acme", b.id), false);
    const lastOwner = await api("DELETE", `/api/orgs/acme/members/${owner.id}`, { token: owner.token });
    assert.deepEqual([lastOwner.status, lastOwner.body.code], [409, "LAST_OWNER"]);
    assert.equal(
      (await api("DELETE", `/api/orgs/acme/members/${a.id}`, { token: a.token })).status,
      204,
      "a member may leave",
    );
    const gone = await api("DELETE", `/api/orgs/acme/members/not-a-uuid`, { token: owner.token });
    assert.equal(gone.status, 404);
  });
});

describe("organizations and tokens", () => {
  it("gives no access to someone else's org by registering with its orgId (409, no user written) or by a forged claim", async () => {
    const host = await createUser({ orgId: "acme" });
    const session = await api("POST", "/api/trivia/sessions", {
      token: host.token,
      body: { title: "Secret", questions: [question] },
    });
    assert.equal(session.status, 201);

    const reg = await api("POST", "/api/auth/register", {
      body: { username: "mallory", password: "rally-test-password-42", orgId: "acme" },
    });
    assert.deepEqual([reg.status, reg.body.code], [409, "ORG_TAKEN"]);
    assert.equal(await ctx().services.users.byUsername("mallory"), null);

    // Even a token whose claim names acme (signed by the server itself) reads nothing of acme's.
    const mallory = await createUser();
    const claimed = ctx().tokens.sign({ id: mallory.id, username: mallory.username, orgId: "acme" });
    const results = await api("GET", `/api/trivia/sessions/${session.body.id}/results`, { token: claimed });
    assert.deepEqual([results.status, results.body.code], [403, "NOT_ORG_MEMBER"]);
    const created = await api("POST", "/api/trivia/sessions", {
      token: claimed,
      body: { title: "Mine", questions: [question] },
    });
    assert.equal(created.status, 403);
    const join = await refusal(sdk(claimed).joinOrCreate("trivia", { sessionId: session.body.id }));
    assert.equal(join.code, 403);
  });

  it("registers with a new orgId as its owner, or with an invite code as a member; the tokens carry that org", async () => {
    const founder = await api("POST", "/api/auth/register", {
      body: { username: "founder", password: "rally-test-password-42", orgId: "globex" },
    });
    assert.equal(founder.status, 201);
    assert.equal(claimsOf(founder.body.token).org_id, "globex");
    const code = await inviteCode("globex", { token: founder.body.token } as TestUser);
    const joiner = await api("POST", "/api/auth/register", {
      body: { username: "joiner", password: "rally-test-password-42", inviteCode: code },
    });
    assert.equal(joiner.status, 201);
    assert.equal(claimsOf(joiner.body.token).org_id, "globex");
    assert.equal(joiner.body.user.orgId, "globex");
    const both = await api("POST", "/api/auth/register", {
      body: { username: "both", password: "rally-test-password-42", orgId: "x", inviteCode: code },
    });
    assert.equal(both.status, 400);
    const badCode = await api("POST", "/api/auth/register", {
      body: { username: "badcode", password: "rally-test-password-42", inviteCode: "nope" },
    });
    assert.equal(badCode.status, 404);
    assert.equal(await ctx().services.users.byUsername("badcode"), null, "a refused registration writes no user");
  });

  it("switches the token's org with POST /api/auth/token (403 for a non-member); a removed member's next token has no org_id", async () => {
    const owner = await createUser({ orgId: "acme" });
    const login = await api("POST", "/api/auth/register", {
      body: { username: "switcher", password: "rally-test-password-42", orgId: "initech" },
    });
    const token = login.body.token;
    await api("POST", "/api/orgs/join", { token, body: { code: await inviteCode("acme", owner) } });
    const denied = await api("POST", "/api/auth/token", { token, body: { orgId: "globex" } });
    assert.deepEqual([denied.status, denied.body.code], [403, "NOT_ORG_MEMBER"]);
    const switched = await api("POST", "/api/auth/token", { token, body: { orgId: "acme" } });
    assert.equal(switched.status, 200);
    assert.equal(claimsOf(switched.body.token).org_id, "acme");

    assert.equal(
      (await api("DELETE", `/api/orgs/acme/members/${login.body.user.id}`, { token: owner.token })).status,
      204,
    );
    const refreshed = await api("POST", "/api/auth/refresh", { body: { refreshToken: login.body.refreshToken } });
    assert.equal(refreshed.status, 200);
    assert.notEqual(claimsOf(refreshed.body.token).org_id, "acme");
    assert.equal(
      claimsOf(refreshed.body.token).org_id,
      "initech",
      "the next token falls back to an org they still belong to",
    );
  });

  it("closes a removed member's open trivia seat in that org with 4403 within seconds", async () => {
    const host = await createUser({ orgId: "acme" });
    const player = await createUser({ orgId: "acme" });
    const session = await ctx().services.trivia.create(host, { title: "Q", questions: [question] });
    const hostSeat = await sdk(host.token).joinOrCreate("trivia", { sessionId: session.id });
    const seat: Room = await sdk(player.token).joinOrCreate("trivia", { sessionId: session.id });
    const lobby = await sdk(player.token).joinOrCreate("user_lobby");
    await sleep(200);
    const code = new Promise<number>((resolve) => seat.onLeave((c) => resolve(c)));
    const started = Date.now();
    assert.equal((await api("DELETE", `/api/orgs/acme/members/${player.id}`, { token: host.token })).status, 204);
    assert.equal(await code, 4403);
    assert.ok(Date.now() - started < 3000);
    assert.ok((await lobby.request("ping")).t > 0, "seats outside the org stay open");
    assert.ok((await hostSeat.request("ping")).t > 0);
    const again = await refusal(sdk(player.token).joinOrCreate("trivia", { sessionId: session.id }));
    assert.equal(again.code, 403, "the old token's claim no longer opens the org's rooms");
  });
});
