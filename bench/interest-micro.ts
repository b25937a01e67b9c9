import { Encoder, StateView } from "@colyseus/schema";

Encoder.BUFFER_SIZE = 128 * 1024; // a 1,000-avatar full state does not fit the 16 KB default
import { InterestGrid, type Observer } from "../src/systems/space/interest";
import { BroadcastSpaceState, SpaceState, SpaceUser } from "../src/systems/space/SpaceState";
import { mulberry32 } from "../src/random";
import { applyToViews, visitSeatsOf } from "../src/systems/space/views";
import { encodeViewsFromVisible } from "../src/systems/space/viewEncoding";

/**
 * Server-side cost of one big space without the network: `npx tsx bench/interest-micro.ts [N…]`.
 * With `--covered`, the space is small enough for everyone to be in everyone's view (side ≤
 * view radius), and a third mode shares one StateView between all clients (what a covered
 * space could do), so the question "may a small space skip the grid?" is measured.
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

/**
 * "interest management" encodes each view the way SpaceRoom does (viewEncoding.ts: a queue of
 * just the trees the view holds); "… (schema's full walk)" lets the encoder walk every change.
 */
type Mode = "interest management" | "interest management (schema's full walk)" | "broadcast" | "one shared view";

function run(
  n: number,
  mode: Mode,
  covered: boolean,
): { cpuMsPerSec: number; bytesPerClientPerSec: number; inView: number } {
  const filtered = mode !== "broadcast";
  const shared = mode === "one shared view" ? new StateView() : null;
  // Covered: the whole space within every view (side = radius), else ~PER_VIEW in each view.
  const side = covered ? RADIUS : Math.round(2 * RADIUS * Math.sqrt(n / PER_VIEW));
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
  const grid = mode.startsWith("interest management")
    ? new InterestGrid<Seat>({ width: side, height: side }, RADIUS, applyToViews)
    : null;
  const seatOfView = new Map<StateView, Seat>();
  if (mode === "interest management")
    encodeViewsFromVisible(encoder, (ref) => ref instanceof SpaceUser, visitSeatsOf(seatOfView));
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
    if (shared) {
      seat.view = shared;
      shared.add(avatar);
    } else if (grid) {
      seat.view = new StateView();
      seatOfView.set(seat.view, seat);
      seat.view.add(avatar);
      seat.observer = grid.insert(seat, avatar.x, avatar.y);
      for (const other of seat.observer.visible) seat.view.add(other.value.avatar);
    }
    seats.push(seat);
  }
  // Everyone's first full state, outside the measure.
  encoder.encodeAll({ offset: 1 });
  for (const v of views(seats)) encoder.encodeAllView(v, 1, { offset: 1 });
  encoder.discardChanges();
  for (const v of views(seats)) encoder.encodeView(v, 1, { offset: 1 });

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
    const patch = encoder.encode(it);
    if (!filtered) bytes += patch.length * n;
    else {
      // As SchemaSerializer.applyPatches: one encodeView per distinct view, sent to its clients.
      const sharedOffset = it.offset;
      for (const v of views(seats)) bytes += encoder.encodeView(v, sharedOffset, it).length * (shared ? n : 1);
    }
    encoder.discardChanges();
  }
  const cpu = process.cpuUsage(t0);
  const inView = grid
    ? seats.reduce((k, s) => k + s.observer!.visible.size, 0) / n
    : covered || !filtered
      ? n - 1
      : NaN;
  return { cpuMsPerSec: (cpu.user + cpu.system) / 1000 / SECONDS, bytesPerClientPerSec: bytes / n / SECONDS, inView };
}

/** The distinct views of the seats (one when they share it). */
function views(seats: Seat[]): Set<StateView> {
  const out = new Set<StateView>();
  for (const s of seats) if (s.view) out.add(s.view);
  return out;
}

const args = process.argv.slice(2);
const covered = args.includes("--covered");
const sizes = args.map(Number).filter((x) => x > 0);
const modes: Mode[] = covered
  ? ["interest management", "one shared view", "broadcast"]
  : ["interest management", "interest management (schema's full walk)", "broadcast"];
console.log(`| avatars | mode | in view | server CPU ms per second | encoded bytes / client / s |`);
console.log("|---|---|---|---|---|");
for (const n of sizes.length ? sizes : covered ? [20, 50] : [50, 200, 500, 1000]) {
  for (const mode of modes) {
    // Warm-up (JIT), then the best of three: the machine is shared.
    run(n, mode, covered);
    const r = [run(n, mode, covered), run(n, mode, covered), run(n, mode, covered)].sort(
      (a, b) => a.cpuMsPerSec - b.cpuMsPerSec,
    )[0]!;
    console.log(
      `| ${n} | ${mode} | ${r.inView.toFixed(1)} | ${r.cpuMsPerSec.toFixed(2)} | ${Math.round(r.bytesPerClientPerSec)} |`,
    );
  }
}
