import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { ctx, sdk } from "../helpers/server";
import { befriend, createUser, createUsers } from "../helpers/users";
import { inbox, refusal, until } from "../helpers/room";
import { cryptoDice, seededDice } from "../../src/systems/biggerDice/rules";

/**
 * The whole path across two rooms: a game invitation in `user_lobby` → accept → the private
 * `bigger_dice` room → both invited players play it to the end → history over REST.
 */
describe("game invitation → private bigger_dice room, end to end", () => {
  afterEach(() => {
    ctx().dice = cryptoDice;
  });

  it("lets the two invited friends play the private game to game_ended, stored in history", async function () {
    this.timeout(30_000);
    ctx().dice = seededDice(42);
    const [alice, bob] = await createUsers(2);
    await befriend(alice!, bob!);

    const aliceLobby = await sdk(alice!.token).joinOrCreate("user_lobby");
    const bobLobby = await sdk(bob!.token).joinOrCreate("user_lobby");
    const aliceBox = inbox(aliceLobby);
    const bobBox = inbox(bobLobby);

    const { invitationId } = await aliceLobby.request("game_invitation:send", { toUserId: bob!.id, map: "canyon" });
    const received = await bobBox.next("game_invitation_received");
    assert.equal(received.invitationId, invitationId);
    const accepted = await bobLobby.request("game_invitation:accept", { invitationId });
    const readyA = await aliceBox.next("game_ready");
    const readyB = await bobBox.next("game_ready");
    assert.equal(readyA.roomId, accepted.roomId);
    assert.equal(readyB.roomId, accepted.roomId);
    assert.equal(readyA.map, "canyon");

    // A third user can neither take a seat nor see it listed.
    const eve = await createUser();
    assert.equal((await refusal(sdk(eve.token).joinById(readyA.roomId))).code, 403);
    const listed = await api("GET", "/api/rooms/bigger_dice", { token: eve.token });
    assert.ok(!listed.body.items.some((r: any) => r.roomId === readyA.roomId));

    const gameA = await sdk(alice!.token).joinById(readyA.roomId);
    const gameB = await sdk(bob!.token).joinById(readyB.roomId);
    const boxA = inbox(gameA);
    const boxB = inbox(gameB);
    await gameA.request("ready");
    await gameB.request("ready");
    await boxA.next("game_started");

    const seats = new Map([
      [alice!.id, gameA],
      [bob!.id, gameB],
    ]);
    let ended: any;
    boxA.next("game_ended", 25_000).then(
      (e) => (ended = e),
      () => undefined,
    );
    for (let rolls = 0; !ended && rolls < 400; rolls++) {
      const turn = await until(() => gameA.state.currentTurn || (ended && "over"), 4000, "a turn");
      if (ended || turn === "over") break;
      await seats
        .get(turn)!
        .request("roll")
        .catch(async (e: any) => {
          // The synced turn may lag the last roll by a patch, and the game may end meanwhile.
          if (!["NOT_YOUR_TURN", "GAME_NOT_IN_PROGRESS"].includes(e?.reason?.code)) throw e;
          await new Promise((r) => setTimeout(r, 30));
        });
    }
    await until(() => ended, 10_000, "game_ended");
    assert.equal(ended.reason, "win");
    assert.ok([alice!.id, bob!.id].includes(ended.winner_id));
    const winnerScore = ended.final_scores.find((s: any[]) => s[0] === ended.winner_id)[2];
    assert.equal(winnerScore, 10, "the default target score");
    await boxB.next("game_ended");

    const history = await api("GET", `/api/games/history?userId=${bob!.id}`, { token: bob!.token });
    assert.equal(history.status, 200);
    assert.equal(history.body.items.length, 1);
    assert.equal(history.body.items[0].winnerId, ended.winner_id);
    assert.equal(history.body.items[0].reason, "win");
  });
});
