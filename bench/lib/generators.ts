import { rpc, waitReady } from "./ipc";
import { cpuMicrosOf, spawnTs, stopChild, type Child } from "./proc";

/** A group of load-generator processes of one kind, pinned to the generators' core. */
export class GeneratorGroup {
  private constructor(
    readonly children: Child[],
    private readonly spawnInfo: { file: string; cores: string | undefined; label: string },
  ) {}

  static async start(file: string, count: number, cores: string | undefined, label: string): Promise<GeneratorGroup> {
    const group = new GeneratorGroup([], { file, cores, label });
    await group.ensure(count);
    return group;
  }

  /** Grow the group to at least `count` processes (they are reused from step to step). */
  async ensure(count: number): Promise<void> {
    const { file, cores, label } = this.spawnInfo;
    const fresh = Array.from({ length: Math.max(0, count - this.children.length) }, (_, i) =>
      spawnTs(file, { cores, label: `${label}#${this.children.length + i}`, env: { NODE_ENV: "production" } }),
    );
    this.children.push(...fresh);
    try {
      await Promise.all(fresh.map((c) => waitReady(c.proc, 30_000, `${label} generator`)));
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** A view of the first `count` processes (stopping stays with the whole group). */
  take(count: number): GeneratorGroup {
    return new GeneratorGroup(this.children.slice(0, count), this.spawnInfo);
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid);
  }

  cpuMicros(): number {
    return cpuMicrosOf(this.pids);
  }

  /** Send each generator its own arguments (same command), and wait for all answers. */
  all<T>(cmd: string, argsFor: (index: number) => unknown, timeoutMs = 120_000): Promise<T[]> {
    return Promise.all(this.children.map((c, i) => rpc<T>(c.proc, cmd, argsFor(i), timeoutMs)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => stopChild(c, 1500)));
  }
}

/** Split `items` into `parts` groups, round-robin, keeping each item whole. */
export function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts]!.push(item));
  return out;
}
