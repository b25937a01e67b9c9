import assert from "node:assert/strict";
import crypto from "node:crypto";
import { matchMaker } from "@colyseus/core";
import { api } from "../helpers/http";
import { sdk, type Room } from "../helpers/server";
import { inbox, refusal, until, type Inbox } from "../helpers/room";
import { befriend, createUser, type TestUser } from "../helpers/users";

/**
 * Input hygiene in rooms and their REST (issue 14): names are single-line text with something
 * visible and no control or bidi characters (400 / INVALID_MESSAGE), avatarUrl is http(s)
 * only, and a trivia team may be called anything — `constructor`, `__proto__`, `toString` —
 * in the events and in the state an SDK client receives.
 */

const BIDI = "\u202Eexe.jpg";
const NEWLINE = "two\nlines";
const INVISIBLE = "\u200B\u200B";

const fresh = () => `h_${crypto.randomBytes(4).toString("hex")}`;

describe("input hygiene", () => {
  describe("registration", () => {
    const register = (extra: Record<string, unknown>) =>
      api("POST", "/api/auth/register", { body: { username: fresh(), password: "rally-test-password-42", ...extra } });

    it("refuses display names with bidi or control characters, line breaks, or nothing visible (400, nothing stored)", async () => {
      for (const displayName of [BIDI, NEWLINE, INVISIBLE, "tab\there"]) {
        const res = await register({ displayName });
        assert.equal(res.status, 400, `${JSON.stringify(displayName)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(res.body.error, /displayName/);
      }
      assert.equal((await register({ displayName: "Zoë 🎲" })).status, 201);
    });

    it("refuses usernames with bidi or control characters (400)", async () => {
      for (const username of [`bob${BIDI}`, `bob\u0000`, "bob\u200B"]) {
        const res = await api("POST", "/api/auth/register", { body: { username, password: "rally-test-password-42" } });
        assert.equal(res.status, 400, JSON.stringify(username));
      }
    });

    it("accepts only http(s) avatar URLs of at most 2,048 characters", async () => {
      for (const avatarUrl of [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "file:///etc/passwd",
        `https://x.test/${"a".repeat(2048)}`,
      ]) {
        const res = await register({ avatarUrl });
        assert.equal(res.status, 400, `${avatarUrl.slice(0, 40)}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error, /avatarUrl/);
      }
      assert.equal((await register({ avatarUrl: "https://cdn.example.com/a.png" })).status, 201);
    });
  });

  it("refuses space names on more than one line or with bidi characters (400)", async () => {
    const user = await createUser();
    for (const name of [NEWLINE, `Plaza${BIDI}`, INVISIBLE]) {
      const res = await api("POST", "/api/spaces", { token: user.token, body: { name, capacity: 5 } });
      assert.equal(res.status, 400, JSON.stringify(name));
    }
    assert.equal((await api("GET", "/api/spaces", { token: user.token })).body.items.length, 0, "nothing stored");
  });

  it("refuses a map name with a line break or bidi characters (INVALID_MESSAGE), sending nothing", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const lobby = await sdk(alice.token).joinOrCreate("user_lobby");
    const bobs = inbox(await sdk(bob.token).joinOrCreate("user_lobby"));
    for (const map of [NEWLINE, `classic${BIDI}`]) {
      const err = await refusal(lobby.request("game_invitation:send", { toUserId: bob.id, map }));
      assert.equal(err.code, "INVALID_MESSAGE", JSON.stringify(map));
      assert.match(err.message, /^map:/);
    }
    assert.equal(bobs.of("game_invitation_received").length, 0);
  });

  it("refuses trivia team names and dice room names with line breaks or bidi characters (400)", async () => {
    const [host, player] = [await createUser({ orgId: "acme" }), await createUser({ orgId: "acme" })];
    const session = await api("POST", "/api/trivia/sessions", {
      token: host.token,
      body: { title: "Q", questions: [{ text: "?", choices: ["a", "b"], answerIndex: 0, timeLimitSec: 30 }] },
    });
    for (const team of [NEWLINE, `red${BIDI}`, INVISIBLE]) {
      const err = await refusal(sdk(player.token).joinOrCreate("trivia", { sessionId: session.body.id, team }));
      assert.equal(err.code, 400, JSON.stringify(team));
    }
    for (const roomName of [NEWLINE, `table${BIDI}`]) {
      assert.equal(
        (await refusal(sdk(player.token).create("bigger_dice", { roomName }))).code,
        400,
        JSON.stringify(roomName),
      );
    }
    assert.equal((await matchMaker.query({ name: "bigger_dice" })).length, 0);
  });

  it("scores teams named constructor, __proto__ and toString like any other, in events and in the state a client receives", async function () {
    this.timeout(20_000);
    const TEAMS = ["constructor", "__proto__", "toString", "red"];
    const hostUser = await createUser({ orgId: "acme" });
    const res = await api("POST", "/api/trivia/sessions", {
      token: hostUser.token,
      body: { title: "Teams", questions: [{ text: "1 + 1?", choices: ["1", "2"], answerIndex: 1, timeLimitSec: 60 }] },
    });
    const sessionId = res.body.id;
    const host = await sdk(hostUser.token).joinOrCreate("trivia", { sessionId });
    const hostBox = inbox(host);
    const players: Array<{ user: TestUser; room: Room; box: Inbox }> = [];
    for (const team of TEAMS) {
      const user = await createUser({ orgId: "acme" });
      const room = await sdk(user.token).joinOrCreate("trivia", { sessionId, team });
      players.push({ user, room, box: inbox(room) });
    }
    await until(() => host.state.participants?.size === TEAMS.length, 4000, "participants");
    await host.request("start");
    const { data } = await hostBox.next("question_started");
    for (const p of players) await p.room.request("answer", { questionId: data.question_id, choiceIndex: 1 });
    await hostBox.next("question_closed");

    const teamUpdates = new Map<string, number>();
    await until(
      () => {
        for (const u of hostBox.of("score_update"))
          if (u.data.user_id === null) teamUpdates.set(u.data.team, u.data.score);
        return teamUpdates.size === TEAMS.length;
      },
      4000,
      "a score_update per team",
    );
    const scored = teamUpdates.get("red")!;
    assert.ok(scored > 0);
    for (const team of TEAMS) assert.equal(teamUpdates.get(team), scored, `score_update for team ${team}`);

    // What the SDK client decoded from the synced state (the patch follows the events).
    const clientTeams = new Map<string, number>();
    await until(
      () => {
        host.state.teams?.forEach((score: number, team: string) => clientTeams.set(team, score));
        return TEAMS.every((t) => clientTeams.get(t) === scored);
      },
      4000,
      `every team's total in the client's state, got ${JSON.stringify([...clientTeams])}`,
    ).catch(() => {
      throw new Error(`client state.teams: ${JSON.stringify([...clientTeams])}`);
    });
    assert.deepEqual([...clientTeams.keys()].sort(), [...TEAMS].sort());
    for (const team of TEAMS) assert.equal(clientTeams.get(team), scored, `state.teams.${team}`);
    // And a late joiner, who gets the full state rather than patches, sees the same.
    const late = await sdk((await createUser({ orgId: "acme" })).token).joinOrCreate("trivia", { sessionId });
    await until(() => TEAMS.every((t) => late.state.teams?.get(t) === scored), 4000, "the late joiner's teams");
  });
});
