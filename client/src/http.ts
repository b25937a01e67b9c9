import type { AuthSession, ErrorCode } from "./protocol";

/** A refused REST call: the envelope's `code` and `error` (docs/PROTOCOL.md §2), with the HTTP status. */
export class RallyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "NETWORK",
    message: string,
  ) {
    super(message);
    this.name = "RallyApiError";
  }
}

/** The HTTP base of a server URL given as ws(s):// or http(s)://. */
export function httpBase(url: string): string {
  return url.replace(/^ws(s?):\/\//, "http$1://").replace(/\/+$/, "");
}

/** One JSON call to rally's REST API; a failure throws `RallyApiError`. */
export async function callApi<T>(
  url: string,
  method: string,
  path: string,
  init: { token?: string; body?: unknown } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(httpBase(url) + path, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (e) {
    throw new RallyApiError(0, "NETWORK", e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const envelope = (json ?? {}) as { code?: ErrorCode; error?: string };
    throw new RallyApiError(res.status, envelope.code ?? "INTERNAL", envelope.error ?? res.statusText);
  }
  return json as T;
}

/** `POST /api/auth/login`: an access token and this device's refresh token. */
export function login(url: string, credentials: { username: string; password: string }): Promise<AuthSession> {
  return callApi<AuthSession>(url, "POST", "/api/auth/login", { body: credentials });
}

/** `POST /api/auth/refresh`: spends the refresh token, answers a new pair (rotation). */
export function refreshSession(url: string, refreshToken: string): Promise<AuthSession> {
  return callApi<AuthSession>(url, "POST", "/api/auth/refresh", { body: { refreshToken } });
}

/**
 * `getToken`/`refresh` for `connect` from a login's tokens: refreshing rotates the refresh token
 * over REST and keeps the new pair; `onChange` lets the app store it (e.g. sessionStorage).
 */
export function sessionAuth(
  url: string,
  session: { token: string; refreshToken: string },
  onChange?: (session: AuthSession) => void,
): { getToken: () => string; refresh: () => Promise<string> } {
  let current = { token: session.token, refreshToken: session.refreshToken };
  return {
    getToken: () => current.token,
    refresh: async () => {
      const renewed = await refreshSession(url, current.refreshToken);
      current = { token: renewed.token, refreshToken: renewed.refreshToken };
      onChange?.(renewed);
      return renewed.token;
    },
  };
}

/** `iat` and `exp` of a JWT in ms (readable by anyone; only the server verifies it), or null. */
export function tokenLifetime(jwt: string): { issuedAt: number; expiresAt: number } | null {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const payload = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="))) as {
      iat?: number;
      exp?: number;
    };
    if (typeof payload.exp !== "number") return null;
    return { issuedAt: (payload.iat ?? payload.exp - 60) * 1000, expiresAt: payload.exp * 1000 };
  } catch {
    return null;
  }
}
