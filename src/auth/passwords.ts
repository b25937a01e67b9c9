import crypto from "node:crypto";
import { AppError } from "../errors";

/**
 * scrypt at OWASP's cost (N = 2^17, r = 8, p = 1: 128 MiB and ~0.1–0.3 s per hash). The stored
 * string carries its parameters (`scrypt$N$r$p$salt$key`), so hashes made at another cost
 * still verify, and `needsRehash` tells when one should be upgraded.
 */
const R = 8;
const P = 1;
const KEY_LEN = 32;
/** The largest N a stored hash may ask for (a corrupt row must not make us allocate gigabytes). */
const MAX_LOG2_N = 20;
export const DEFAULT_HASH_COST = 17;

/** scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below N = 2^17. */
const maxmemFor = (n: number, r: number, p: number) => 128 * n * r * p + 16 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, len: number, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, len, { N: n, r, p, maxmem: maxmemFor(n, r, p) }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Hash with a random salt at cost 2^`costLog2`. */
export async function hashPassword(password: string, costLog2 = DEFAULT_HASH_COST): Promise<string> {
  const n = 2 ** costLog2;
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, n, R, P);
  return `scrypt$${n}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const [scheme, n, r, p, saltB64, keyB64] = stored.split("$");
  const params = [Number(n), Number(r), Number(p)];
  if (scheme !== "scrypt" || !saltB64 || !keyB64 || !params.every((x) => Number.isInteger(x) && x > 0)) return null;
  const [N, rr, pp] = params as [number, number, number];
  if (N > 2 ** MAX_LOG2_N || (N & (N - 1)) !== 0 || rr > 32 || pp > 16) return null;
  return { n: N, r: rr, p: pp, salt: Buffer.from(saltB64, "base64"), key: Buffer.from(keyB64, "base64") };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || h.key.length === 0) return false;
  const key = await scrypt(password, h.salt, h.key.length, h.n, h.r, h.p);
  return crypto.timingSafeEqual(key, h.key);
}

/** True when `stored` was made below the current cost (it is rehashed at the next login). */
export function needsRehash(stored: string, costLog2: number): boolean {
  const h = parse(stored);
  return !h || h.n < 2 ** costLog2 || h.r !== R || h.p !== P;
}

/** A hash at `costLog2` to compare against when the user does not exist, so timing does not tell. */
const dummies = new Map<number, Promise<string>>();
export function dummyHash(costLog2: number): Promise<string> {
  let hash = dummies.get(costLog2);
  if (!hash) {
    hash = hashPassword(crypto.randomBytes(16).toString("hex"), costLog2);
    dummies.set(costLog2, hash);
  }
  return hash;
}

/**
 * Password rules (docs/PROTOCOL.md §2): 8–128 characters, and not one of the 10,000 most
 * common passwords. The list is the head of the frequency-ranked leaked-password dictionary
 * that @zxcvbn-ts/language-common ships as a data file (src/passwords.json, most common first).
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
const COMMON_COUNT = 10_000;
let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  common ??= new Set((require("@zxcvbn-ts/language-common/src/passwords.json") as string[]).slice(0, COMMON_COUNT));
  return common;
}

export const isCommonPassword = (password: string): boolean => commonPasswords().has(password.toLowerCase());

/** Why `password` is refused, or null. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if (isCommonPassword(password)) return "is one of the most common passwords: choose another";
  return null;
}

/**
 * Password hashing with bounded concurrency: at most `concurrency` scrypt runs at once, the
 * rest wait in a queue of at most `maxQueued` (beyond: 503 UNAVAILABLE). The queue is fair
 * between callers (`key`: the client's IP): it serves them in turn, so 50 parallel logins from
 * one address delay another address's login by one hash, not fifty.
 */
export class HashQueue {
  private running = 0;
  private queued = 0;
  /** key → its waiting tasks; Map order is the round-robin order. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limits: () => { concurrency: number; maxQueued: number }) {}

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const { concurrency, maxQueued } = this.limits();
    if (this.running < concurrency && this.queued === 0) return this.start(task);
    if (this.queued >= maxQueued)
      return Promise.reject(new AppError("UNAVAILABLE", "Too many sign-ins at once: retry shortly"));
    return new Promise<T>((resolve, reject) => {
      const list = this.waiting.get(key) ?? [];
      list.push(() => void this.start(task).then(resolve, reject));
      this.waiting.set(key, list);
      this.queued++;
    });
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    return task().finally(() => {
      this.running--;
      this.next();
    });
  }

  private next(): void {
    const { concurrency } = this.limits();
    while (this.running < concurrency && this.queued > 0) {
      const [key, list] = this.waiting.entries().next().value as [string, Array<() => void>];
      const task = list.shift()!;
      this.waiting.delete(key);
      if (list.length) this.waiting.set(key, list); // to the back of the round
      this.queued--;
      task();
    }
  }
}
