/** REST calls with the tab's token. Failures throw ApiError carrying the envelope's code. */
import { token } from "./session";

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Called once when the server says the token is no longer good (the app signs out). */
let onUnauthorized: (() => void) | null = null;
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(method: "GET" | "POST" | "DELETE" | "PATCH", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError("NETWORK", `Cannot reach the server (${(e as Error).message})`, 0);
  }
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: handled below as an unexpected answer
  }
  if (!res.ok) {
    const envelope = (data ?? {}) as { error?: unknown; code?: unknown };
    const code = typeof envelope.code === "string" ? envelope.code : `HTTP_${res.status}`;
    const message = typeof envelope.error === "string" ? envelope.error : res.statusText || `HTTP ${res.status}`;
    if (res.status === 401 && t && !path.startsWith("/api/auth/")) onUnauthorized?.();
    throw new ApiError(code, message, res.status);
  }
  return data as T;
}

/** `{items: [...]}` lists (docs/PROTOCOL.md §2). */
export async function list<T>(path: string): Promise<T[]> {
  const data = await api<{ items?: T[] }>("GET", path);
  return data?.items ?? [];
}

export const enc = encodeURIComponent;
