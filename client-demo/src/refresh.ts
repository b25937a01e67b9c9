/**
 * Silent token refresh (docs/PROTOCOL.md §1 "Tokens"): before the access token expires, a new
 * one is fetched with the refresh token over REST, then handed to every open room in-band
 * (`auth:refresh`) so no seat is closed with 4401 and no connection drops.
 */
import type { Room } from "@colyseus/sdk";
import { api, ApiError } from "./api";
import { lifetimeOf, refreshToken, renewTokens, token } from "./session";

/** A joined room of any kind; the SDK's Room is invariant in its state type, hence the any. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoom = Room<any, any>;

interface Renewed {
  token: string;
  refreshToken: string;
}

const openRooms = new Set<AnyRoom>();
let timer: number | undefined;
let onSessionLost: () => void = () => undefined;

/** Rooms to refresh in-band (rooms.ts `watchRoom` registers every room). */
export function trackRoom(room: AnyRoom): void {
  openRooms.add(room);
  room.onLeave(() => openRooms.delete(room));
}

/** Start refreshing for this tab's session; `lost` runs when the refresh token is refused. */
export function keepSessionAlive(lost: () => void): void {
  onSessionLost = lost;
  schedule();
}

/** Refresh when 70 % of the token's life has passed (at least 1 s from now). */
function schedule(): void {
  window.clearTimeout(timer);
  const life = lifetimeOf(token());
  if (!life || !refreshToken()) return;
  const at = life.expiresAt - (life.expiresAt - life.issuedAt) * 0.3;
  timer = window.setTimeout(() => void refreshNow(), Math.max(1000, at - Date.now()));
}

/** Renew now; exported so a page waking from sleep with an expired token can call it first. */
export async function refreshNow(): Promise<boolean> {
  const current = refreshToken();
  if (!current) return false;
  try {
    const renewed = await api<Renewed>("POST", "/api/auth/refresh", { refreshToken: current });
    renewTokens(renewed.token, renewed.refreshToken);
    await Promise.allSettled([...openRooms].map((room) => renewSeat(room, renewed.token)));
    schedule();
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      onSessionLost();
      return false;
    }
    timer = window.setTimeout(() => void refreshNow(), 5000); // the network: try again soon
    return false;
  }
}

/**
 * The seat's expiry moves with `auth:refresh`. The SDK's automatic reconnection reuses the
 * URL it joined with, token included, so that token is renewed there too.
 */
async function renewSeat(room: AnyRoom, fresh: string): Promise<void> {
  const url = room.connection.url;
  if (url) {
    const u = new URL(url);
    if (u.searchParams.has("_authToken")) {
      u.searchParams.set("_authToken", fresh);
      room.connection.url = u.toString();
    }
  }
  await room.request("auth:refresh", { token: fresh });
}
