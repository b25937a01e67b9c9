import type { Client } from "@colyseus/core";
import { RoomEvent } from "./events";

/**
 * The room's one registry of seats: who holds which seat (a user may hold several, one per
 * device or tab), whether it is connected, the room's own data for it (a role, a team, an
 * avatar), and its event stream.
 *
 * Event delivery (docs/PROTOCOL.md §1, "Nothing missed across a drop"): every event sent to a
 * seat carries `seq`, counting from 1 across reconnections. While the seat is held for a
 * dropped client, events are buffered (up to `capacity`) and replayed in order on reconnect,
 * after an `events_lost {count}` if the buffer overflowed.
 */
export interface Seat<D> {
  readonly sessionId: string;
  readonly userId: string;
  client: Client;
  connected: boolean;
  /** Set while the room's onLeave runs: the seat is on its way out (and not connected). */
  leaving: boolean;
  /** What the room keeps for this seat (set by the room in its onJoin), if anything. */
  data: D | undefined;
  seq: number;
  buffer: Array<[type: string, payload: object]>;
  lost: number;
}

export type SentHook = (type: string) => void;

export class Seats<D = undefined> {
  private readonly bySession = new Map<string, Seat<D>>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly capacity: number,
    private readonly onSent: SentHook = () => undefined,
  ) {}

  join(client: Client, userId: string): Seat<D> {
    const seat: Seat<D> = {
      sessionId: client.sessionId,
      userId,
      client,
      connected: true,
      leaving: false,
      data: undefined,
      seq: 0,
      buffer: [],
      lost: 0,
    };
    this.bySession.set(client.sessionId, seat);
    let sessions = this.byUser.get(userId);
    if (!sessions) this.byUser.set(userId, (sessions = new Set()));
    sessions.add(client.sessionId);
    return seat;
  }

  drop(sessionId: string): void {
    const seat = this.bySession.get(sessionId);
    if (seat) seat.connected = false;
  }

  /** The client is back: deliver what it missed, in order, before anything newer. */
  reconnect(client: Client, userId: string): void {
    const seat = this.bySession.get(client.sessionId);
    if (!seat) return void this.join(client, userId);
    seat.client = client;
    seat.connected = true;
    if (seat.lost > 0) this.deliver(seat, RoomEvent.eventsLost, { count: seat.lost });
    const pending = seat.buffer;
    seat.buffer = [];
    seat.lost = 0;
    for (const [type, payload] of pending) this.deliver(seat, type, payload);
  }

  /** The seat is leaving (its room's onLeave runs next): no longer connected, nor counted as held. */
  markLeaving(sessionId: string): void {
    const seat = this.bySession.get(sessionId);
    if (!seat) return;
    seat.connected = false;
    seat.leaving = true;
  }

  leave(sessionId: string): void {
    const seat = this.bySession.get(sessionId);
    if (!seat) return;
    this.bySession.delete(sessionId);
    const sessions = this.byUser.get(seat.userId)!;
    sessions.delete(sessionId);
    if (sessions.size === 0) this.byUser.delete(seat.userId);
  }

  has(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  get(sessionId: string): Seat<D> | undefined {
    return this.bySession.get(sessionId);
  }

  /** The room's data for a seat. */
  dataOf(sessionId: string): D | undefined {
    return this.bySession.get(sessionId)?.data;
  }

  setData(sessionId: string, data: D): void {
    const seat = this.bySession.get(sessionId);
    if (seat) seat.data = data;
  }

  isConnected(sessionId: string): boolean {
    return this.bySession.get(sessionId)?.connected ?? false;
  }

  /** The user's seats here (connected or held), in join order. */
  *ofUser(userId: string): IterableIterator<Seat<D>> {
    const sessions = this.byUser.get(userId);
    if (!sessions) return;
    for (const sessionId of sessions) yield this.bySession.get(sessionId)!;
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** Whether any of the user's seats is connected (not just held). */
  isUserConnected(userId: string): boolean {
    for (const seat of this.ofUser(userId)) if (seat.connected) return true;
    return false;
  }

  /** How many users hold at least one seat. */
  get userCount(): number {
    return this.byUser.size;
  }

  get size(): number {
    return this.bySession.size;
  }

  values(): IterableIterator<Seat<D>> {
    return this.bySession.values();
  }

  /** Send to one seat; buffered while it is dropped. */
  send(sessionId: string, type: string, payload: object = {}): void {
    const seat = this.bySession.get(sessionId);
    if (!seat) return;
    if (seat.connected) return this.deliver(seat, type, payload);
    if (seat.buffer.length >= this.capacity) {
      seat.buffer.shift();
      seat.lost++;
    }
    seat.buffer.push([type, payload]);
  }

  /** Send to every seat, connected or held, except the listed session ids. */
  broadcast(type: string, payload: object = {}, except?: string | string[]): void {
    const skip = except === undefined ? undefined : new Set(Array.isArray(except) ? except : [except]);
    for (const sessionId of this.bySession.keys()) {
      if (!skip?.has(sessionId)) this.send(sessionId, type, payload);
    }
  }

  private deliver(seat: Seat<D>, type: string, payload: object): void {
    seat.seq++;
    seat.client.send(type, { ...payload, seq: seat.seq });
    this.onSent(type);
  }
}
