import type { Client } from "@colyseus/core";

/**
 * Per-seat event delivery (docs/PROTOCOL.md §1, "Nothing missed across a drop").
 * Every event sent to a seat carries `seq`, counting from 1 across reconnections. While the
 * seat is held for a dropped client, events are buffered (up to `capacity`) and replayed in
 * order on reconnect, after an `events_lost {count}` if the buffer overflowed.
 */
interface Seat {
  client: Client;
  connected: boolean;
  seq: number;
  buffer: Array<[type: string, payload: object]>;
  lost: number;
}

export type SentHook = (type: string) => void;

export class SeatEvents {
  private readonly seats = new Map<string, Seat>();

  constructor(
    private readonly capacity: number,
    private readonly onSent: SentHook = () => undefined,
  ) {}

  join(client: Client): void {
    this.seats.set(client.sessionId, { client, connected: true, seq: 0, buffer: [], lost: 0 });
  }

  drop(sessionId: string): void {
    const seat = this.seats.get(sessionId);
    if (seat) seat.connected = false;
  }

  /** The client is back: deliver what it missed, in order, before anything newer. */
  reconnect(client: Client): void {
    const seat = this.seats.get(client.sessionId);
    if (!seat) return this.join(client);
    seat.client = client;
    seat.connected = true;
    if (seat.lost > 0) this.deliver(seat, "events_lost", { count: seat.lost });
    const pending = seat.buffer;
    seat.buffer = [];
    seat.lost = 0;
    for (const [type, payload] of pending) this.deliver(seat, type, payload);
  }

  leave(sessionId: string): void {
    this.seats.delete(sessionId);
  }

  has(sessionId: string): boolean {
    return this.seats.has(sessionId);
  }

  isConnected(sessionId: string): boolean {
    return this.seats.get(sessionId)?.connected ?? false;
  }

  /** Send to one seat; buffered while it is dropped. */
  send(sessionId: string, type: string, payload: object = {}): void {
    const seat = this.seats.get(sessionId);
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
    for (const sessionId of this.seats.keys()) {
      if (!skip?.has(sessionId)) this.send(sessionId, type, payload);
    }
  }

  private deliver(seat: Seat, type: string, payload: object): void {
    seat.seq++;
    seat.client.send(type, { ...payload, seq: seat.seq });
    this.onSent(type);
  }
}
