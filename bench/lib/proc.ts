import { execFileSync, fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/**
 * Child processes of the bench: servers and load generators, each a separate Node process
 * pinned to a core with `taskset`, talking to the orchestrator over IPC. Every child is
 * tracked so that the orchestrator can kill all of them on any exit path.
 */

export const ROOT = path.resolve(__dirname, "../..");

const children = new Set<ChildProcess>();

let tasksetPath: string | null | undefined;
/** The taskset binary, or null when the machine has none (the bench then runs unpinned). */
export function taskset(): string | null {
  if (tasksetPath !== undefined) return tasksetPath;
  for (const candidate of ["/usr/bin/taskset", "/bin/taskset", "/usr/local/bin/taskset"]) {
    if (fs.existsSync(candidate)) return (tasksetPath = candidate);
  }
  try {
    tasksetPath = execFileSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).trim() || null;
  } catch {
    tasksetPath = null;
  }
  return tasksetPath;
}

export interface SpawnOptions {
  /** Core list for taskset (e.g. "0"); ignored when taskset is missing. */
  cores?: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  nodeArgs?: string[];
  /** Prefix for the child's stderr/stdout lines when echoed (only when BENCH_VERBOSE is set or the child fails). */
  label: string;
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  label: string;
  /** The last lines the child printed (for error messages). */
  tail(): string;
  exited: Promise<number | null>;
}

/**
 * Fork a TypeScript module under tsx, pinned with taskset. `fork` keeps the IPC channel even
 * though the executable is taskset, because taskset execs node in the same process (same pid,
 * same file descriptors, same environment).
 */
export function spawnTs(modulePath: string, opts: SpawnOptions): Child {
  const nodeArgs = ["--import", "tsx", ...(opts.nodeArgs ?? [])];
  const pin = opts.cores !== undefined ? taskset() : null;
  const proc = fork(modulePath, opts.args ?? [], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    execPath: pin ?? process.execPath,
    execArgv: pin ? ["-c", opts.cores!, process.execPath, ...nodeArgs] : nodeArgs,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
  });
  children.add(proc);
  // A send on a closed channel is reported by rpc(); the event itself must not crash the bench.
  proc.on("error", () => undefined);
  const lines: string[] = [];
  const verbose = !!process.env.BENCH_VERBOSE;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      if (verbose) process.stderr.write(`[${opts.label}] ${line}\n`);
    }
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      children.delete(proc);
      resolve(code);
    });
  });
  if (!proc.pid) throw new Error(`could not start ${opts.label}`);
  return { proc, pid: proc.pid, label: opts.label, tail: () => lines.join("\n"), exited };
}

/** Stop a child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Kill every child still running, synchronously (safe in an exit handler). */
export function killAllChildren(): void {
  for (const proc of children) {
    if (proc.pid && proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
}

/** Resolve when something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- /proc readings (Linux) -----------------------------------------------------------

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  try {
    clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** User + system CPU time of a process (all its threads), in microseconds; 0 if it is gone. */
export function cpuMicros(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces; the fields after it are space separated.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1e6) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes; 0 if it is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time of several processes, summed. */
export const cpuMicrosOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
