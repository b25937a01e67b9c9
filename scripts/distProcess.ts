/**
 * The built server (dist/index.js) as a child process, for the scripts that check it from the
 * outside: scripts/boot-dist.ts (the production image's runtime, in CI) and
 * scripts/loadtest-smoke.ts (the load-test bots against it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const root = path.resolve(__dirname, "..");

/** The Dockerfile's final-stage `CMD` and `HEALTHCHECK … CMD` exec arrays, as the image runs them. */
export function imageCommands(dockerfile = path.join(root, "Dockerfile")): { cmd: string[]; healthcheck: string[] } {
  const lines = fs.readFileSync(dockerfile, "utf8").split("\n");
  const execForm = (prefix: RegExp): string[] => {
    const line = lines.filter((l) => prefix.test(l)).pop();
    if (!line) throw new Error(`Dockerfile: no line matches ${prefix}`);
    const json = line.slice(line.indexOf("["));
    const parsed = JSON.parse(json) as unknown;
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === "string"))
      throw new Error(`Dockerfile: not an exec-form array: ${line}`);
    return parsed;
  };
  return { cmd: execForm(/^CMD\s+\[/), healthcheck: execForm(/^HEALTHCHECK\s.*\bCMD\s+\[/) };
}

export interface DistProcess {
  child: ChildProcess;
  /** Everything it printed so far (pino JSON lines and anything else). */
  output(): string;
  /** Resolves with its exit code (or the signal that ended it) once it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `argv` (e.g. the image's CMD, whose first word is `node`: this Node runs it) in `cwd`. */
export function startDist(argv: string[], cwd: string, env: NodeJS.ProcessEnv): DistProcess {
  const [bin, ...args] = argv;
  const child = spawn(bin === "node" ? process.execPath : bin, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (d) => (text += d));
  child.stderr.on("data", (d) => (text += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

/** Poll `url` until it answers 200 (returns the response body and the time it took), or throw. */
export async function waitFor200(
  url: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<{ body: string; ms: number }> {
  const started = Date.now();
  let last = "no answer";
  while (Date.now() - started < timeoutMs) {
    if (!alive()) throw new Error(`the process exited before ${url} answered 200`);
    try {
      const res = await fetch(url);
      const body = await res.text();
      if (res.status === 200) return { body, ms: Date.now() - started };
      last = `${res.status} ${body.slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** SIGTERM, then how it ended and how long it took (SIGKILL after `graceMs`, reported as such). */
export async function stopDist(p: DistProcess, graceMs: number): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, ms: Date.now() - started };
}
