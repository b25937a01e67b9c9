/**
 * `npm run abuse`: attacks a real server and prints the README's abuse table.
 *
 * Starts `src/index.ts` as a child process on ABUSE_PORT (default 2599, loopback only) with
 * the strict defaults (embedded PGlite and in-process presence unless DATABASE_URL/REDIS_URL
 * are set), then runs every attack module in scripts/abuse/ (each exports `attacks`, see
 * scripts/abuse/types.ts) one after the other, while an honest client keeps timing its own
 * REST read and login, and the server's RSS and CPU are sampled from /proc/<pid>.
 *
 * The server trusts a loopback proxy (TRUST_PROXY=loopback) so that the runner can speak for
 * several client addresses with X-Forwarded-For: setup users and the honest client each have
 * their own address, so the limits under test stay at their defaults.
 *
 *   ABUSE_PORT       port of the server (default 2599)
 *   ABUSE_ONLY       run only attacks whose name contains this text
 *   ABUSE_HASH_COST  the server's PASSWORD_HASH_COST (default: the server's default, 17)
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AbuseTarget, AbuseUser, Attack } from "./abuse/types";

const ROOT = path.resolve(__dirname, "..");
const PORT = Number(process.env.ABUSE_PORT ?? 2599);
const BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = "abuse-honest-password-7";
const CLK_TCK = 100; // Linux USER_HZ

let addressCounter = 0;
/** A fresh client address (the server trusts X-Forwarded-For from loopback). */
const newAddress = () => `10.200.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

async function startServer(): Promise<{ child: ChildProcess; dataDir: string }> {
  const taken = await fetch(`${BASE}/healthz`).then(
    () => true,
    () => false,
  );
  if (taken) throw new Error(`port ${PORT} already answers: stop that server or set ABUSE_PORT`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rally-abuse-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(PORT),
    DATA_DIR: dataDir,
    JWT_SECRET: crypto.randomBytes(24).toString("hex"),
    LOG_LEVEL: "warn",
    TRUST_PROXY: "loopback",
  };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  if (process.env.ABUSE_HASH_COST) env.PASSWORD_HASH_COST = process.env.ABUSE_HASH_COST;
  // node with tsx as a loader, so that the child's pid is the server's own (for /proc).
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/index.ts")], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (d: Buffer) => {
    if (log.length < 20_000) log += d.toString("utf8");
  };
  child.stdout.on("data", keep); // the security log: read (a full pipe would stall the server), not kept
  child.stderr.on("data", keep);
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return { child, dataDir };
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function register(prefix: string, address = newAddress()): Promise<AbuseUser & { address: string }> {
  const username = `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
  const res = await fetch(`${BASE}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const body = (await res.json()) as { token: string; user: { id: string } };
  if (res.status !== 201) throw new Error(`setup registration failed: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.user.id, username, token: body.token, address };
}

/** /proc/<pid>: resident memory (bytes) and CPU time used so far (seconds). */
function sample(pid: number): { rss: number; cpu: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rss: rssKb * 1024, cpu: ticks / CLK_TCK };
}

/** The honest client: a REST read and a login, over and over, each timed. */
class HonestClient {
  private running = true;
  private done?: Promise<void>;
  readonly reads: number[] = [];
  readonly logins: number[] = [];
  failures = 0;

  constructor(private readonly user: AbuseUser & { address: string }) {}

  start(): void {
    this.done = (async () => {
      while (this.running) {
        await this.time(this.reads, () =>
          fetch(`${BASE}/api/users/me`, {
            headers: { authorization: `Bearer ${this.user.token}`, "x-forwarded-for": this.user.address },
          }),
        );
        await this.time(this.logins, () =>
          fetch(`${BASE}/api/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-forwarded-for": this.user.address },
            body: JSON.stringify({ username: this.user.username, password: PASSWORD }),
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  private async time(into: number[], call: () => Promise<Response>): Promise<void> {
    const started = performance.now();
    try {
      const res = await call();
      await res.arrayBuffer();
      if (!res.ok) this.failures++;
    } catch {
      this.failures++;
    }
    into.push(performance.now() - started);
  }

  mark(): { reads: number; logins: number; failures: number } {
    return { reads: this.reads.length, logins: this.logins.length, failures: this.failures };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (v: number) => (Number.isNaN(v) ? "–" : `${Math.round(v)}`);
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** The first row: no attack, only the honest client, as the reference for the others. */
const baseline: Attack = {
  name: "none (baseline)",
  sent: "nothing for 10 s: the honest client alone",
  async run() {
    await new Promise((r) => setTimeout(r, 10_000));
    return { answered: "–" };
  },
};

async function loadAttacks(): Promise<Attack[]> {
  const dir = path.join(__dirname, "abuse");
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "types.ts")
    .sort();
  const attacks: Attack[] = [];
  for (const file of files) {
    const mod = (await import(path.join(dir, file))) as { attacks?: Attack[] };
    if (!Array.isArray(mod.attacks)) throw new Error(`scripts/abuse/${file} exports no \`attacks\` array`);
    attacks.push(...mod.attacks);
  }
  const only = process.env.ABUSE_ONLY;
  return [baseline, ...(only ? attacks.filter((a) => a.name.includes(only)) : attacks)];
}

async function main(): Promise<void> {
  const attacks = await loadAttacks();
  const { child, dataDir } = await startServer();
  const pid = child.pid!;
  const rows: string[] = [];
  let failed = false;
  try {
    const target: AbuseTarget = {
      baseUrl: BASE,
      wsUrl: `ws://127.0.0.1:${PORT}`,
      user: (prefix = "abuse") => register(prefix),
    };
    const honest = new HonestClient(await register("honest"));
    honest.start();
    await new Promise((r) => setTimeout(r, 2000));
    const idle = sample(pid);
    const calm = honest.mark();
    console.log(
      `server pid ${pid}: idle RSS ${mb(idle.rss)}; honest client before any attack: read p50 ${ms(percentile(honest.reads.slice(0, calm.reads), 50))} ms, login p50 ${ms(percentile(honest.logins.slice(0, calm.logins), 50))} ms`,
    );

    for (const attack of attacks) {
      const before = honest.mark();
      const start = sample(pid);
      const startedAt = performance.now();
      let peak = start.rss;
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, sample(pid).rss);
        } catch {
          /* the server is gone: reported below */
        }
      }, 50);
      let answered: string;
      try {
        answered = (await attack.run(target)).answered;
      } catch (e) {
        failed = true;
        answered = `FAILED: ${(e as Error).message}`;
      }
      const wall = (performance.now() - startedAt) / 1000;
      const end = sample(pid);
      // An attack refused in milliseconds leaves no honest sample: wait for a few round trips.
      const waitUntil = Date.now() + 15_000;
      while (
        (honest.reads.length - before.reads < 3 || honest.logins.length - before.logins < 1) &&
        Date.now() < waitUntil
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      clearInterval(sampler);
      peak = Math.max(peak, end.rss);
      const after = honest.mark();
      const reads = honest.reads.slice(before.reads, after.reads);
      const logins = honest.logins.slice(before.logins, after.logins);
      const cpu = end.cpu - start.cpu;
      const honestCell =
        `read ${ms(percentile(reads, 50))}/${ms(percentile(reads, 99))} ms · login ${ms(percentile(logins, 50))}/${ms(percentile(logins, 99))} ms` +
        (after.failures > before.failures ? ` · ${after.failures - before.failures} failed` : "");
      const row = `| ${attack.name} | ${attack.sent} | ${answered} | ${mb(peak)} (${peak - start.rss >= 0 ? "+" : ""}${mb(peak - start.rss)}) | ${cpu.toFixed(1)} s in ${wall.toFixed(1)} s | ${honestCell} |`;
      rows.push(row);
      console.log(row);
      if (child.exitCode !== null) throw new Error("the server died during the attack");
      await new Promise((r) => setTimeout(r, 1000));
    }
    await honest.stop();
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    "\n| attack | sent | answered | server RSS peak | server CPU | honest p50/p99 |\n|---|---|---|---|---|---|",
  );
  for (const row of rows) console.log(row);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
