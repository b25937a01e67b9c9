import assert from "node:assert/strict";
import http from "node:http";
import { api } from "../helpers/http";
import { BASE_URL, ctx, sdk, TEST_PORT } from "../helpers/server";
import { createUser } from "../helpers/users";
import { inbox, until } from "../helpers/room";
import { setConfig } from "../reliability/support/world";

/**
 * The HTTP edge (issue 14): body limits on every path (the matchmaker included), slow bodies,
 * CORS, security headers, /metrics and the monitor. Raw node:http requests where a fetch
 * could not express the attack (a body that never ends, a lying Content-Length).
 */

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Body bytes the client had written when the answer arrived. */
  written: number;
  ms: number;
}

/**
 * Send `method path` and keep writing `chunk` (up to `maxBytes`, every `everyMs`) until the
 * server answers. `contentLength`: the length to declare (omit: chunked).
 */
function rawRequest(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  contentLength?: number;
  chunk?: Buffer;
  maxBytes: number;
  everyMs?: number;
}): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const headers: Record<string, string | number> = { "content-type": "application/json", ...opts.headers };
    if (opts.contentLength !== undefined) headers["content-length"] = opts.contentLength;
    const req = http.request({
      host: "127.0.0.1",
      port: TEST_PORT,
      method: opts.method ?? "POST",
      path: opts.path,
      headers,
      agent: false,
    });
    req.on("response", (res) => {
      answered = true;
      const at = written;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, written: at, ms: Date.now() - started });
      });
    });
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    const chunk = opts.chunk ?? Buffer.alloc(16 * 1024, 0x20);
    const pump = () => {
      if (answered || req.destroyed) return;
      if (written >= opts.maxBytes) return; // keep the request open: the server must act
      req.write(chunk, () => undefined);
      written += chunk.length;
      setTimeout(pump, opts.everyMs ?? 0);
    };
    pump();
  });
}

const envelope = (body: any, code: string) => {
  assert.equal(body?.status, "failed", JSON.stringify(body));
  assert.equal(body?.code, code);
  assert.equal(typeof body?.error, "string");
};

describe("HTTP edge (issue 14)", () => {
  describe("request bodies", () => {
    it("refuses a 200 MB matchmaking body from its Content-Length, unauthenticated, without reading it", async () => {
      const res = await rawRequest({
        path: "/matchmake/create/bigger_dice",
        contentLength: 200 * 1024 * 1024,
        maxBytes: 256 * 1024,
        everyMs: 20,
      });
      assert.equal(res.status, 413);
      envelope(res.body, "PAYLOAD_TOO_LARGE");
      assert.equal(res.headers.connection, "close");
      assert.ok(res.ms < 2000, `answered in ${res.ms} ms`);
    });

    it("refuses a streamed (chunked) matchmaking body as soon as it passes MATCHMAKE_MAX_BODY_BYTES", async () => {
      const res = await rawRequest({
        path: "/matchmake/joinOrCreate/bigger_dice",
        maxBytes: 4 * 1024 * 1024,
        chunk: Buffer.alloc(4096, 0x20),
      });
      assert.equal(res.status, 413);
      envelope(res.body, "PAYLOAD_TOO_LARGE");
      assert.ok(res.written < 256 * 1024, `answered after ${res.written} bytes`);
    });

    it("still serves matchmaking bodies under the limit", async () => {
      const user = await createUser();
      const room = await sdk(user.token).create("bigger_dice", { roomName: "edge-ok" });
      assert.ok(room.roomId);
      await room.leave();
    });

    it("refuses a REST body over 64 KiB with 413 PAYLOAD_TOO_LARGE, declared or streamed", async () => {
      const declared = await rawRequest({ path: "/api/auth/login", contentLength: 1024 * 1024, maxBytes: 64 * 1024 });
      assert.equal(declared.status, 413);
      envelope(declared.body, "PAYLOAD_TOO_LARGE");
      const streamed = await rawRequest({
        path: "/api/auth/login",
        maxBytes: 8 * 1024 * 1024,
        chunk: Buffer.alloc(8192, 0x20),
      });
      assert.equal(streamed.status, 413);
      envelope(streamed.body, "PAYLOAD_TOO_LARGE");
      assert.ok(streamed.written < 512 * 1024, `answered after ${streamed.written} bytes`);
    });

    it("cuts a body that does not arrive within HTTP_BODY_TIMEOUT_MS with 408, on REST and the matchmaker", async () => {
      const restore = setConfig({ HTTP_BODY_TIMEOUT_MS: 400 });
      try {
        for (const path of ["/api/auth/login", "/matchmake/create/bigger_dice"]) {
          const res = await rawRequest({
            path,
            contentLength: 1000,
            chunk: Buffer.from("{"),
            maxBytes: 10,
            everyMs: 100,
          });
          assert.equal(res.status, 408, path);
          envelope(res.body, "REQUEST_TIMEOUT");
          assert.ok(res.ms < 3000, `${path}: ${res.ms} ms`);
        }
      } finally {
        restore();
      }
    });
  });

  describe("CORS", () => {
    it("never reflects an unlisted origin: refused with 403, no Access-Control-Allow-* header", async () => {
      for (const [method, path] of [
        ["GET", "/healthz"],
        ["POST", "/matchmake/joinOrCreate/bigger_dice"],
        ["OPTIONS", "/matchmake/joinOrCreate/bigger_dice"],
        ["OPTIONS", "/api/users/me"],
      ] as const) {
        const res = await fetch(`${BASE_URL}${path}`, {
          method,
          headers: {
            origin: "https://evil.example",
            "access-control-request-method": "POST",
            "content-type": "application/json",
          },
          body: method === "POST" ? "{}" : undefined,
        });
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(res.headers.get("access-control-allow-origin"), null, `${method} ${path}`);
        assert.equal(res.headers.get("access-control-allow-credentials"), null, `${method} ${path}`);
        envelope(await res.json(), "FORBIDDEN");
      }
    });

    it("allows the page's own origin, and the CORS_ORIGINS allowlist by exact origin", async () => {
      const same = await fetch(`${BASE_URL}/healthz`, { headers: { origin: `http://127.0.0.1:${TEST_PORT}` } });
      assert.equal(same.status, 200);
      const restore = setConfig({ CORS_ORIGINS: ["https://app.example"] });
      try {
        const preflight = await fetch(`${BASE_URL}/matchmake/joinOrCreate/bigger_dice`, {
          method: "OPTIONS",
          headers: { origin: "https://app.example", "access-control-request-method": "POST" },
        });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
        assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
        const get = await fetch(`${BASE_URL}/healthz`, { headers: { origin: "https://app.example" } });
        assert.equal(get.headers.get("access-control-allow-origin"), "https://app.example");
        const sibling = await fetch(`${BASE_URL}/healthz`, { headers: { origin: "https://app.example.evil.example" } });
        assert.equal(sibling.status, 403);
      } finally {
        restore();
      }
    });

    it("allows localhost origins in development only", async () => {
      const origin = "http://localhost:5173";
      assert.equal((await fetch(`${BASE_URL}/healthz`, { headers: { origin } })).status, 403, "NODE_ENV=test");
      const restore = setConfig({ NODE_ENV: "development" });
      try {
        const res = await fetch(`${BASE_URL}/healthz`, { headers: { origin } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("access-control-allow-origin"), origin);
      } finally {
        restore();
      }
    });
  });

  describe("security headers", () => {
    it("go on every response: REST, errors, the matchmaker", async () => {
      const user = await createUser();
      const responses = [
        await fetch(`${BASE_URL}/healthz`),
        await fetch(`${BASE_URL}/api/nope`),
        await fetch(`${BASE_URL}/api/users/me`, { headers: { authorization: `Bearer ${user.token}` } }),
        await fetch(`${BASE_URL}/matchmake/joinOrCreate/bigger_dice`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        }),
      ];
      for (const res of responses) {
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", res.url);
        assert.equal(res.headers.get("x-frame-options"), "DENY", res.url);
        const csp = res.headers.get("content-security-policy") ?? "";
        assert.match(csp, /frame-ancestors 'none'/, res.url);
        assert.match(csp, /script-src 'self'/, res.url);
        assert.equal(res.headers.get("x-powered-by"), null);
      }
    });
  });

  describe("/metrics", () => {
    it("requires the METRICS_TOKEN bearer when it is set", async () => {
      const restore = setConfig({ METRICS_TOKEN: "metrics-token-0123456789" });
      try {
        const none = await fetch(`${BASE_URL}/metrics`);
        assert.equal(none.status, 401);
        envelope(await none.json(), "UNAUTHORIZED");
        const wrong = await fetch(`${BASE_URL}/metrics`, {
          headers: { authorization: "Bearer metrics-token-0123456780" },
        });
        assert.equal(wrong.status, 401);
        const right = await fetch(`${BASE_URL}/metrics`, {
          headers: { authorization: "Bearer metrics-token-0123456789" },
        });
        assert.equal(right.status, 200);
        assert.match(
          await right.text(),
          /rally_security_events_total\{event="metrics_refused",reason="wrong token"\} [1-9]/,
        );
      } finally {
        restore();
      }
    });

    it("counts edge refusals by event and reason", async () => {
      await fetch(`${BASE_URL}/healthz`, { headers: { origin: "https://evil.example" } });
      await rawRequest({ path: "/matchmake/create/bigger_dice", contentLength: 10 * 1024 * 1024, maxBytes: 16 * 1024 });
      const text = await (await fetch(`${BASE_URL}/metrics`)).text();
      assert.match(text, /rally_security_events_total\{event="origin_refused",reason="origin"\} [1-9]/);
      assert.match(text, /rally_security_events_total\{event="payload_too_large",reason="content-length"\} [1-9]/);
    });
  });

  describe("the monitor", () => {
    let basic = "";
    before(() => {
      basic = `Basic ${Buffer.from(`${ctx().config.MONITOR_USER}:${ctx().config.MONITOR_PASSWORD}`).toString("base64")}`;
    });

    it("logs in with basic auth and shows the live rooms and their clients", async () => {
      const page = await fetch(`${BASE_URL}/monitor/`, { headers: { authorization: basic } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);

      // One user on two devices shares their lobby; another user has their own.
      const alice = await createUser();
      const bob = await createUser();
      const phone = await sdk(alice.token).joinOrCreate("user_lobby");
      const laptop = await sdk(alice.token).joinOrCreate("user_lobby");
      const bobs = await sdk(bob.token).joinOrCreate("user_lobby");
      assert.equal(phone.roomId, laptop.roomId);

      interface Listing {
        rooms: Array<{ roomId: string; name: string; clients: number }>;
        connections: number;
      }
      const listing = async (): Promise<Listing> => {
        const res = await fetch(`${BASE_URL}/monitor/api`, { headers: { authorization: basic } });
        assert.equal(res.status, 200);
        return (await res.json()) as Listing;
      };
      const seen = (l: Listing) =>
        [phone.roomId, bobs.roomId].map((id) => {
          const row = l.rooms.find((r) => r.roomId === id);
          return row && `${row.name}:${row.clients}`;
        });
      // The room listing is the driver's (Redis when set), updated as clients join: poll briefly.
      let listed = await listing();
      await until(async () => seen((listed = await listing())).join() === "user_lobby:2,user_lobby:1", 4000, "rooms");
      assert.ok(listed.connections >= 3, `connections: ${listed.connections}`);

      const inspect = await fetch(`${BASE_URL}/monitor/api/room?roomId=${phone.roomId}`, {
        headers: { authorization: basic },
      });
      assert.equal(inspect.status, 200);
      const room = (await inspect.json()) as { clients: Array<{ sessionId: string }> };
      assert.deepEqual(room.clients.map((c) => c.sessionId).sort(), [phone.sessionId, laptop.sessionId].sort());

      await laptop.leave();
      await until(async () => seen(await listing())[0] === "user_lobby:1", 4000, "the monitor sees the laptop leave");
      await phone.leave();
      await bobs.leave();
    });

    it("refuses every page and API call without the right credentials", async () => {
      const wrong = `Basic ${Buffer.from(`${ctx().config.MONITOR_USER}:not-the-password`).toString("base64")}`;
      for (const path of ["/monitor/", "/monitor/api", "/monitor/api/room?roomId=x"]) {
        const none = await fetch(`${BASE_URL}${path}`);
        assert.equal(none.status, 401, path);
        assert.match(none.headers.get("www-authenticate") ?? "", /^Basic realm=/, path);
        envelope(await none.json(), "UNAUTHORIZED");
        const bad = await fetch(`${BASE_URL}${path}`, { headers: { authorization: wrong } });
        assert.equal(bad.status, 401, path);
        assert.doesNotMatch(await bad.text(), /"rooms"|<html/i, path);
      }
    });

    it("refuses a request from another origin, credentials or not", async () => {
      for (const headers of <Array<Record<string, string>>>[
        { authorization: basic, origin: "https://evil.example" },
        { authorization: basic, origin: "null" },
        { origin: "https://evil.example" },
      ]) {
        const res = await fetch(`${BASE_URL}/monitor/api`, { headers });
        assert.equal(res.status, 403, JSON.stringify(headers));
        envelope(await res.json(), "FORBIDDEN");
      }
      // Its own page (the Host's origin) is served.
      const own = await fetch(`${BASE_URL}/monitor/api`, { headers: { authorization: basic, origin: BASE_URL } });
      assert.equal(own.status, 200);
    });

    it("cannot be driven by another site's page, even with the browser's cached credentials", async () => {
      const own = await fetch(`${BASE_URL}/monitor/api`, {
        headers: { authorization: basic, "sec-fetch-site": "same-origin" },
      });
      assert.equal(own.status, 200, await own.clone().text());
      for (const site of ["cross-site", "same-site"]) {
        const res = await fetch(`${BASE_URL}/monitor/api`, {
          headers: { authorization: basic, "sec-fetch-site": site },
        });
        assert.equal(res.status, 403, site);
      }
      const framed = await fetch(`${BASE_URL}/monitor/`, { headers: { authorization: basic } });
      assert.match(framed.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    });

    it("does not give away a trivia answer: no answer in what it inspects, no reading a room's private fields", async () => {
      const host = await createUser({ orgId: "acme" });
      const created = await api("POST", "/api/trivia/sessions", {
        token: host.token,
        body: {
          title: "Secret",
          questions: [{ text: "2+2?", choices: ["3", "4", "5"], answerIndex: 1, timeLimitSec: 60 }],
        },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const hostRoom = await sdk(host.token).joinOrCreate("trivia", { sessionId: created.body.sessionId });
      const player = await sdk((await createUser({ orgId: "acme" })).token).joinOrCreate("trivia", {
        sessionId: created.body.sessionId,
      });
      const box = inbox(player);
      await until(() => Object.keys(hostRoom.state.participants?.toJSON?.() ?? {}).length === 1, 4000, "player seated");
      await hostRoom.request("start");
      await box.next("question_started");

      const inspect = await fetch(`${BASE_URL}/monitor/api/room?roomId=${hostRoom.roomId}`, {
        headers: { authorization: basic },
      });
      assert.equal(inspect.status, 200);
      const seen = JSON.stringify(await inspect.json());
      assert.doesNotMatch(seen, /"answerIndex"|correct/i);
      assert.match(seen, /"revealedAnswerIndex":-1/);

      // `remoteRoomCall` returns any field when args are empty: `game` holds the questions and answers.
      for (const method of ["game", "session", "toJSON"]) {
        const res = await fetch(
          `${BASE_URL}/monitor/api/room/call?roomId=${hostRoom.roomId}&method=${method}&args=null`,
          {
            headers: { authorization: basic },
          },
        );
        assert.equal(res.status, 403, method);
        assert.doesNotMatch(await res.text(), /answerIndex/);
      }
      await player.leave();
      await hostRoom.leave();
    });
  });
});
