import { Encoder, StateView } from "@colyseus/schema";

Encoder.BUFFER_SIZE = 128 * 1024; // a 1,000-avatar full state does not fit the 16 KB default
import { InterestGrid, type Observer } from "../src/systems/space/interest";
import { BroadcastSpaceState, SpaceState, SpaceUser } from "../src/systems/space/SpaceState";
import { mulberry32 } from "../src/random";

/**
 * Server-side cost of one big space without the network: `npx tsx bench/interest-micro.ts [N…]`.
 * N avatars random-walk at 10 Hz (as in scenario E, ~20 in each view) for 5 simulated
 * seconds at the room's patch rate (20 Hz); each patch is encoded the way Colyseus's
 * SchemaSerializer does (shared pass, then one `encodeView` per client when filtered).
 * Compares interest management (grid + StateView) with the unfiltered broadcast state, in
 * CPU per simulated second and bytes per client per second (the bytes the encoder produced,
 * before WebSocket framing).
 */

const RADIUS = 100;
const PER_VIEW = 20;
const HZ = 10;
const PATCH_MS = 50;
const SECONDS = 5;

interface Seat {
  avatar: InstanceType<typeof SpaceUser>;
  view: StateView | null;
  observer: Observer<Seat> | null;
}

function run(n: number, filtered: boolean): { cpuMsPerSec: number; bytesPerClientPerSec: number; inView: number } {
  const side = Math.round(2 * RADIUS * Math.sqrt(n / PER_VIEW));
  const fields = {
    spaceId: "s",
    name: "big",
    capacity: n,
    width: side,
    height: side,
    viewRadius: filtered ? RADIUS : 0,
  };
  const state = filtered ? new SpaceState(fields) : new BroadcastSpaceState(fields);
  const encoder = new Encoder(state);
  const grid = filtered
    ? new InterestGrid<Seat>({ width: side, height: side }, RADIUS, {
        enter(a, b) {
          a.view?.add(b.avatar);
          b.view?.add(a.avatar);
        },
        leave(a, b) {
          a.view?.remove(b.avatar);
          b.view?.remove(a.avatar);
        },
      })
    : null;
  const rand = mulberry32(n);
  const seats: Seat[] = [];
  for (let i = 0; i < n; i++) {
    const avatar = new SpaceUser({
      userId: `u${i}`,
      username: `user${i}`,
      x: Math.floor(rand() * side),
      y: Math.floor(rand() * side),
      direction: "down",
      action: "",
    });
    state.users.set(avatar.userId, avatar);
    const seat: Seat = { avatar, view: null, observer: null };
    if (grid) {
      seat.view = new StateView();
      seat.view.add(avatar);
      seat.observer = grid.insert(seat, avatar.x, avatar.y);
      for (const other of seat.observer.visible) seat.view.add(other.value.avatar);
    }
    seats.push(seat);
  }
  // Everyone's first full state, outside the measure.
  encoder.encodeAll({ offset: 1 });
  for (const s of seats) if (s.view) encoder.encodeAllView(s.view, 1, { offset: 1 });
  encoder.discardChanges();
  for (const s of seats) if (s.view) encoder.encodeView(s.view, 1, { offset: 1 });

  const movesPerPatch = (n * HZ * PATCH_MS) / 1000;
  let bytes = 0;
  let cursor = 0;
  const t0 = process.cpuUsage();
  for (let patch = 0; patch < (SECONDS * 1000) / PATCH_MS; patch++) {
    for (let m = 0; m < movesPerPatch; m++) {
      const seat = seats[cursor++ % n]!;
      const a = seat.avatar;
      a.x = Math.min(side, Math.max(0, a.x + Math.round((rand() * 2 - 1) * 5)));
      a.y = Math.min(side, Math.max(0, a.y + Math.round((rand() * 2 - 1) * 5)));
      if (seat.observer) grid!.move(seat.observer, a.x, a.y);
    }
    const it = { offset: 1 };
    const shared = encoder.encode(it);
    if (!filtered) bytes += shared.length * n;
    else {
      const sharedOffset = it.offset;
      for (const s of seats) bytes += encoder.encodeView(s.view!, sharedOffset, it).length;
    }
    encoder.discardChanges();
  }
  const cpu = process.cpuUsage(t0);
  const inView = grid ? seats.reduce((k, s) => k + s.observer!.visible.size, 0) / n : n - 1;
  return { cpuMsPerSec: (cpu.user + cpu.system) / 1000 / SECONDS, bytesPerClientPerSec: bytes / n / SECONDS, inView };
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
console.log("| avatars | mode | in view | server CPU ms per second | encoded bytes / client / s |");
console.log("|---|---|---|---|---|");
for (const n of sizes.length ? sizes : [50, 200, 500, 1000]) {
  for (const filtered of [true, false]) {
    run(n, filtered); // warm-up (JIT)
    const r = run(n, filtered);
    console.log(
      `| ${n} | ${filtered ? "interest management" : "broadcast"} | ${r.inView.toFixed(1)} | ${r.cpuMsPerSec.toFixed(1)} | ${Math.round(r.bytesPerClientPerSec)} |`,
    );
  }
}
