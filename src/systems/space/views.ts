import { StateView } from "@colyseus/schema";
import type { Client, Room } from "@colyseus/core";
import type { Bounds } from "./rules";
import { SpaceUser } from "./SpaceState";
import { InterestGrid, type InterestListener, type Observer } from "./interest";
import { encodeViewsFromVisible, type VisitVisible } from "./viewEncoding";

/** A seat's avatar, and (with interest management) its place in the grid and its client's view. */
export interface SpaceSeat {
  sessionId: string;
  avatar: SpaceUser;
  /** The client's StateView; null while the seat is held for a dropped client, or when the view is unlimited. */
  view: StateView | null;
  /** null when the view is unlimited (no grid). */
  observer: Observer<SpaceSeat> | null;
}

/** The grid's decisions, applied to the two clients' views (one object for all rooms: no per-move closures). */
export const applyToViews: InterestListener<Pick<SpaceSeat, "avatar" | "view">> = {
  enter(a, b) {
    a.view?.add(b.avatar);
    b.view?.add(a.avatar);
  },
  leave(a, b) {
    a.view?.remove(b.avatar);
    b.view?.remove(a.avatar);
  },
};

/** What viewEncoding needs of a seat: its avatar and, with a grid, who it sees. */
interface VisibleSeat<S> {
  avatar: object;
  observer: Observer<S> | null;
}

/**
 * viewEncoding's visit for views whose seats are in `seatOfView`: a seat's own avatar, then
 * those it sees; false for a view it does not know.
 */
export function visitSeatsOf<S extends VisibleSeat<S>>(seatOfView: ReadonlyMap<StateView, S>): VisitVisible {
  return (view, each) => {
    const seat = seatOfView.get(view);
    if (!seat?.observer) return false;
    each(seat.avatar);
    for (const other of seat.observer.visible) each(other.value.avatar);
    return true;
  };
}

/**
 * Who sees whom in one space room: the interest grid (interest.ts decides) applied to each
 * client's StateView, so a client's `users` holds its own avatar and those in its view. With
 * an unlimited view (radius 0) there is no grid and no views: everyone sees the whole state.
 */
export class SpaceViews {
  private readonly grid: InterestGrid<SpaceSeat> | null;
  /** Each live client view's seat: who that view holds is its seat's avatar and those it sees. */
  private readonly seatOfView = new Map<StateView, SpaceSeat>();

  constructor(
    bounds: Bounds,
    private readonly radius: number,
  ) {
    this.grid = radius > 0 ? new InterestGrid<SpaceSeat>(bounds, radius, applyToViews) : null;
  }

  /**
   * With a grid: patches every `patchMs`, each client's encoded from what its view holds
   * (viewEncoding.ts) rather than by walking every change of the tick. Call once the room's
   * state is set.
   */
  encodeFromViews(room: Room, patchMs: number): void {
    if (!this.grid) return;
    room.setPatchRate(patchMs);
    const encoder = (room as unknown as { _serializer?: { encoder?: unknown } })._serializer?.encoder;
    encodeViewsFromVisible(encoder, (ref) => ref instanceof SpaceUser, visitSeatsOf(this.seatOfView));
  }

  /** A new seat: in the grid at its avatar's position, with the client's first view. */
  seat(client: Client, avatar: SpaceUser): SpaceSeat {
    const seat: SpaceSeat = { sessionId: client.sessionId, avatar, view: null, observer: null };
    if (this.grid) {
      this.giveView(client, seat);
      seat.observer = this.grid.insert(seat, avatar.x, avatar.y);
    }
    return seat;
  }

  /** The avatar moved (MOVE's hot path: no allocation beyond the grid's). */
  move(seat: SpaceSeat, x: number, y: number): void {
    if (seat.observer) this.grid!.move(seat.observer, x, y);
  }

  /** An avatar outside new bounds is brought in (and re-celled). */
  keepInside(seat: SpaceSeat, { width, height }: Bounds): void {
    const { avatar } = seat;
    if (avatar.x <= width && avatar.y <= height) return;
    avatar.x = Math.min(avatar.x, width);
    avatar.y = Math.min(avatar.y, height);
    this.move(seat, avatar.x, avatar.y);
  }

  /** Out of everyone's view first, then the client's view goes. */
  remove(seat: SpaceSeat): void {
    if (seat.observer) this.grid!.remove(seat.observer);
    this.dropView(seat);
  }

  /** The seat is held and its avatar stays in others' views; the client's view goes with the connection. */
  drop(seat: SpaceSeat): void {
    this.dropView(seat);
  }

  /**
   * A fresh view, built from the grid as it is now: the full state the reconnected client
   * receives next holds exactly its own avatar and those in its view.
   */
  reconnect(client: Client, seat: SpaceSeat): void {
    seat.sessionId = client.sessionId;
    if (seat.observer) this.giveView(client, seat);
  }

  /** Those who see `seat` (and whom it sees), or null when everyone does. */
  nearby(seat: SpaceSeat): Iterable<Observer<SpaceSeat>> | null {
    return seat.observer ? seat.observer.visible : null;
  }

  /** New bounds for a live room: the grid re-cells. */
  resize(bounds: Bounds): void {
    this.grid?.reconfigure(bounds, this.radius);
  }

  private giveView(client: Client, seat: SpaceSeat): void {
    this.dropView(seat);
    const view = new StateView();
    view.add(seat.avatar);
    if (seat.observer) for (const other of seat.observer.visible) view.add(other.value.avatar);
    seat.view = view;
    client.view = view;
    this.seatOfView.set(view, seat);
  }

  private dropView(seat: SpaceSeat): void {
    if (!seat.view) return;
    this.seatOfView.delete(seat.view);
    seat.view.dispose();
    seat.view = null;
  }
}
