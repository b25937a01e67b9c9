import { BASE_URL } from "./server";
import { specChecker } from "./openapi";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Call the REST API over real HTTP. `body` may be a string to send raw (malformed JSON tests).
 * The answer is checked against the server's /api/openapi.json (test/helpers/openapi.ts).
 */
export async function api<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    payload = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  }
  const res = await fetch(`${BASE_URL}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* non-JSON body stays text */
  }
  (await specChecker()).check(method, path.split("?")[0], res.status, res.headers.get("content-type"), body);
  return { status: res.status, body, headers: res.headers };
}
