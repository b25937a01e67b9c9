import type { ErrorCode } from "../errors";

/**
 * Event tables. Each system's protocol declares the events its room sends as a pair:
 * - a `const` table of names (`DiceEvent.rolled === "bigger_dice.rolled"`), the only place a
 *   name is spelled, and
 * - an interface mapping each name to its payload (`DiceEvents[typeof DiceEvent.rolled]`).
 * `RallyRoom<Options, Events>`'s `sendTo`/`broadcastEvent` accept only names from its table
 * (plus the base's own below) with the matching payload, and clients type `on` from the same
 * tables. Every event a client receives also carries its seat's `seq`.
 */
export const RoomEvent = {
  /** A `room.send` that failed: the room edge's answer (a `room.request` rejects instead). */
  error: "error",
  pong: "pong",
  /** Sent first on a reconnect whose held seat's buffer overflowed. */
  eventsLost: "events_lost",
} as const;

export interface RoomEvents {
  [RoomEvent.error]: { code: ErrorCode; message: string; type: string };
  [RoomEvent.pong]: { t: number };
  [RoomEvent.eventsLost]: { count: number };
}

/** Messages every room accepts, beside its own. */
export const RoomMessage = {
  ping: "ping",
  authRefresh: "auth:refresh",
} as const;

/** What a client receives for an event: its payload plus the seat's sequence number. */
export type Sequenced<P> = P & { seq: number };

/** A table not yet typed: any name, any object payload. */
export type UntypedEvents = Record<string, object>;

/** The names a room with table `E` may send, the base's included. */
export type EventName<E> = (keyof E | keyof RoomEvents) & string;
/** The payload of event `K` in table `E` (or the base's). */
export type EventPayload<E, K> = K extends keyof RoomEvents ? RoomEvents[K] : K extends keyof E ? E[K] : never;
