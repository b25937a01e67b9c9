/**
 * Who is signed in, per browser tab: sessionStorage (not localStorage) so two tabs can be two
 * users. Also the one @rally/client, carrying the token to every room join and refreshing it.
 */
import { connect, type AuthSession, type RallyClient } from "@rally/client";
import { api, ApiError } from "./api";

export interface Me {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  orgId: string | null;
}

const TOKEN_KEY = "rally.token";
const REFRESH_KEY = "rally.refresh";
const USER_KEY = "rally.user";

let client: RallyClient | null = null;
let onSessionLost: () => void = () => undefined;

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function me(): Me {
  const raw = sessionStorage.getItem(USER_KEY);
  if (!raw) throw new Error("not signed in");
  return JSON.parse(raw) as Me;
}

export function refreshToken(): string | null {
  return sessionStorage.getItem(REFRESH_KEY);
}

export function signIn(newToken: string, user: Me, newRefreshToken?: string): void {
  sessionStorage.setItem(TOKEN_KEY, newToken);
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  if (newRefreshToken) sessionStorage.setItem(REFRESH_KEY, newRefreshToken);
  client = null;
}

/** A refreshed access token (and the rotated refresh token). */
function renewTokens(newToken: string, newRefreshToken: string): void {
  sessionStorage.setItem(TOKEN_KEY, newToken);
  sessionStorage.setItem(REFRESH_KEY, newRefreshToken);
}

/**
 * Silent token refresh (docs/PROTOCOL.md §1 "Tokens"): the client calls this before the access
 * token expires, then hands the new token to every open room in-band (`auth:refresh`).
 */
async function refresh(): Promise<string> {
  const current = refreshToken();
  if (!current) throw new ApiError("UNAUTHORIZED", "no refresh token", 401);
  const renewed = await api<AuthSession>("POST", "/api/auth/refresh", { refreshToken: current });
  renewTokens(renewed.token, renewed.refreshToken);
  return renewed.token;
}

/** `lost` runs when the refresh token is refused (the client retries anything else by itself). */
export function keepSessionAlive(lost: () => void): void {
  onSessionLost = lost;
}

/** Renew now: a page waking from sleep with an expired token calls it first. */
export async function refreshNow(): Promise<boolean> {
  if (!refreshToken()) return false;
  return rally()
    .refreshNow()
    .then(
      () => true,
      () => false,
    );
}

export function updateMe(user: Me): void {
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(USER_KEY);
  void client?.close();
  client = null;
}

/** The rally client for this page's origin, authenticated with the tab's token. */
export function rally(): RallyClient {
  client ??= connect(location.origin, {
    getToken: () => token() ?? "",
    refresh,
    onRefreshError: (e) => {
      if (e instanceof ApiError && e.status === 401) onSessionLost();
    },
  });
  return client;
}
