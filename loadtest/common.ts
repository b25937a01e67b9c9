import crypto from "node:crypto";
import { Client } from "@colyseus/sdk";
import type { Options } from "@colyseus/loadtest";
import {
  connect,
  DiceEvent,
  DiceMessage,
  httpBase,
  RoomEvent,
  sessionAuth,
  type AuthSession,
  type DiceRoom,
  type RallyClient,
  type RallyRoom,
  type RecoveryBase,
  type RoomSpec,
} from "@rally/client";

/**
 * What every load-test bot shares: REST calls, registration (and login, like a returning
 * user), a @rally/client signed in with the session, and small timing helpers. The bots of one
 * `@colyseus/loadtest` run live in one process, so bots that must meet (a dice pair, a space's
 * members) coordinate through the small in-process `Rendezvous` below.
 */

export type Session = AuthSession;

export async function api<T = unknown>(
  options: Options,
  method: string,
  path: string,
  init: { token?: string; body?: unknown } = {},
): Promise<T> {
  const res = await fetch(httpBase(options.endpoint) + path, {
    method,
    headers: {
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const json = (await res.json().catch(() => ({}))) as T & { code?: string; error?: string };
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${json.code ?? ""} ${json.error ?? ""}`.trim());
  return json;
}

/** What a failure says, for the bot's log: its code (a refused room.request carries one), else its message. */
export function failure(e: unknown): string {
  const { code, message, reason } = (e ?? {}) as { code?: unknown; message?: unknown; reason?: { code?: unknown } };
  // A request the server refused on purpose (ctx.reject) carries its error code in `reason`.
  if (typeof reason?.code === "string") return reason.code;
  if (typeof code === "string" || typeof code === "number") return String(code);
  return typeof message === "string" ? message : String(e);
}

const runTag = crypto.randomBytes(3).toString("hex");

/** Register a fresh user, then log in with the password as a returning user would. */
export async function signUp(
  options: Options,
  opts: { orgId?: string; inviteCode?: string; prefix?: string } = {},
): Promise<Session> {
  const username = `${opts.prefix ?? "lt"}_${runTag}_${options.clientId}`;
  const password = `pw-${runTag}-${options.clientId}`;
  const org = opts.inviteCode ? { inviteCode: opts.inviteCode } : opts.orgId ? { orgId: opts.orgId } : {};
  await api(options, "POST", "/api/auth/register", {
    body: { username, password, avatarUrl: `https://example.com/avatars/${username}.png`, ...org },
  });
  return api<Session>(options, "POST", "/api/auth/login", { body: { username, password } });
}

/** A rally client for the loadtest endpoint, signed in as `session` (it refreshes the token itself). */
export function rally(options: Options, session: Session): RallyClient {
  const base = httpBase(options.endpoint);
  return connect(base, { ...sessionAuth(base, session), sdk: new Client(base) });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const jitter = (minMs: number, maxMs: number) => sleep(minMs + Math.random() * (maxMs - minMs));
export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Keys in-process meeting points: one bot `put`s a value, the others `get` it when it is there. */
export class Rendezvous<T> {
  private readonly values = new Map<string, T>();
  private readonly waiters = new Map<string, Array<(v: T) => void>>();

  put(key: string, value: T): void {
    this.values.set(key, value);
    for (const resolve of this.waiters.get(key) ?? []) resolve(value);
    this.waiters.delete(key);
  }

  get(key: string, timeoutMs = 60_000): Promise<T> {
    if (this.values.has(key)) return Promise.resolve(this.values.get(key)!);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nobody provided "${key}" within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(key) ?? [];
      list.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.waiters.set(key, list);
    });
  }

  delete(key: string): void {
    this.values.delete(key);
  }
}

/** Log rally `error` events (they carry `{code, message, type}`) instead of failing the bot. */
export function logErrors<S extends RoomSpec, R extends RecoveryBase>(room: RallyRoom<S, R>, who: string): void {
  room.on(RoomEvent.error, (e) => console.warn(`${who}: ${e.type} → ${e.code} ${e.message}`));
}

/**
 * Play one `bigger_dice` game in `room` as `userId`: ready, then roll whenever the turn is
 * ours, after a human-like pause. Resolves with the winner's id when the game ends.
 */
export function playDice(
  room: DiceRoom,
  userId: string,
  thinkMs: [number, number] = [300, 900],
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const onTurn = (turn: string | null) => {
      if (turn === userId) void jitter(...thinkMs).then(() => room.send(DiceMessage.roll));
    };
    room.on(DiceEvent.gameStarted, (e) => onTurn(e.first_turn));
    room.on(DiceEvent.turnChanged, (e) => onTurn(e.current_turn));
    room.on(DiceEvent.gameEnded, (e) => resolve(e.winner_id));
    room.raw.onLeave((code) => reject(new Error(`left the dice room (code ${code}) before the game ended`)));
    room.send(DiceMessage.ready);
  });
}
