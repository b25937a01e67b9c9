import crypto from "node:crypto";
import fc from "fast-check";
import { Packr, unpack } from "msgpackr";
import type { z } from "zod";
import { ERROR_CODES } from "../../../src/errors";
import { AnswerInvitation, NotificationIds, SendInvitation } from "../../../src/systems/lobby/protocol";
import { NoPayload } from "../../../src/systems/biggerDice/protocol";
import {
  ActionMessage,
  chatMessage as spaceChat,
  GetInvitesMessage,
  GetUsersMessage,
  InviteIdMessage,
  SendInviteMessage,
} from "../../../src/systems/space/protocol";
import { AnswerMessage, chatMessage as triviaChat } from "../../../src/systems/trivia/protocol";
import {
  messagePayload,
  ReadReceiptPayload,
  SyncPayload,
  TypingPayload,
} from "../../../src/systems/conversation/protocol";
import { moveError } from "../../../src/systems/space/rules";
import { ctx } from "../../helpers/server";
import { dbFingerprint, healthy, stateOf, type Fixture, type RoomKind } from "./world";

/**
 * Property-based fuzzing of room messages (issue 8): for every message type of every room
 * kind, and for unknown types, generate payloads the server must refuse, send each with
 * `room.request` or `room.send`, and check the answer is an error code from src/errors.ts,
 * the room's state and the database are unchanged, the client is still connected and the
 * server healthy. Used by test/reliability/fuzz.test.ts (bounded) and scripts/fuzz.ts.
 */

export interface MessageSpec {
  type: string;
  /** Whether the server accepts this payload as it arrives (after msgpack). Only refused ones are sent. */
  accepts(payload: unknown): boolean;
  /** Valid payloads, mutated into invalid ones. */
  examples: Array<Record<string, unknown>>;
}

/** The validation `RallyRoom.handle` applies: `schema.safeParse(raw ?? {})`. */
const bySchema = (type: string, schema: z.ZodType, examples: MessageSpec["examples"]): MessageSpec => ({
  type,
  accepts: (p) => schema.safeParse(p ?? {}).success,
  examples,
});

const someId = () => crypto.randomUUID();

/** Every client message type a room registers with `handle()`, except `ping` (no payload; any is ignored). */
export function messageSpecs(fx: Fixture): MessageSpec[] {
  const cfg = ctx().config;
  switch (fx.kind) {
    case "user_lobby":
      return [
        bySchema("game_invitation:send", SendInvitation, [{ toUserId: someId(), map: "desert" }]),
        bySchema("game_invitation:accept", AnswerInvitation, [{ invitationId: someId() }]),
        bySchema("game_invitation:decline", AnswerInvitation, [{ invitationId: someId() }]),
        bySchema("notifications:read", NotificationIds, [{ ids: [someId()] }]),
        bySchema("notifications:dismiss", NotificationIds, [{ ids: [someId(), someId()] }]),
      ];
    case "bigger_dice":
      return ["ready", "roll", "bigger_dice.roll"].map((type) =>
        bySchema(type, NoPayload, [{}, { user_id: someId(), room_id: "r1" }]),
      );
    case "space": {
      const bounds = fx.bounds!;
      return [
        { type: "MOVE", accepts: (p) => moveError(p, bounds) === null, examples: [{ x: 1, y: 2, direction: "up" }] },
        bySchema("ACTION", ActionMessage, [{ action: "wave" }]),
        bySchema("CHAT", spaceChat(cfg.CHAT_MAX_CHARS), [{ text: "hello" }]),
        bySchema("SEND_INVITE", SendInviteMessage, [{ toUserId: someId(), spaceId: someId() }]),
        bySchema("ACCEPT_INVITE", InviteIdMessage, [{ notificationId: someId() }]),
        bySchema("DECLINE_INVITE", InviteIdMessage, [{ notificationId: someId() }]),
        bySchema("GET_USERS", GetUsersMessage, [{ spaceId: someId(), q: "bo", limit: 5 }]),
        bySchema("GET_INVITES", GetInvitesMessage, [{ includeExpired: true }]),
      ];
    }
    case "trivia":
      return [
        // No payload: sent by a participant who is not the host, each is refused NOT_HOST.
        { type: "start", accepts: () => false, examples: [{}] },
        { type: "next_question", accepts: () => false, examples: [{}] },
        bySchema("answer", AnswerMessage, [{ questionId: someId(), choiceIndex: 1 }]),
        bySchema("chat", triviaChat(cfg.CHAT_MAX_CHARS), [{ text: "hello" }]),
      ];
    case "conversation":
      return [
        bySchema("message", messagePayload(cfg.TEXT_MAX_CHARS), [{ content: "hello", clientMessageId: "c-1" }]),
        bySchema("typing", TypingPayload, [{ is_typing: true }]),
        bySchema("read_receipt", ReadReceiptPayload, [{ message_id: 1 }]),
        bySchema("sync", SyncPayload, [{ afterMessageId: 0 }]),
      ];
  }
}

// ---- payloads ----------------------------------------------------------------------------

/** Encode as the SDK does and decode as the server does: what the handler will see. */
const packr = new Packr();
export const MAX_FRAME_PAYLOAD = 60_000; // under the 64 KiB frame limit, with room for the header

export function onTheWire(payload: unknown): { ok: true; decoded: unknown } | { ok: false } {
  try {
    if (payload === undefined) return { ok: true, decoded: undefined };
    const bytes = packr.pack(payload);
    if (bytes.length > MAX_FRAME_PAYLOAD) return { ok: false };
    return { ok: true, decoded: unpack(bytes) };
  } catch {
    return { ok: false }; // the SDK could not send it (e.g. too deep to encode)
  }
}

const TRICKY_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "seq",
  "",
  " ",
  "0",
  "type",
];

/** Strings of more than every text limit (2,000), still under the frame limit once encoded. */
const hugeString = fc
  .tuple(fc.integer({ min: 2_001, max: 40_000 }), fc.constantFrom("x", "é", "😀", " ", "\u0000", "\u202e", "<script>"))
  .map(([n, unit]) =>
    unit.repeat(Math.max(1, Math.floor(Math.min(n, 40_000 / Buffer.byteLength(unit)) / unit.length))),
  );

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    NaN,
    Infinity,
    -Infinity,
    -0,
    0,
    1,
    -1,
    0.5,
    true,
    false,
    "",
    " ",
    "\u0000",
    "null",
    "NaN",
    "[]",
    "{}",
  ),
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 2 ** 53, 1e308, -1e308, 5e-324),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.uuid(),
  fc.uint8Array({ maxLength: 64 }),
  fc.date({ noInvalidDate: true }),
);

function nest(depth: number, kind: "array" | "object", leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === "array" ? [v] : { a: v };
  return v;
}

const deep = fc
  .tuple(fc.integer({ min: 16, max: 1_000 }), fc.constantFrom<"array" | "object">("array", "object"), scalar)
  .map(([depth, kind, leaf]) => nest(depth, kind, leaf));

function anyValue(keys: string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...keys, ...TRICKY_KEYS), fc.string({ maxLength: 12 }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", maxDepth: 4 }, scalar, scalar, hugeString, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 6 }),
    object: fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  }));
  return value;
}

/** A valid example with one thing wrong: a field of another type, missing, extra, or the whole wrapped. */
function mutated(examples: MessageSpec["examples"], keys: string[]): fc.Arbitrary<unknown> {
  const value = anyValue(keys);
  const key = fc.oneof(fc.constantFrom(...keys, ...TRICKY_KEYS), fc.string({ maxLength: 12 }));
  return fc.constantFrom(...examples).chain((ex) => {
    const own = Object.keys(ex);
    const variants: Array<fc.Arbitrary<unknown>> = [
      fc
        .tuple(own.length ? fc.constantFrom(...own) : key, fc.oneof(value, hugeString, deep, scalar))
        .map(([k, v]) => ({ ...ex, [k]: v })),
      fc.tuple(key, value).map(([k, v]) => ({ ...ex, [k]: v })),
      fc.constantFrom<unknown>(
        [ex],
        JSON.stringify(ex),
        { payload: ex },
        { ...ex, ...Object.fromEntries(own.map((k) => [k, [ex[k]]])) },
      ),
    ];
    if (own.length)
      variants.push(
        fc.constantFrom(...own).map((k) => Object.fromEntries(Object.entries(ex).filter(([kk]) => kk !== k))),
      );
    return fc.oneof(...variants);
  });
}

/** Payloads of every shape, for one message spec; only those the server must refuse. */
export function refusedPayloads(spec: MessageSpec): fc.Arbitrary<unknown> {
  const keys = [...new Set(spec.examples.flatMap((e) => Object.keys(e)))];
  return fc
    .oneof(
      { arbitrary: mutated(spec.examples, keys), weight: 4 },
      { arbitrary: anyValue(keys), weight: 3 },
      { arbitrary: deep, weight: 1 },
      { arbitrary: hugeString, weight: 1 },
    )
    .filter((p) => {
      const wire = onTheWire(p);
      return wire.ok && !spec.accepts(wire.decoded);
    });
}

/**
 * The SDK frames a message as header + msgpack payload with msgpackr's RESERVE_START_SPACE,
 * which keeps only the low 8 bits of the header length: a type name whose header passes
 * 255 bytes yields a corrupt frame (the server then refuses a request, and closes the socket
 * of a send with 4002, as for any frame that is not MessagePack). Names stay under that.
 */
export const MAX_TYPE_BYTES = 200;

/** Message types no room registers: random names, prototype names, numbers. */
export function unknownTypes(registered: Set<string>): fc.Arbitrary<string | number> {
  return fc
    .oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
      fc.constantFrom<string | number>(
        ...TRICKY_KEYS,
        "__defineGetter__",
        "valueOf",
        "_$bping",
        "*",
        "PING",
        "Ping",
        "ping ",
        "roll\u0000",
        "x".repeat(MAX_TYPE_BYTES),
      ),
      fc.integer({ min: 0, max: 2 ** 31 }),
    )
    .filter((t) => !registered.has(String(t)) && Buffer.byteLength(String(t)) <= MAX_TYPE_BYTES);
}

export const registeredTypes = (fx: Fixture) => new Set(["ping", ...messageSpecs(fx).map((s) => s.type)]);

// ---- one payload, checked --------------------------------------------------------------

export type Mode = "request" | "send";

export interface Outcome {
  /** The error code answered (or `no_handler` for an unknown request type). */
  code: string;
  /** What went wrong, if anything: every entry is a failure of the properties above. */
  violations: string[];
}

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

/**
 * A client's `error` events, in order, for send-mode checks: each `room.send` of a refused
 * payload must be answered by exactly one `error` event naming its type.
 */
export class ErrorQueue {
  private readonly queue: any[] = [];
  private waiter?: (e: any) => void;
  /** The `seq` of every event the client received, to check it never skips. */
  readonly seqs: number[] = [];

  constructor(fx: Fixture) {
    fx.seat.room.onMessage("*", (type: string | number, e: any) => {
      this.seqs.push(e?.seq);
      if (type !== "error") return;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(e);
      } else this.queue.push(e);
    });
  }

  next(timeoutMs: number): Promise<any> {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Whether every event's seq was the previous one plus one. */
  seqGaps(): number {
    let gaps = 0;
    for (let i = 1; i < this.seqs.length; i++) if (this.seqs[i] !== this.seqs[i - 1]! + 1) gaps++;
    return gaps;
  }
}

export interface CheckOptions {
  /** Compare the database before and after (each payload in tests; sampled in npm run fuzz). */
  checkDb: boolean;
  checkHealth: boolean;
}

/** Send one payload and check every property; never throws (violations are returned). */
export async function checkOne(
  fx: Fixture,
  errors: ErrorQueue,
  type: string | number,
  payload: unknown,
  mode: Mode,
  known: boolean,
  opts: CheckOptions,
): Promise<Outcome> {
  const { room } = fx.seat;
  const violations: string[] = [];
  const stateBefore = stateOf(room.roomId);
  const dbBefore = opts.checkDb ? await dbFingerprint() : "";
  let code = "none";

  if (mode === "request") {
    try {
      const reply = await room.request(type as string, payload, { timeout: 5_000 });
      violations.push(`acknowledged: ${JSON.stringify(reply)?.slice(0, 200)}`);
    } catch (e: any) {
      if (e?.name === "rejected") code = String(e.reason?.code);
      else if (e?.name === "no_handler") code = "no_handler";
      else code = `fault:${e?.name}:${e?.message}`;
    }
    if (known && !KNOWN_CODES.has(code)) violations.push(`not an ERROR_CODES code: ${code}`);
    // The framework answers an unknown request type itself; "*" reaches the room's catch-all.
    const expected = String(type) === "*" ? "UNKNOWN_MESSAGE" : "no_handler";
    if (!known && code !== expected) violations.push(`unknown request type answered with ${code}, not ${expected}`);
  } else {
    room.send(type as string, payload);
    const err = await errors.next(5_000);
    if (!err) violations.push("no error event within 5 s");
    else {
      code = String(err.code);
      if (!KNOWN_CODES.has(code)) violations.push(`not an ERROR_CODES code: ${code}`);
      // Colyseus decodes an empty type name as `undefined` (its decoder skips a zero-length string).
      const expectedType = String(type) === "" ? "undefined" : String(type);
      if (err.type !== expectedType)
        violations.push(`error event names type ${JSON.stringify(err.type)}, not ${JSON.stringify(String(type))}`);
      if (!known && code !== "UNKNOWN_MESSAGE") violations.push(`unknown type answered with ${code}`);
    }
  }
  if (code === "INTERNAL") violations.push("INTERNAL: a handler failed on bad input");
  if (code === "RATE_LIMITED") violations.push("RATE_LIMITED: limits were not raised");
  if (!room.connection.isOpen) violations.push("the client was disconnected");
  if (stateOf(room.roomId) !== stateBefore) violations.push("the room state changed");
  if (opts.checkDb && (await dbFingerprint()) !== dbBefore) violations.push("the database changed");
  if (opts.checkHealth && !(await healthy())) violations.push("GET /healthz failed");
  return { code, violations };
}

/** A message spec and a payload it refuses, across all of a room's types. */
export function specAndPayload(specs: MessageSpec[]): fc.Arbitrary<{ spec: MessageSpec; payload: unknown }> {
  return fc.oneof(...specs.map((spec) => refusedPayloads(spec).map((payload) => ({ spec, payload }))));
}

/** Short, printable description of a payload for reports. */
export function describePayload(p: unknown): string {
  try {
    return fc.stringify(p).slice(0, 300);
  } catch {
    return String(p).slice(0, 300);
  }
}

export type { RoomKind };
