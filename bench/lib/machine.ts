import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

/** The machine a result was measured on, for the record. */
export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  kernel: string;
  taskset: boolean;
  loadAverageAtStart: number[];
  gitCommit: string | null;
  gitDirty: boolean | null;
}

export function describeMachine(tasksetAvailable: boolean): Machine {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /model name\s*:\s*(.+)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return null;
    }
  };
  const status = git(["status", "--porcelain"]);
  return {
    // Not availableParallelism(): that follows this process's own (pinned) affinity.
    nproc: os.cpus().length,
    cpuModel,
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    taskset: tasksetAvailable,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    gitCommit: git(["rev-parse", "--short", "HEAD"]),
    gitDirty: status === null ? null : status.length > 0,
  };
}

/** Time every core spent, in microseconds since boot, split by who used it. */
export interface CoreTimes {
  /** user + nice + system: processes (ours and everyone else's). */
  processes: number;
  /** irq + softirq: interrupt work, loopback network processing included; charged to no process. */
  interrupts: number;
  /** Time the hypervisor gave to someone else. */
  steal: number;
}

export function coreTimes(): CoreTimes[] {
  try {
    const tick = 1e6 / 100; // /proc/stat counts USER_HZ, 100 on Linux
    return fs
      .readFileSync("/proc/stat", "utf8")
      .split("\n")
      .filter((l) => /^cpu\d+ /.test(l))
      .map((l) => {
        const [, user, nice, system, , , irq, softirq, steal] = l.trim().split(/\s+/).map(Number);
        return {
          processes: (user! + nice! + system!) * tick,
          interrupts: (irq! + softirq!) * tick,
          steal: (steal ?? 0) * tick,
        };
      });
  } catch {
    return [];
  }
}

/** Busy time of every core (processes + interrupts + steal), in microseconds. */
export function coreBusyMicros(): number[] {
  return coreTimes().map((c) => c.processes + c.interrupts + c.steal);
}
