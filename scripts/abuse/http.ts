/**
 * HTTP-edge attacks for `npm run abuse` (issue 14): oversized and slow bodies, password
 * guessing, floods of registrations and REST writes, and cross-origin requests. Each is
 * bounded in count and time and speaks to the loopback server only. Client addresses come
 * from X-Forwarded-For, which the abuse server trusts from loopback.
 */
import http from "node:http";
import crypto from "node:crypto";
import type { AbuseTarget, Attack } from "./types";

let addressCounter = 0;
const address = () => `10.66.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

/** Count answers by status (and code, for failures): "5 × 401, 55 × 429 RATE_LIMITED". */
function tally(answers: Array<{ status: number; code?: string } | { error: string }>): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = "error" in a ? `error ${a.error}` : `${a.status}${a.code ? ` ${a.code}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([k, n]) => `${n} × ${k}`).join(", ");
}

/** The `code` of a REST error envelope, when the body is one. */
function envelopeCode(text: string): string | undefined {
  try {
    const { code } = (JSON.parse(text) ?? {}) as { code?: unknown };
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined; // not JSON
  }
}

async function call(
  target: AbuseTarget,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; address?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; code?: string; headers: Headers } | { error: string }> {
  try {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.address) headers["x-forwarded-for"] = opts.address;
    const res = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    const code = envelopeCode(text);
    return { status: res.status, code: res.status >= 400 ? code : undefined, headers: res.headers };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * A raw request that declares `declared` bytes (or streams chunked) and writes up to `send`
 * bytes, `chunk` at a time every `everyMs`, until the server answers or closes.
 */
function rawBody(
  target: AbuseTarget,
  opts: { path: string; declared?: number; send: number; chunk: number; everyMs: number; deadlineMs: number },
): Promise<{ status?: number; code?: string; written: number; ms: number; closed: boolean }> {
  const url = new URL(target.baseUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    let written = 0;
    let settled = false;
    let status: number | undefined;
    let code: string | undefined;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      resolve({ status, code, written, ms: Date.now() - started, closed });
    };
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (opts.declared !== undefined) headers["content-length"] = opts.declared;
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: "POST",
      path: opts.path,
      headers,
      agent: false,
    });
    const deadline = setTimeout(() => finish(false), opts.deadlineMs);
    req.on("response", (res) => {
      status = res.statusCode;
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        code = envelopeCode(text);
        finish(true);
      });
    });
    req.on("error", () => finish(true));
    req.on("close", () => setTimeout(() => finish(true), 50));
    const chunk = Buffer.alloc(opts.chunk, 0x20);
    const pump = () => {
      if (settled || req.destroyed || written >= opts.send) return;
      const ok = req.write(chunk);
      written += chunk.length;
      if (ok) setTimeout(pump, opts.everyMs);
      else req.once("drain", () => setTimeout(pump, opts.everyMs));
    };
    pump();
  });
}

const hugeBody: Attack = {
  name: "200 MB body to /matchmake",
  sent: "1 × POST /matchmake/create/bigger_dice declaring 200 MB (streamed until answered), no token",
  async run(target) {
    const r = await rawBody(target, {
      path: "/matchmake/create/bigger_dice",
      declared: 200 * 1024 * 1024,
      send: 200 * 1024 * 1024,
      chunk: 64 * 1024,
      everyMs: 0,
      deadlineMs: 60_000,
    });
    return {
      answered: `${r.status ?? "nothing"} ${r.code ?? ""} after ${r.ms} ms, ${Math.round(r.written / 1024)} KiB written before the answer`,
    };
  },
};

const chunkedBody: Attack = {
  name: "endless chunked body to /matchmake",
  sent: "1 × POST /matchmake/joinOrCreate/bigger_dice, chunked, up to 200 MB, no token",
  async run(target) {
    const r = await rawBody(target, {
      path: "/matchmake/joinOrCreate/bigger_dice",
      send: 200 * 1024 * 1024,
      chunk: 16 * 1024,
      everyMs: 0,
      deadlineMs: 60_000,
    });
    return {
      answered: `${r.status ?? "nothing"} ${r.code ?? ""} after ${r.ms} ms, ${Math.round(r.written / 1024)} KiB written`,
    };
  },
};

const slowBodies: Attack = {
  name: "slow bodies",
  sent: "50 × POST /api/auth/login declaring 1,000 bytes, sending 1 byte a second",
  async run(target) {
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        rawBody(target, {
          path: "/api/auth/login",
          declared: 1000,
          send: 1000,
          chunk: 1,
          everyMs: 1000,
          deadlineMs: 30_000,
        }),
      ),
    );
    const slowest = Math.max(...results.map((r) => r.ms));
    return {
      answered: `${tally(results.map((r) => ({ status: r.status ?? 0, code: r.code })))}; all cut within ${(slowest / 1000).toFixed(1)} s`,
    };
  },
};

const bruteForce: Attack = {
  name: "login brute force",
  sent: "60 wrong passwords for one user in ~3 s, then the right one",
  async run(target) {
    const victim = await target.user("victim");
    const from = address();
    const answers = [];
    for (let i = 0; i < 60; i++) {
      answers.push(
        await call(target, "POST", "/api/auth/login", {
          body: { username: victim.username, password: `guess-${i}-${crypto.randomBytes(2).toString("hex")}` },
          address: from,
        }),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    const right = await call(target, "POST", "/api/auth/login", {
      body: { username: victim.username, password: "abuse-honest-password-7" },
      address: address(),
    });
    const retryAfter = "headers" in right ? right.headers.get("retry-after") : null;
    return { answered: `${tally(answers)}; the right password then: ${tally([right])} (Retry-After ${retryAfter} s)` };
  },
};

/** 400 wrong logins, 50 at a time, `addressOf(i)` choosing each one's client address. */
async function loginFlood(target: AbuseTarget, addressOf: (i: number) => string): Promise<string> {
  const answers = [];
  for (let wave = 0; wave < 8; wave++) {
    answers.push(
      ...(await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call(target, "POST", "/api/auth/login", {
            body: { username: `nobody_${wave}_${i}`, password: "wrong-password-0" },
            address: addressOf(wave * 50 + i),
          }),
        ),
      )),
    );
  }
  return tally(answers);
}

const loginFloodOneAddress: Attack = {
  name: "400 bad logins, one address",
  sent: "400 × wrong login, 50 at a time, from one address (honest login from another)",
  async run(target) {
    const from = address();
    return { answered: await loginFlood(target, () => from) };
  },
};

const loginFloodManyAddresses: Attack = {
  name: "400 bad logins, 400 addresses",
  sent: "400 × wrong login, 50 at a time, each from its own address (every one is hashed)",
  async run(target) {
    const addresses = Array.from({ length: 400 }, () => address());
    return { answered: await loginFlood(target, (i) => addresses[i]!) };
  },
};

const registrationFlood: Attack = {
  name: "registration flood",
  sent: "100 × POST /api/auth/register from one address",
  async run(target) {
    const from = address();
    const answers = [];
    for (let i = 0; i < 100; i++) {
      answers.push(
        await call(target, "POST", "/api/auth/register", {
          body: { username: `flood_${crypto.randomBytes(5).toString("hex")}`, password: "flood-password-123x" },
          address: from,
        }),
      );
    }
    return { answered: tally(answers) };
  },
};

const writeFlood: Attack = {
  name: "REST write flood",
  sent: "300 × POST /api/spaces by one user, 30 at a time",
  async run(target) {
    const user = await target.user("writer");
    const from = address();
    const answers = [];
    for (let wave = 0; wave < 10; wave++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            call(target, "POST", "/api/spaces", {
              token: user.token,
              address: from,
              body: { name: `space ${wave}-${i}`, capacity: 2 },
            }),
          ),
        )),
      );
    }
    return { answered: tally(answers) };
  },
};

const crossOrigin: Attack = {
  name: "cross-origin requests",
  sent: "300 × (preflight, POST /matchmake, GET /api/users/me with a token) from Origin https://evil.example",
  async run(target) {
    const user = await target.user("origin");
    const origin = "https://evil.example";
    const answers = [];
    let reflected = 0;
    for (let i = 0; i < 100; i++) {
      const replies = await Promise.all([
        call(target, "OPTIONS", "/matchmake/joinOrCreate/bigger_dice", {
          headers: { origin, "access-control-request-method": "POST" },
        }),
        call(target, "POST", "/matchmake/joinOrCreate/bigger_dice", { headers: { origin }, body: {} }),
        call(target, "GET", "/api/users/me", { headers: { origin }, token: user.token }),
      ]);
      for (const r of replies) if ("headers" in r && r.headers.get("access-control-allow-origin")) reflected++;
      answers.push(...replies);
    }
    return { answered: `${tally(answers)}; origin reflected ${reflected} times` };
  },
};

export const attacks: Attack[] = [
  hugeBody,
  chunkedBody,
  slowBodies,
  bruteForce,
  loginFloodOneAddress,
  loginFloodManyAddresses,
  registrationFlood,
  writeFlood,
  crossOrigin,
];
