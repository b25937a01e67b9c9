/**
 * Who is signed in, per browser tab: sessionStorage (not localStorage) so two tabs can be two
 * users. Also the one Colyseus SDK client, carrying the token to every room join.
 */
import { Client } from "@colyseus/sdk";

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

let client: Client | null = null;

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

/** A refreshed access token (and the rotated refresh token): the SDK client keeps working with it. */
export function renewTokens(newToken: string, newRefreshToken: string): void {
  sessionStorage.setItem(TOKEN_KEY, newToken);
  sessionStorage.setItem(REFRESH_KEY, newRefreshToken);
  if (client) client.auth.token = newToken;
}

/** `iat` and `exp` of an access token, in ms (its payload is readable; only the server verifies it). */
export function lifetimeOf(jwt: string | null): { issuedAt: number; expiresAt: number } | null {
  try {
    const payload = JSON.parse(atob(jwt!.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
      iat?: number;
      exp?: number;
    };
    if (typeof payload.exp !== "number") return null;
    return { issuedAt: (payload.iat ?? payload.exp - 60) * 1000, expiresAt: payload.exp * 1000 };
  } catch {
    return null;
  }
}

export function updateMe(user: Me): void {
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(USER_KEY);
  client = null;
}

/** The SDK client for this page's origin, authenticated with the tab's token. */
export function sdk(): Client {
  if (!client) {
    client = new Client(location.origin);
    client.auth.token = token() ?? "";
  }
  return client;
}
