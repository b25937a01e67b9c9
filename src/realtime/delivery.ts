import type { Presence } from "@colyseus/core";
import type { LobbyEvents } from "../systems/lobby/protocol";
import { logger } from "../logger";
import { presenceDel } from "./presenceDel";

/** One event of table `E` (name → payload) as it travels over presence pub/sub. */
export type DeliveredEvent<E = LobbyEvents> = { [K in keyof E & string]: { type: K; payload: E[K] } }[keyof E & string];

export type DeliveryHandler<E = LobbyEvents> = (event: DeliveredEvent<E>) => void;

declare const topicEvents: unique symbol;
/**
 * A presence topic whose events are table `E`. Publisher and subscriber both name a topic
 * through the same typed constructor (e.g. `spaceTopic(id)`), so they cannot disagree on
 * what travels over it.
 */
export type Topic<E> = string & { readonly [topicEvents]?: E };

export function topic<E>(name: string): Topic<E> {
  return name;
}

const userChannel = (userId: string) => `rally:user:${userId}`;
const topicChannel = (topic: string) => `rally:topic:${topic}`;
const ONLINE_KEY = "rally:online";
const seatedKey = (topic: string) => `rally:seated:${topic}`;
/** An online entry held through a graceful restart: `restart:<ms until which it holds>`. */
const RESTART_PREFIX = "restart:";

/**
 * Cross-room and cross-process delivery. REST handlers, services and rooms call
 * `toUser(userId, …)`; the user's lobby, wherever it lives, has subscribed with `onUser`.
 * `toTopic` does the same for a live room keyed by a resource (e.g. `conversation:<id>`).
 * With local presence this stays in the process; with Redis presence it crosses processes.
 * Online status is kept in presence too, so every process sees the same answer.
 */
export class Delivery {
  constructor(
    private readonly presence: Presence,
    /** This process's id (the matchmaker's), written beside a user's online entry. */
    private readonly processId: () => string | undefined = () => undefined,
  ) {}

  /** An event for the user's lobby: a name from `LobbyEvent` with its payload. */
  async toUser<K extends keyof LobbyEvents>(userId: string, type: K, payload: LobbyEvents[K]): Promise<void> {
    await this.presence.publish(userChannel(userId), { type, payload });
  }

  async toTopic<E, K extends keyof E & string>(topic: Topic<E>, type: K, payload: E[K]): Promise<void> {
    await this.presence.publish(topicChannel(topic), { type, payload });
  }

  /** Subscribe to a user's events; returns the unsubscribe function. */
  async onUser(userId: string, handler: DeliveryHandler<LobbyEvents>): Promise<() => void> {
    return this.listen(userChannel(userId), handler);
  }

  async onTopic<E>(topic: Topic<E>, handler: DeliveryHandler<E>): Promise<() => void> {
    return this.listen(topicChannel(topic), handler);
  }

  /** Online entries name the process holding the user's lobby, so a dead process's can be pruned. */
  async setOnline(userId: string, online: boolean): Promise<void> {
    if (online) await this.presence.hset(ONLINE_KEY, userId, this.processId() ?? "local");
    else await this.presence.hdel(ONLINE_KEY, userId);
  }

  /**
   * Keep the user online while their lobby's process restarts gracefully, until `untilMs`:
   * their devices reconnect elsewhere (overwriting this), or the entry is pruned after it.
   */
  async holdOnline(userId: string, untilMs: number): Promise<void> {
    await this.presence.hset(ONLINE_KEY, userId, `${RESTART_PREFIX}${untilMs}`);
  }

  /**
   * Forget the users whose lobbies lived on processes that are gone, or whose restart hold
   * ran out without them coming back; returns the ids this call removed.
   */
  async pruneOnline(aliveProcessIds: Set<string>): Promise<string[]> {
    const all = (await this.presence.hgetall(ONLINE_KEY)) ?? {};
    const now = Date.now();
    const gone = (entry: string) =>
      entry.startsWith(RESTART_PREFIX) ? Number(entry.slice(RESTART_PREFIX.length)) < now : !aliveProcessIds.has(entry);
    const stale = Object.keys(all).filter((userId) => gone(all[userId]!));
    const removed = await Promise.all(stale.map((userId) => this.presence.hdel(ONLINE_KEY, userId)));
    return stale.filter((_, i) => removed[i]);
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.presence.hget(ONLINE_KEY, userId)) !== null;
  }

  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const all = await this.presence.hgetall(ONLINE_KEY);
    return new Set(userIds.filter((id) => all?.[id] !== undefined));
  }

  /**
   * Who holds a connected seat in a topic's live room (e.g. a conversation), kept in
   * presence so a service on any process can tell who is "there" and who needs a lobby event.
   */
  async setSeated(topic: string, userId: string, seated: boolean): Promise<void> {
    if (seated) await this.presence.hset(seatedKey(topic), userId, this.processId() ?? "local");
    else await this.presence.hdel(seatedKey(topic), userId);
  }

  async clearSeated(topic: string): Promise<void> {
    await presenceDel(this.presence, seatedKey(topic));
  }

  async seatedIn(topic: string): Promise<Set<string>> {
    return new Set(Object.keys((await this.presence.hgetall(seatedKey(topic))) ?? {}));
  }

  private async listen<E>(channel: string, handler: DeliveryHandler<E>): Promise<() => void> {
    const callback = (event: DeliveredEvent<E>) => handler(event);
    await this.presence.subscribe(channel, callback);
    return () => {
      // Typed loosely by Colyseus; RedisPresence's is a Promise, and a failure only leaves a stale listener.
      Promise.resolve(this.presence.unsubscribe(channel, callback) as unknown).catch((e: unknown) =>
        logger.warn({ err: e, channel }, "presence unsubscribe failed"),
      );
    };
  }
}
