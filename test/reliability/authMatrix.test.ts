import assert from "node:assert/strict";
import crypto from "node:crypto";
import jwt from "jsonwebtoken";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { expiredToken, type TestUser } from "../helpers/users";
import { refusal, until } from "../helpers/room";
import { restWorld, routeName, ROUTES, urlOf, type RestWorld } from "./support/restFuzz";
import { dbFingerprint, join, quickUser, serverRoom, TRIVIA_QUESTIONS } from "./support/world";

/**
 * The auth matrix (issue 8): every room kind and every private REST route refuses a missing
 * token, a token signed with another secret, an expired token, another user's resource and
 * another organization's session, and changes nothing when it refuses. Where a column does
 * not apply (a room that is not per organization), the test says so by its title.
 */

const forged = (u: TestUser) =>
  jwt.sign({ sub: u.id, username: u.username, org_id: u.orgId ?? undefined }, "another-secret-that-is-long-enough", {
    expiresIn: "1h",
  });

const BAD_TOKENS: Array<[string, (u: TestUser) => string | undefined, RegExp]> = [
  ["no token", () => undefined, /missing token/],
  ["a token signed with another secret", forged, /invalid token/],
  ["an expired token", (u) => expiredToken(u), /token expired/],
];

/** A join refused with `status`, the room's clients and the database unchanged. */
async function refusedJoin(join: () => Promise<unknown>, status: number, roomId?: string): Promise<string> {
  const clientsBefore = roomId ? serverRoom(roomId).clients.length : 0;
  const before = await dbFingerprint();
  const err = await refusal(join());
  assert.equal(err.code, status, `refused with ${status}: ${err.message}`);
  if (roomId) assert.equal(serverRoom(roomId).clients.length, clientsBefore, "no seat taken");
  assert.equal(await dbFingerprint(), before, "nothing written");
  return err.message;
}

describe("auth matrix", () => {
  describe("rooms", () => {
    interface RoomTarget {
      /** A live room of this kind, and join options that reach it. */
      roomId: string;
      options: Record<string, unknown>;
      roomName: string;
    }
    const setups: Record<string, (owner: TestUser, peer: TestUser) => Promise<RoomTarget>> = {
      user_lobby: async (owner) => {
        const seat = await join(owner, "user_lobby");
        return { roomId: seat.room.roomId, options: {}, roomName: "user_lobby" };
      },
      bigger_dice: async (owner, peer) => {
        const { roomId } = await ctx().services.games.createPrivateRoom({
          invitationId: "inv-1",
          map: "desert",
          playerIds: [owner.id, peer.id],
        });
        return { roomId, options: {}, roomName: "bigger_dice" };
      },
      space: async (owner, peer) => {
        const space = await ctx().services.spaces.create(owner.id, { name: "Private plaza", capacity: 5 });
        await ctx().db.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
          space.id,
          peer.id,
        ]);
        const seat = await join(owner, "space", { spaceId: space.id });
        return { roomId: seat.room.roomId, options: { spaceId: space.id }, roomName: "space" };
      },
      trivia: async (owner) => {
        const session = await ctx().services.trivia.create(owner, { title: "Org quiz", questions: TRIVIA_QUESTIONS });
        const seat = await join(owner, "trivia", { sessionId: session.id });
        return { roomId: seat.room.roomId, options: { sessionId: session.id }, roomName: "trivia" };
      },
      conversation: async (owner, peer) => {
        const { conversation } = await ctx().services.conversations.openDirect(owner.id, peer.id);
        const seat = await join(owner, "conversation", { conversationId: conversation.id });
        return { roomId: seat.room.roomId, options: { conversationId: conversation.id }, roomName: "conversation" };
      },
    };

    for (const [kind, setup] of Object.entries(setups)) {
      describe(kind, () => {
        let owner: TestUser;
        let peer: TestUser;
        let target: RoomTarget;
        beforeEach(async () => {
          owner = await quickUser({ orgId: "acme" });
          peer = await quickUser({ orgId: "acme" });
          target = await setup(owner, peer);
        });

        for (const [label, tokenOf, reason] of BAD_TOKENS) {
          it(`refuses ${label} with 401, by filter and by id`, async () => {
            const token = tokenOf(owner);
            const byFilter = await refusedJoin(() => sdk(token).joinOrCreate(kind, target.options), 401, target.roomId);
            assert.match(byFilter, reason);
            const byId = await refusedJoin(
              () => sdk(token).joinById(target.roomId, target.options),
              401,
              target.roomId,
            );
            assert.match(byId, reason);
          });
        }

        const othersTitle: Record<string, string> = {
          user_lobby: "refuses another user's lobby by id with 403 (by filter everyone reaches their own)",
          bigger_dice: "refuses another pair's private game with 403, as player and as spectator",
          space:
            "refuses a space the user is not a member of with 403, by filter and by id (even naming a space of their own)",
          trivia:
            "another user's session of the same org is open to the org by design; a participant who is not its host cannot run it (NOT_HOST)",
          conversation:
            "refuses another pair's conversation with 403, by filter and by id (even naming a conversation of their own)",
        };
        it(othersTitle[kind]!, async () => {
          const mallory = await quickUser({ orgId: "acme" });
          if (kind === "user_lobby") {
            // joinOrCreate always leads to the caller's own lobby; by id, another's is refused.
            await refusedJoin(() => sdk(mallory.token).joinById(target.roomId), 403, target.roomId);
            await refusedJoin(
              () => sdk(mallory.token).joinById(target.roomId, { ownerId: owner.id }),
              403,
              target.roomId,
            );
          } else if (kind === "bigger_dice") {
            await refusedJoin(() => sdk(mallory.token).joinById(target.roomId), 403, target.roomId);
            await refusedJoin(() => sdk(mallory.token).joinById(target.roomId, { spectate: true }), 403, target.roomId);
          } else if (kind === "trivia") {
            const seat = await join(mallory, "trivia", target.options);
            const err = await refusal(seat.room.request("start"));
            assert.equal(err.code, "NOT_HOST");
            assert.equal(serverRoom<any>(target.roomId).state.status, "lobby");
          } else {
            await refusedJoin(() => sdk(mallory.token).joinOrCreate(kind, target.options), 403, target.roomId);
            // By id with options naming a resource of mallory's own: still refused.
            const own =
              kind === "space"
                ? { spaceId: (await ctx().services.spaces.create(mallory.id, { name: "Mine", capacity: 2 })).id }
                : {
                    conversationId: (await ctx().services.conversations.openDirect(mallory.id, peer.id)).conversation
                      .id,
                  };
            await refusedJoin(() => sdk(mallory.token).joinById(target.roomId, own), 403, target.roomId);
          }
        });

        if (kind === "trivia") {
          it("refuses another organization's session with 404, exactly as an unknown one, by filter and by id", async () => {
            const outsider = await quickUser({ orgId: "other" });
            const msg = await refusedJoin(
              () => sdk(outsider.token).joinOrCreate("trivia", target.options),
              404,
              target.roomId,
            );
            const unknown = await refusal(
              sdk(outsider.token).joinOrCreate("trivia", { sessionId: crypto.randomUUID() }),
            );
            assert.deepEqual({ code: 404, message: msg }, unknown);
            await refusedJoin(() => sdk(outsider.token).joinById(target.roomId, target.options), 404, target.roomId);
            const orgless = await quickUser();
            await refusedJoin(() => sdk(orgless.token).joinOrCreate("trivia", target.options), 401, target.roomId);
          });
        } else {
          it(`another organization's session: not applicable (${kind} is not per organization); a user of another org is treated as any other user`, async () => {
            const outsider = await quickUser({ orgId: "other" });
            const expected =
              kind === "user_lobby" || kind === "bigger_dice"
                ? () => sdk(outsider.token).joinById(target.roomId)
                : () => sdk(outsider.token).joinOrCreate(kind, target.options);
            await refusedJoin(expected, 403, target.roomId);
          });
        }
      });
    }

    describe("messages naming another user's resource", () => {
      it("user_lobby: another user's game invitation or notification is NOT_FOUND, nothing changes", async () => {
        const [bob, carol, mallory] = [await quickUser(), await quickUser(), await quickUser()];
        const friendship = await ctx().services.friends.request(bob.id, carol.username);
        await ctx().services.friends.accept(carol.id, friendship.id);
        const { rows } = await ctx().db.query<{ id: string }>(
          "INSERT INTO game_invitations (sender_id, receiver_id, friendship_id, map) VALUES ($1, $2, $3, 'desert') RETURNING id",
          [bob.id, carol.id, friendship.id],
        );
        const note = await ctx().services.notifications.create({
          userId: carol.id,
          type: "updates",
          kind: "test",
          title: "t",
          message: "m",
        });
        const seat = await join(mallory, "user_lobby");
        await until(() => seat.room.state?.invitations !== undefined, 4000, "lobby state");
        const before = await dbFingerprint();
        for (const type of ["game_invitation:accept", "game_invitation:decline"]) {
          const err = await refusal(seat.room.request(type, { invitationId: rows[0]!.id }));
          assert.equal(err.code, "INVITATION_NOT_FOUND", type);
        }
        for (const type of ["notifications:read", "notifications:dismiss"]) {
          const err = await refusal(seat.room.request(type, { ids: [note.id] }));
          assert.equal(err.code, "NOT_FOUND", type);
        }
        assert.equal(await dbFingerprint(), before);
      });

      it("space: another user's space invite cannot be accepted or declined; a space the caller is not in cannot be listed or invited to", async () => {
        const w = await restWorld();
        const space = await ctx().services.spaces.create(w.alice.id, { name: "Here", capacity: 5 });
        const seat = await join(w.alice, "space", { spaceId: space.id });
        const before = await dbFingerprint();
        for (const type of ["ACCEPT_INVITE", "DECLINE_INVITE"]) {
          const err = await refusal(seat.room.request(type, { notificationId: w.ids.inviteToDave }));
          assert.ok(["INVITATION_NOT_FOUND", "NO_ACCESS"].includes(err.code), `${type}: ${err.code}`);
        }
        for (const [type, payload] of [
          ["GET_USERS", { spaceId: w.ids.spaceCarol }],
          ["SEND_INVITE", { toUserId: w.dave.id, spaceId: w.ids.spaceCarol }],
        ] as const) {
          const err = await refusal(seat.room.request(type, payload));
          assert.equal(err.code, "INVALID_MESSAGE", `${type} names another space`);
        }
        assert.equal(await dbFingerprint(), before);
      });

      it("conversation: a message of another conversation cannot be marked read", async () => {
        const w = await restWorld();
        const seat = await join(w.alice, "conversation", { conversationId: w.ids.convAB });
        const other = await ctx().services.messages.send(w.ids.convCD!, w.carol.id, "not for alice");
        const before = await dbFingerprint();
        const err = await refusal(seat.room.request("read_receipt", { message_id: other.message.id }));
        assert.equal(err.code, "NOT_FOUND");
        const synced = await seat.room.request("sync", { afterMessageId: 0 });
        assert.ok(
          synced.messages.every((m: any) => m.conversation_id === w.ids.convAB),
          "sync never returns another conversation's messages",
        );
        assert.equal(await dbFingerprint(), before);
      });
    });
  });

  describe("REST", () => {
    const privateRoutes = ROUTES.filter((r) => !r.public);

    for (const route of privateRoutes) {
      it(`${routeName(route)} refuses no token, another secret's token, an expired token and a garbage token with 401`, async () => {
        const w = await restWorld();
        const url = urlOf(route, {
          token: "own",
          params: Object.fromEntries(
            Object.entries(route.params?.(w) ?? {}).map(([k, v]) => [k, { value: v[0]!, raw: false }]),
          ),
          query: [],
        });
        const body = route.body?.(w)[0];
        const before = await dbFingerprint();
        for (const [label, tokenOf, reason] of [
          ...BAD_TOKENS,
          ["a garbage token", () => "garbage", /invalid token/] as const,
        ]) {
          const token = tokenOf(w.alice);
          const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
          const res = await api(route.method, url, { headers, body });
          assert.equal(res.status, 401, `${label}: ${JSON.stringify(res.body)}`);
          assert.deepEqual(Object.keys(res.body).sort(), ["code", "error", "status"]);
          assert.equal(res.body.status, "failed");
          assert.equal(res.body.code, "UNAUTHORIZED");
          assert.match(res.body.error, reason);
        }
        assert.equal(await dbFingerprint(), before, "nothing written");
      });
    }

    /** `alice` calls; each route is aimed at a resource that is not hers. */
    const othersResource: Array<
      [string, (w: RestWorld) => { method: string; path: string; body?: unknown }, number[], string?]
    > = [
      [
        "POST /api/friends/requests/:id/accept (a request between two others)",
        (w) => ({ method: "POST", path: `/api/friends/requests/${w.ids.friendRequestBobToDave}/accept` }),
        [404],
      ],
      [
        "POST /api/notifications/:id/read (another user's)",
        (w) => ({ method: "POST", path: `/api/notifications/${w.ids.noteBob}/read` }),
        [404],
      ],
      [
        "POST /api/notifications/:id/dismiss (another user's)",
        (w) => ({ method: "POST", path: `/api/notifications/${w.ids.noteBob}/dismiss` }),
        [404],
      ],
      [
        "POST /metaverse/invites/send (a space she is not in)",
        (w) => ({
          method: "POST",
          path: "/metaverse/invites/send",
          body: { toUserId: w.dave.id, spaceId: w.ids.spaceCarol },
        }),
        [403],
        "NO_ACCESS",
      ],
      [
        "POST /metaverse/invites/:id/accept (another user's invite)",
        (w) => ({ method: "POST", path: `/metaverse/invites/${w.ids.inviteToDave}/accept` }),
        [403, 404],
      ],
      [
        "POST /metaverse/invites/:id/decline (another user's invite)",
        (w) => ({ method: "POST", path: `/metaverse/invites/${w.ids.inviteToDave}/decline` }),
        [403, 404],
      ],
      [
        "GET /metaverse/invites/users/:spaceId (a space she is not in)",
        (w) => ({ method: "GET", path: `/metaverse/invites/users/${w.ids.spaceCarol}` }),
        [403],
        "NO_ACCESS",
      ],
      [
        "GET /api/trivia/sessions/:id/results (another org's session)",
        (w) => ({ method: "GET", path: `/api/trivia/sessions/${w.ids.triviaOther}/results` }),
        [404],
        "NOT_FOUND",
      ],
      [
        "GET /api/v1/conversations/:id/messages (another pair's)",
        (w) => ({ method: "GET", path: `/api/v1/conversations/${w.ids.convCD}/messages` }),
        [403],
        "NOT_PARTICIPANT",
      ],
      [
        "POST /api/v1/conversations/:id/messages (another pair's)",
        (w) => ({ method: "POST", path: `/api/v1/conversations/${w.ids.convCD}/messages`, body: { content: "hi" } }),
        [403],
        "NOT_PARTICIPANT",
      ],
    ];
    for (const [label, aim, statuses, code] of othersResource) {
      it(`${label}: refused, in the envelope, nothing written`, async () => {
        const w = await restWorld();
        const { method, path, body } = aim(w);
        const before = await dbFingerprint();
        const res = await api(method, path, { token: w.alice.token, body });
        assert.ok(statuses.includes(res.status), `${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.status, "failed");
        if (code) assert.equal(res.body.code, code);
        assert.equal(await dbFingerprint(), before);
      });
    }

    it("a trivia session of another org cannot be told from an unknown one; a token without an org cannot create one", async () => {
      const w = await restWorld();
      const other = await api("GET", `/api/trivia/sessions/${w.ids.triviaOther}/results`, { token: w.alice.token });
      const unknown = await api("GET", `/api/trivia/sessions/${crypto.randomUUID()}/results`, { token: w.alice.token });
      assert.deepEqual([other.status, other.body], [unknown.status, unknown.body]);
      const before = await dbFingerprint();
      const orgless = await api("POST", "/api/trivia/sessions", {
        token: w.dave.token,
        body: { title: "x", questions: TRIVIA_QUESTIONS },
      });
      assert.equal(orgless.status, 403);
      assert.equal(orgless.body.code, "FORBIDDEN");
      assert.equal(await dbFingerprint(), before);
    });

    it("lists hold only the caller's own resources", async () => {
      const w = await restWorld();
      const get = async (path: string) => {
        const res = await api("GET", path, { token: w.alice.token });
        assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
        return JSON.stringify(res.body);
      };
      const me = JSON.parse(await get("/api/users/me"));
      assert.equal(me.id, w.alice.id);
      assert.ok(!(await get("/api/friends/requests?direction=incoming")).includes(w.ids.friendRequestBobToDave!));
      assert.ok(!(await get("/api/friends/requests?direction=outgoing")).includes(w.ids.friendRequestBobToDave!));
      assert.ok(!(await get("/api/notifications")).includes(w.ids.noteBob!));
      assert.ok(!(await get("/api/spaces")).includes(w.ids.spaceCarol!));
      assert.ok(!(await get("/metaverse/invites/my-invites?includeExpired=true")).includes(w.ids.inviteToDave!));
      assert.ok(!(await get("/api/v1/conversations")).includes(w.ids.convCD!));
      assert.ok(!(await get("/api/v1/matching/recent-matches")).includes(w.carol.id));
      assert.ok(!(await get("/api/game-invitations")).includes(w.carol.id));
      // Lobbies and conversations of others are live, but never listed.
      await join(w.bob, "user_lobby");
      await join(w.carol, "conversation", { conversationId: w.ids.convCD });
      for (const kind of ["user_lobby", "conversation", "space", "trivia"]) {
        assert.deepEqual(JSON.parse(await get(`/api/rooms/${kind}`)), { items: [], nextCursor: null }, kind);
      }
    });
  });
});
