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

export function signIn(newToken: string, user: Me): void {
  sessionStorage.setItem(TOKEN_KEY, newToken);
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  client = null;
}

export function updateMe(user: Me): void {
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
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
