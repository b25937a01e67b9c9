/**
 * `npm run fuzz`: the fuzz properties of test/reliability at scale. Boots the server in this
 * process (as the tests do: PGlite in memory, or DATABASE_URL/REDIS_URL when set), then
 *   - for every room kind, ≥ FUZZ_ROOM_PAYLOADS (default 10,000) payloads its schemas refuse,
 *     over every message type and unknown types, half as `room.request`, half as `room.send`;
 *   - for every REST route, FUZZ_REST_REQUESTS (default 300) generated requests;
 * and prints a summary table. Exits 1 if any property failed.
 *
 *   FUZZ_SEED            fast-check seed (default: random, printed)
 *   RELIABILITY_PORT     port of the server it boots (default 2590)
 */
import "../test/reliability/support/scriptEnv";
import fc from "fast-check";
import { resetState, startServer, stopServer } from "../test/helpers/server";
import {
  checkOne,
  describePayload,
  ErrorQueue,
  messageSpecs,
  refusedPayloads,
  registeredTypes,
  unknownTypes,
  type Mode,
} from "../test/reliability/support/roomFuzz";
import { checkRequest, requests, restWorld, routeName, ROUTES, urlOf } from "../test/reliability/support/restFuzz";
import {
  dbFingerprint,
  FIXTURES,
  healthy,
  NO_RATE_LIMITS,
  ROOM_KINDS,
  setConfig,
  type Fixture,
} from "../test/reliability/support/world";

const ROOM_PAYLOADS = Number(process.env.FUZZ_ROOM_PAYLOADS ?? 10_000);
const REST_REQUESTS = Number(process.env.FUZZ_REST_REQUESTS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const UNKNOWN_SHARE = 0.1;
const CHUNK = 200;

interface Row {
  target: string;
  payloads: number;
  codes: Record<string, number>;
  stateChanges: number;
  disconnects: number;
  serverErrors: number;
  otherFailures: number;
  ms: number;
  examples: string[];
}

const newRow = (target: string): Row => ({
  target,
  payloads: 0,
  codes: {},
  stateChanges: 0,
  disconnects: 0,
  serverErrors: 0,
  otherFailures: 0,
  ms: 0,
  examples: [],
});

function record(row: Row, code: string, violations: string[], what: () => string): void {
  row.payloads++;
  row.codes[code] = (row.codes[code] ?? 0) + 1;
  for (const v of violations) {
    if (/state changed|database changed/.test(v)) row.stateChanges++;
    else if (/disconnected/.test(v)) row.disconnects++;
    else if (/^5\d\d |INTERNAL/.test(v)) row.serverErrors++;
    else row.otherFailures++;
  }
  if (violations.length && row.examples.length < 5) row.examples.push(`${what()} → ${violations.join("; ")}`);
}

/** Values of an arbitrary, generated a chunk at a time (huge strings add up). */
function* generate<T>(arb: fc.Arbitrary<T>, count: number, seed: number): Generator<T> {
  for (let done = 0, chunk = 0; done < count; chunk++) {
    const n = Math.min(CHUNK, count - done);
    for (const v of fc.sample(arb, { numRuns: n, seed: seed + chunk })) yield v;
    done += n;
  }
}

async function fuzzRoom(kind: (typeof ROOM_KINDS)[number], seed: number): Promise<Row> {
  const row = newRow(`room ${kind}`);
  const started = Date.now();
  await resetState();
  let fx: Fixture = await FIXTURES[kind]();
  let errors = new ErrorQueue(fx);
  let gaps = 0;
  const specs = messageSpecs(fx);
  const registered = registeredTypes(fx);
  const perType = Math.ceil((ROOM_PAYLOADS * (1 - UNKNOWN_SHARE)) / specs.length / 2);
  const unknownCount = Math.ceil((ROOM_PAYLOADS * UNKNOWN_SHARE) / 2);

  const send = async (type: string | number, payload: unknown, mode: Mode, known: boolean, i: number) => {
    const outcome = await checkOne(fx, errors, type, payload, mode, known, {
      checkDb: i % 50 === 0,
      checkHealth: i % 500 === 0,
    });
    record(
      row,
      outcome.code,
      outcome.violations,
      () => `${JSON.stringify(type)} (${mode}) ${describePayload(payload)}`,
    );
    if (!fx.seat.room.connection.isOpen) {
      // A failure already counted: carry on with a fresh room so the run still covers the rest.
      await fx.close();
      gaps += errors.seqGaps();
      fx = await FIXTURES[kind]();
      errors = new ErrorQueue(fx);
    }
  };

  let i = 0;
  const dbBefore = await dbFingerprint();
  for (const mode of ["request", "send"] as const) {
    for (const [s, spec] of specs.entries()) {
      for (const payload of generate(refusedPayloads(spec), perType, seed + s * 1000 + (mode === "send" ? 500 : 0))) {
        await send(spec.type, payload, mode, true, i++);
      }
    }
    const unknown = fc.tuple(
      unknownTypes(registered),
      fc.oneof(fc.constant(undefined), refusedPayloads({ type: "?", accepts: () => false, examples: [{ a: 1 }] })),
    );
    for (const [type, payload] of generate(unknown, unknownCount, seed + 99_000 + (mode === "send" ? 1 : 0))) {
      await send(type, payload, mode, false, i++);
    }
  }
  if ((await dbFingerprint()) !== dbBefore) record(row, "db", ["the database changed over the run"], () => "whole run");
  gaps += errors.seqGaps();
  if (gaps) record(row, "seq", [`seq skipped ${gaps} times`], () => "whole run");
  if (!(await healthy())) record(row, "health", ["GET /healthz failed"], () => "end of run");
  row.payloads -= row.codes.db ?? 0;
  row.payloads -= row.codes.seq ?? 0;
  row.payloads -= row.codes.health ?? 0;
  await fx.close();
  row.ms = Date.now() - started;
  return row;
}

async function fuzzRest(seed: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [r, route] of ROUTES.entries()) {
    const row = newRow(routeName(route));
    const started = Date.now();
    await resetState();
    const world = await restWorld();
    for (const req of generate(requests(route, world), REST_REQUESTS, seed + 200_000 + r * 1000)) {
      const outcome = await checkRequest(route, req, world, { checkDb: true });
      record(
        row,
        String(outcome.status),
        outcome.violations,
        () => `${route.method} ${urlOf(route, req).slice(0, 120)} [${req.token}]`,
      );
    }
    if (!(await healthy())) record(row, "health", ["GET /healthz failed"], () => "end of run");
    row.ms = Date.now() - started;
    rows.push(row);
  }
  return rows;
}

function printTable(title: string, rows: Row[], codesLabel: string): void {
  const header = [
    "target",
    "payloads",
    codesLabel,
    "state changes",
    "disconnects",
    "5xx/INTERNAL",
    "other failures",
    "seconds",
  ];
  const body = rows.map((r) => [
    r.target,
    String(r.payloads),
    Object.entries(r.codes)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(", "),
    String(r.stateChanges),
    String(r.disconnects),
    String(r.serverErrors),
    String(r.otherFailures),
    (r.ms / 1000).toFixed(1),
  ]);
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const line of body) console.log(`| ${line.join(" | ")} |`);
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(
    `npm run fuzz: seed ${SEED}, ${ROOM_PAYLOADS} payloads per room kind, ${REST_REQUESTS} requests per route`,
  );
  await startServer();
  const restore = setConfig(NO_RATE_LIMITS);
  const roomRows: Row[] = [];
  try {
    for (const [k, kind] of ROOM_KINDS.entries()) {
      const row = await fuzzRoom(kind, SEED + k * 1_000_000);
      roomRows.push(row);
      console.log(`  ${row.target}: ${row.payloads} payloads in ${(row.ms / 1000).toFixed(1)} s`);
    }
  } finally {
    restore();
  }
  const restRows = await fuzzRest(SEED);
  await stopServer();

  printTable("Rooms (error codes received)", roomRows, "errors by code");
  printTable("REST routes (HTTP statuses)", restRows, "responses by status");
  const all = [...roomRows, ...restRows];
  const failures = all.flatMap((r) => r.examples.map((e) => `${r.target}: ${e}`));
  const total = (k: keyof Row) => all.reduce((n, r) => n + (r[k] as number), 0);
  console.log(
    `\nTotal: ${roomRows.reduce((n, r) => n + r.payloads, 0)} room payloads, ${restRows.reduce((n, r) => n + r.payloads, 0)} REST requests; ` +
      `state changes ${total("stateChanges")}, disconnects ${total("disconnects")}, 5xx/INTERNAL ${total("serverErrors")}, ` +
      `other failures ${total("otherFailures")}; ${((Date.now() - started) / 1000).toFixed(0)} s (seed ${SEED}, ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}${process.env.REDIS_URL ? " + Redis" : ""})`,
  );
  if (failures.length) {
    console.log("\nFailures (first examples):");
    for (const f of failures) console.log(`  ${f}`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
