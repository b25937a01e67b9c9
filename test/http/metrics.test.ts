import assert from "node:assert/strict";
import { api } from "../helpers/http";
import { BASE_URL, sdk } from "../helpers/server";
import { createUser, TEST_PASSWORD } from "../helpers/users";
import { inbox } from "../helpers/room";
import { documentedSeries } from "../helpers/documentedMetrics";
import { setConfig } from "../reliability/support/world";

/**
 * `/metrics` after real traffic (REST calls, room joins, messages, refusals): every series
 * README.md documents is there with the documented type, labels and at least one sample, and
 * rally exports nothing it does not document (issue 19).
 */

interface Scraped {
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  /** Sample lines: the sample's name (with _bucket/_sum/_count), its labels and its value. */
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

/** Prometheus' text exposition format, as far as prom-client writes it. */
function parseExposition(text: string): Scraped {
  const types = new Map<string, string>();
  const samples: Scraped["samples"] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith("#")) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v!;
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

const TOKEN = "metrics-token-for-the-scrape-test";

async function scrape(): Promise<Scraped> {
  const res = await fetch(`${BASE_URL}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  return parseExposition(await res.text());
}

describe("/metrics after traffic (issue 19)", () => {
  let restore: () => void;
  before(() => {
    // As configured in production: the scrape carries the bearer token.
    restore = setConfig({ METRICS_TOKEN: TOKEN });
  });
  after(() => restore());

  it("carries every series README.md documents, and only those", async () => {
    const documented = documentedSeries();

    // REST: a login (and a failed one), an authenticated read, a route that does not exist.
    const alice = await createUser();
    const bob = await createUser();
    assert.equal(
      (await api("POST", "/api/auth/login", { body: { username: alice.username, password: TEST_PASSWORD } })).status,
      200,
    );
    assert.equal(
      (await api("POST", "/api/auth/login", { body: { username: alice.username, password: "wrong-password-1" } }))
        .status,
      401,
    );
    assert.equal((await api("GET", "/api/friends", { token: alice.token })).status, 200);
    assert.equal((await api("GET", "/api/no-such-route")).status, 404);

    // Rooms: two lobbies, a request, a message answered with an event, an unknown message.
    const lobby = await sdk(alice.token).joinOrCreate("user_lobby");
    const other = await sdk(bob.token).joinOrCreate("user_lobby");
    const box = inbox(lobby);
    await lobby.request("ping");
    lobby.send("ping");
    await box.next("pong");
    lobby.send("no_such_message", {});
    await box.next("error");

    const { types, samples } = await scrape();
    await lobby.leave();
    await other.leave();

    const sampleNames = (series: { name: string; type: string }) =>
      series.type === "histogram"
        ? [`${series.name}_bucket`, `${series.name}_sum`, `${series.name}_count`]
        : [series.name];
    for (const series of documented) {
      assert.equal(types.get(series.name), series.type, `${series.name}: documented as ${series.type}`);
      const own = samples.filter((s) => sampleNames(series).includes(s.name));
      const counted = own.filter((s) => s.value > 0 && s.name !== `${series.name}_bucket`);
      assert.ok(counted.length > 0, `${series.name}: no sample above 0 after traffic`);
      for (const s of counted) {
        assert.deepEqual(
          Object.keys(s.labels).sort(),
          [...series.labels].sort(),
          `${series.name}: labels ${JSON.stringify(s.labels)}`,
        );
      }
    }

    // What the traffic above must have moved, label by label.
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;
    assert.ok(value("rally_connected_clients", { room: "user_lobby" }) >= 2);
    assert.ok(value("rally_rooms", { room: "user_lobby" }) >= 2);
    assert.ok(value("rally_messages_in_total", { room: "user_lobby", type: "ping" }) >= 2);
    assert.ok(value("rally_messages_out_total", { room: "user_lobby", type: "pong" }) >= 1);
    assert.ok(value("rally_errors_total", { code: "UNKNOWN_MESSAGE", edge: "room" }) >= 1);
    assert.ok(value("rally_errors_total", { code: "NOT_FOUND", edge: "http" }) >= 1);
    assert.ok(value("rally_security_events_total", { event: "login_failed" }) >= 1);
    assert.ok(value("rally_http_request_duration_seconds_count", { route: "/api/auth/login", status: "200" }) >= 1);
    assert.ok(value("rally_db_query_duration_seconds_count", {}) >= 1);

    // Nothing exported under rally_ that the README does not document.
    const exported = [...types.keys()].filter((name) => name.startsWith("rally_"));
    assert.deepEqual(exported.sort(), documented.map((s) => s.name).sort());
  });

  it("is refused without the configured bearer token", async () => {
    const res = await fetch(`${BASE_URL}/metrics`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, "UNAUTHORIZED");
  });
});
