import assert from "node:assert/strict";
import jwt from "jsonwebtoken";
import { sdk } from "../helpers/server";
import { createUser, expiredToken } from "../helpers/users";
import { refusal } from "../helpers/room";

/** Every room kind refuses a join without a valid token before giving a seat (PROTOCOL §1). */
const ROOMS = ["user_lobby", "bigger_dice", "space", "trivia", "conversation"];

describe("room authentication", () => {
  for (const roomName of ROOMS) {
    describe(roomName, () => {
      it("refuses no token, a bad token, a wrongly signed token and an expired token with 401", async () => {
        const user = await createUser({ orgId: "acme" });
        const forged = jwt.sign(
          { sub: user.id, username: user.username, org_id: "acme" },
          "wrong-secret-wrong-secret-00",
          { expiresIn: "1h" },
        );
        const cases: Array<[string | undefined, string]> = [
          [undefined, "missing token"],
          ["not-a-jwt", "invalid token"],
          [forged, "invalid token"],
          [expiredToken(user), "token expired"],
        ];
        for (const [token, reason] of cases) {
          const err = await refusal(sdk(token).joinOrCreate(roomName, { roomName: "r1" }));
          assert.equal(err.code, 401, `${roomName}: ${reason}`);
          assert.match(err.message, new RegExp(reason));
        }
      });

      it("accepts the token as a join option too (and still refuses a bad one)", async () => {
        const user = await createUser();
        const err = await refusal(sdk().joinOrCreate(roomName, { token: expiredToken(user) }));
        assert.equal(err.code, 401);
        assert.match(err.message, /token expired/);
      });
    });
  }
});
