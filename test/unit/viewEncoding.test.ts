import assert from "node:assert/strict";
import { Decoder, Encoder, StateView } from "@colyseus/schema";
import { SpaceState, SpaceUser } from "../../src/systems/space/SpaceState";
import { InterestGrid, type Observer } from "../../src/systems/space/interest";
import { applyToViews, visitSeatsOf } from "../../src/systems/space/views";
import { mulberry32 } from "../../src/random";
import { encodeViewsFromVisible } from "../../src/systems/space/viewEncoding";

/**
 * viewEncoding.ts hands the encoder, for each view, a queue of just the trees that view can
 * hold. Whatever it does, what every client decodes must be what the grid says it sees: its
 * own avatar and those in view, each in its current state. These tests decode every client's
 * patches, tick after tick, and compare.
 */

interface Seat {
  avatar: SpaceUser;
  view: StateView;
  observer: Observer<Seat> | null;
  decoder: Decoder<SpaceState>;
}

const RADIUS = 100;

function space(side: number, hooked: boolean) {
  const state = new SpaceState({
    spaceId: "s",
    name: "s",
    capacity: 1000,
    width: side,
    height: side,
    viewRadius: RADIUS,
  });
  const encoder = new Encoder(state);
  const grid = new InterestGrid<Seat>({ width: side, height: side }, RADIUS, applyToViews);
  const seatOfView = new Map<StateView, Seat>();
  if (hooked) encodeViewsFromVisible(encoder, (ref) => ref instanceof SpaceUser, visitSeatsOf(seatOfView));
  const seats: Seat[] = [];
  let next = 0;

  /** A client joins: its avatar enters the state and the grid; its first full state comes at the next sync. */
  const join = (x: number, y: number): Seat => {
    const avatar = new SpaceUser({
      userId: `u${next}`,
      username: `user${next++}`,
      x,
      y,
      direction: "down",
      action: "",
    });
    state.users.set(avatar.userId, avatar);
    const view = new StateView();
    view.add(avatar);
    const seat: Seat = { avatar, view, observer: null, decoder: new Decoder(new SpaceState()) };
    seatOfView.set(view, seat);
    seat.observer = grid.insert(seat, x, y);
    seats.push(seat);
    return seat;
  };
  const leave = (seat: Seat): void => {
    grid.remove(seat.observer!);
    seat.observer = null;
    seatOfView.delete(seat.view);
    seat.view.dispose();
    state.users.delete(seat.avatar.userId);
    seats.splice(seats.indexOf(seat), 1);
  };
  const move = (seat: Seat, x: number, y: number): void => {
    seat.avatar.x = x;
    seat.avatar.y = y;
    grid.move(seat.observer!, x, y);
  };
  /** The full state for newcomers, as SchemaSerializer.getFullState. */
  const fullSync = (newcomers: Seat[]): void => {
    const it = { offset: 1 };
    encoder.encodeAll(it);
    for (const seat of newcomers)
      seat.decoder.decode(encoder.encodeAllView(seat.view, it.offset, { ...it }), { offset: 1 });
  };
  /** One patch to everyone, as SchemaSerializer.applyPatches with views. */
  const patch = (except: Set<Seat>): void => {
    const it = { offset: 1 };
    encoder.encode(it);
    const sharedOffset = it.offset;
    for (const seat of seats) {
      if (except.has(seat)) continue;
      seat.decoder.decode(encoder.encodeView(seat.view, sharedOffset, it), { offset: 1 });
    }
    encoder.discardChanges();
  };
  /** Every client's decoded `users` against the grid's truth. */
  const check = (when: string): void => {
    for (const seat of seats) {
      const expected = new Map<string, SpaceUser>([[seat.avatar.userId, seat.avatar]]);
      for (const other of seat.observer!.visible) expected.set(other.value.avatar.userId, other.value.avatar);
      const decoded = seat.decoder.state.users;
      assert.deepEqual(
        [...decoded.keys()].sort(),
        [...expected.keys()].sort(),
        `${when}: ${seat.avatar.userId}'s users`,
      );
      for (const [id, truth] of expected) {
        const got = decoded.get(id)!;
        assert.deepEqual(
          { x: got.x, y: got.y, direction: got.direction, action: got.action },
          { x: truth.x, y: truth.y, direction: truth.direction, action: truth.action },
          `${when}: ${id} as ${seat.avatar.userId} sees it`,
        );
      }
    }
  };
  return { seats, join, leave, move, fullSync, patch, check };
}

/** Random walks with jumps, actions, joins and leaves; every client checked after every tick. */
function simulate(hooked: boolean, seed: number, avatars: number, ticks: number): void {
  const rand = mulberry32(seed);
  const side = Math.round(2 * RADIUS * Math.sqrt(avatars / 20));
  const s = space(side, hooked);
  const at = () => Math.floor(rand() * side);
  for (let i = 0; i < avatars; i++) s.join(at(), at());
  s.fullSync(s.seats);
  s.patch(new Set()); // the view changes made before the first sync
  s.check("after the first state");
  for (let tick = 0; tick < ticks; tick++) {
    for (const seat of s.seats) {
      const roll = rand();
      if (roll < 0.6) {
        const step = () => Math.round((rand() * 2 - 1) * 8);
        s.move(
          seat,
          Math.min(side, Math.max(0, seat.avatar.x + step())),
          Math.min(side, Math.max(0, seat.avatar.y + step())),
        );
      } else if (roll < 0.65)
        s.move(seat, at(), at()); // a jump: many views change at once
      else if (roll < 0.7) seat.avatar.action = rand() < 0.5 ? "" : `wave${tick}`;
      if (rand() < 0.3) seat.avatar.direction = (["up", "down", "left", "right"] as const)[tick % 4]!;
    }
    const newcomers = new Set<Seat>();
    if (tick % 3 === 0) newcomers.add(s.join(at(), at()));
    if (tick % 4 === 1) s.leave(s.seats[Math.floor(rand() * s.seats.length)]!);
    s.patch(newcomers);
    // A newcomer gets the full state after the patch, as a joining client does.
    if (newcomers.size) {
      s.fullSync([...newcomers]);
      s.patch(new Set());
    }
    s.check(`tick ${tick}`);
  }
}

describe("space view encoding (decoded by every client)", () => {
  it("each client decodes exactly its own avatar and those in view, at their current state", () => {
    simulate(true, 1, 200, 40);
    simulate(true, 7, 60, 60);
  });

  it("decodes the same as the encoder's own full walk (the reference)", () => {
    simulate(false, 1, 200, 40);
  });

  it("an avatar that changes every other tick is current in its watcher's state after every tick", () => {
    // Two avatars side by side: A moves on even ticks only; B watches.
    const s = space(400, true);
    const a = s.join(100, 100);
    s.join(120, 120);
    s.fullSync(s.seats);
    s.patch(new Set());
    for (let tick = 0; tick < 10; tick++) {
      if (tick % 2 === 0) s.move(a, 100 + tick, 100);
      s.patch(new Set());
      s.check(`tick ${tick}`);
    }
  });
});
