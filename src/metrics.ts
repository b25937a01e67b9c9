import client from "prom-client";

/** Prometheus metrics for the whole process; `GET /metrics` serves `registry`. */

interface Tally {
  labels: { room: string; type: string };
  count: number;
  reported: number;
}
const inTallies = new Map<string, Tally>();

/**
 * A counter of received room messages for one (room, type), as a plain increment: prom-client
 * hashes the labels on every inc, which showed in the profile of the MOVE path.
 */
export function messagesInTally(room: string, type: string): Tally {
  const key = `${room}\u0000${type}`;
  let tally = inTallies.get(key);
  if (!tally) {
    tally = { labels: { room, type }, count: 0, reported: 0 };
    inTallies.set(key, tally);
  }
  return tally;
}
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const metrics = {
  connectedClients: new client.Gauge({
    name: "rally_connected_clients",
    help: "Clients connected to rooms on this process",
    labelNames: ["room"] as const,
    registers: [registry],
  }),
  rooms: new client.Gauge({
    name: "rally_rooms",
    help: "Rooms alive on this process, by type",
    labelNames: ["room"] as const,
    registers: [registry],
  }),
  messagesIn: new client.Counter({
    name: "rally_messages_in_total",
    help: "Room messages received, by room and type",
    labelNames: ["room", "type"] as const,
    registers: [registry],
    // Counted in plain numbers on the message path (see tally) and folded in at scrape time.
    collect() {
      for (const t of inTallies.values()) {
        if (t.count === t.reported) continue;
        this.inc(t.labels, t.count - t.reported);
        t.reported = t.count;
      }
    },
  }),
  messagesOut: new client.Counter({
    name: "rally_messages_out_total",
    help: "Room events sent to clients, by room and type",
    labelNames: ["room", "type"] as const,
    registers: [registry],
  }),
  errors: new client.Counter({
    name: "rally_errors_total",
    help: "Errors answered to clients, by code and edge (http or room)",
    labelNames: ["code", "edge"] as const,
    registers: [registry],
  }),
  securityEvents: new client.Counter({
    name: "rally_security_events_total",
    help: "Refusals worth an operator's attention (src/security.ts), by event and reason",
    labelNames: ["event", "reason"] as const,
    registers: [registry],
  }),
  httpDuration: new client.Histogram({
    name: "rally_http_request_duration_seconds",
    help: "HTTP request latency",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  dbDuration: new client.Histogram({
    name: "rally_db_query_duration_seconds",
    help: "Database query latency",
    labelNames: ["backend"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  }),
};
