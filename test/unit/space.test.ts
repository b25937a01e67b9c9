import assert from "node:assert/strict";
import {
  defaultPosition,
  hasRoomForMember,
  inviteExpiresAt,
  inviteRefusal,
  isDirection,
  isInviteExpired,
  moveError,
  seatRefusal,
} from "../../src/systems/space/rules";

const bounds = { width: 800, height: 600 };

describe("space rules", () => {
  describe("moveError", () => {
    it("accepts finite coordinates inside the bounds (edges included) and the four directions", () => {
      for (const direction of ["up", "down", "left", "right"]) {
        assert.equal(moveError({ x: 10.5, y: 20, direction }, bounds), null);
      }
      assert.equal(moveError({ x: 0, y: 0, direction: "up" }, bounds), null);
      assert.equal(moveError({ x: 800, y: 600, direction: "up" }, bounds), null);
    });

    it("names the field for NaN, Infinity, strings, out of bounds and missing values", () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ x: NaN, y: 1, direction: "up" }, /^x: /],
        [{ x: Infinity, y: 1, direction: "up" }, /^x: /],
        [{ x: -Infinity, y: 1, direction: "up" }, /^x: /],
        [{ x: "10", y: 1, direction: "up" }, /^x: /],
        [{ x: -0.001, y: 1, direction: "up" }, /^x: /],
        [{ x: 800.001, y: 1, direction: "up" }, /^x: /],
        [{ y: 1, direction: "up" }, /^x: /],
        [{ x: 1, y: NaN, direction: "up" }, /^y: /],
        [{ x: 1, y: 601, direction: "up" }, /^y: /],
        [{ x: 1, y: null, direction: "up" }, /^y: /],
        [{ x: 1, y: 1, direction: "north" }, /^direction: /],
        [{ x: 1, y: 1, direction: "UP" }, /^direction: /],
        [{ x: 1, y: 1 }, /^direction: /],
        [null, /^payload: /],
        [undefined, /^payload: /],
        ["x=1", /^payload: /],
        [42, /^payload: /],
        [[1, 2, "up"], /^payload: /],
      ];
      for (const [payload, field] of cases) {
        assert.match(moveError(payload, bounds) ?? "valid", field, JSON.stringify(payload));
      }
    });

    it("uses the space's own bounds", () => {
      assert.equal(moveError({ x: 5000, y: 5000, direction: "up" }, { width: 10_000, height: 10_000 }), null);
      assert.match(moveError({ x: 11, y: 0, direction: "up" }, { width: 10, height: 10 })!, /between 0 and 10/);
    });
  });

  it("isDirection knows exactly four directions", () => {
    assert.deepEqual(["up", "down", "left", "right", "Up", "", null].map(isDirection), [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("defaultPosition is the middle of the space, facing down", () => {
    assert.deepEqual(defaultPosition(bounds), { x: 400, y: 300, direction: "down" });
  });

  describe("who may invite", () => {
    it("admins always, members only while there is room, non-members never", () => {
      assert.equal(inviteRefusal("admin", 10, 10), null);
      assert.equal(inviteRefusal("admin", 1, 10), null);
      assert.equal(inviteRefusal("member", 9, 10), null);
      assert.equal(inviteRefusal("member", 10, 10), "SPACE_FULL");
      assert.equal(inviteRefusal("member", 11, 10), "SPACE_FULL");
      assert.equal(inviteRefusal(null, 1, 10), "NO_ACCESS");
    });

    it("a space has room for a member while members < capacity", () => {
      assert.equal(hasRoomForMember(1, 2), true);
      assert.equal(hasRoomForMember(2, 2), false);
    });
  });

  describe("invite expiry", () => {
    const now = new Date("2026-11-22T12:00:00.000Z");

    it("expires INVITE_EXPIRY_HOURS after sending", () => {
      assert.equal(inviteExpiresAt(now, 24).toISOString(), "2026-11-23T12:00:00.000Z");
      assert.equal(inviteExpiresAt(now, 0.5).toISOString(), "2026-11-22T12:30:00.000Z");
    });

    it("has expired once now reaches the expiry, judged by the injected clock", () => {
      const expiresAt = inviteExpiresAt(now, 24);
      assert.equal(isInviteExpired(expiresAt, now), false);
      assert.equal(isInviteExpired(expiresAt, new Date(expiresAt.getTime() - 1)), false);
      assert.equal(isInviteExpired(expiresAt, expiresAt), true);
      assert.equal(isInviteExpired(expiresAt.toISOString(), new Date(expiresAt.getTime() + 1)), true);
      assert.equal(isInviteExpired(null, new Date(8.64e15)), false);
    });
  });

  it("seatRefusal: one seat per user, at most capacity present", () => {
    assert.equal(seatRefusal(0, 1, false), null);
    assert.equal(seatRefusal(1, 1, false), "FULL");
    assert.equal(seatRefusal(0, 1, true), "SECOND_SEAT");
    assert.equal(seatRefusal(5, 5, true), "SECOND_SEAT");
  });
});
