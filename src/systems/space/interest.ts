/**
 * Spatial interest management for spaces: who sees whom. Pure and synchronous, no I/O and no
 * schema: the room applies what this module decides (it adds and removes avatars in each
 * client's StateView from the listener's `enter`/`leave`).
 *
 * A view is the square of half-side `radius` centred on the observer's avatar (Chebyshev
 * distance ≤ radius, edges included). The relation is symmetric, so one pair check decides
 * both directions and the listener hears each change once per pair. Avatars sit in a uniform
 * grid of cells at least `radius` wide, so everyone an avatar can see is in the 3×3 cells
 * around it. MOVE calls `move` on every message: it allocates nothing but Set iterators.
 */

import type { Bounds } from "./rules";

/** Told once per pair when two avatars start or stop seeing each other. */
export interface InterestListener<T> {
  enter(a: T, b: T): void;
  leave(a: T, b: T): void;
}

/** One avatar in the grid. `visible` is who it sees (itself excluded); read it, never write it. */
export class Observer<T> {
  x = 0;
  y = 0;
  cell = -1;
  readonly visible = new Set<Observer<T>>();
  constructor(readonly value: T) {}
}

/** At most this many columns (and rows): a huge space with a tiny view gets wider cells. */
export const MAX_GRID_SIDE = 1024;

/** Whether two positions are within `radius` of each other (the square view). */
export const inView = (ax: number, ay: number, bx: number, by: number, radius: number): boolean =>
  Math.abs(ax - bx) <= radius && Math.abs(ay - by) <= radius;

/** The side of a grid cell: the view radius, widened so a side never has more than MAX_GRID_SIDE cells. */
export const cellSizeFor = (bounds: Bounds, radius: number): number =>
  Math.max(radius, Math.ceil(Math.max(bounds.width, bounds.height) / MAX_GRID_SIDE), 1);

/**
 * The view radius a space uses: its own when set, else the default. 0 means unlimited (the
 * whole space is in view: no interest management).
 */
export const effectiveViewRadius = (own: number | null | undefined, defaultRadius: number): number =>
  own ?? defaultRadius;

export class InterestGrid<T> {
  private readonly cells = new Map<number, Set<Observer<T>>>();
  private readonly members = new Set<Observer<T>>();
  private radius: number;
  private cellSize: number;
  private cols: number;

  constructor(
    bounds: Bounds,
    radius: number,
    private readonly listener: InterestListener<T>,
  ) {
    if (!(radius > 0)) throw new RangeError("InterestGrid needs a view radius > 0");
    this.radius = radius;
    this.cellSize = cellSizeFor(bounds, radius);
    this.cols = Math.floor(bounds.width / this.cellSize) + 1;
  }

  get size(): number {
    return this.members.size;
  }

  /** Place a new avatar; the listener hears `enter` for everyone it now sees. */
  insert(value: T, x: number, y: number): Observer<T> {
    const o = new Observer(value);
    this.members.add(o);
    this.place(o, x, y);
    this.discover(o);
    return o;
  }

  /** Move an avatar: `leave` for those now out of view, then `enter` for those now in it. */
  move(o: Observer<T>, x: number, y: number): void {
    this.place(o, x, y);
    this.forget(o, false);
    this.discover(o);
  }

  /** Take an avatar out; the listener hears `leave` for everyone it saw. */
  remove(o: Observer<T>): void {
    if (!this.members.delete(o)) return;
    this.forget(o, true);
    this.cells.get(o.cell)?.delete(o);
    if (this.cells.get(o.cell)?.size === 0) this.cells.delete(o.cell);
    o.cell = -1;
  }

  /**
   * New bounds or radius (a live settings change): re-cell everyone and settle every pair,
   * so `leave`/`enter` report exactly the pairs whose visibility changed.
   */
  reconfigure(bounds: Bounds, radius: number): void {
    if (!(radius > 0)) throw new RangeError("InterestGrid needs a view radius > 0");
    this.radius = radius;
    this.cellSize = cellSizeFor(bounds, radius);
    this.cols = Math.floor(bounds.width / this.cellSize) + 1;
    this.cells.clear();
    for (const o of this.members) {
      o.cell = -1;
      this.place(o, o.x, o.y);
    }
    for (const o of this.members) this.forget(o, false);
    for (const o of this.members) this.discover(o);
  }

  /** Everyone who sees `o` (the same as whom `o` sees). */
  viewersOf(o: Observer<T>): ReadonlySet<Observer<T>> {
    return o.visible;
  }

  private place(o: Observer<T>, x: number, y: number): void {
    o.x = x;
    o.y = y;
    const cell = Math.floor(y / this.cellSize) * this.cols + this.colOf(x);
    if (cell === o.cell) return;
    const old = this.cells.get(o.cell);
    if (old) {
      old.delete(o);
      if (old.size === 0) this.cells.delete(o.cell);
    }
    let next = this.cells.get(cell);
    if (!next) this.cells.set(cell, (next = new Set()));
    next.add(o);
    o.cell = cell;
  }

  /** An avatar left outside narrowed bounds stays in the last column rather than wrapping a row. */
  private colOf(x: number): number {
    return Math.min(Math.floor(x / this.cellSize), this.cols - 1);
  }

  /** Drop the pairs `o` no longer sees (all of them when `all`). */
  private forget(o: Observer<T>, all: boolean): void {
    const r = this.radius;
    for (const p of o.visible) {
      if (!all && inView(o.x, o.y, p.x, p.y, r)) continue;
      o.visible.delete(p);
      p.visible.delete(o);
      this.listener.leave(o.value, p.value);
    }
  }

  /** Add the pairs `o` now sees, looking only in the 3×3 cells around it. */
  private discover(o: Observer<T>): void {
    const r = this.radius;
    const cx = this.colOf(o.x);
    const cy = Math.floor(o.y / this.cellSize);
    for (let dy = -1; dy <= 1; dy++) {
      const row = cy + dy;
      if (row < 0) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const col = cx + dx;
        if (col < 0 || col >= this.cols) continue;
        const cell = this.cells.get(row * this.cols + col);
        if (!cell) continue;
        for (const p of cell) {
          if (p === o || !inView(o.x, o.y, p.x, p.y, r) || o.visible.has(p)) continue;
          o.visible.add(p);
          p.visible.add(o);
          this.listener.enter(o.value, p.value);
        }
      }
    }
  }
}
