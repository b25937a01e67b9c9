import type { ChildProcess } from "node:child_process";

/**
 * A tiny request/reply protocol over the Node IPC channel between the orchestrator and its
 * children (servers and generators). Requests carry an id; the child answers once.
 */

interface Request {
  rpc: number;
  cmd: string;
  args: unknown;
}
interface Reply {
  rpcReply: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type Handlers = Record<string, (args: any) => unknown | Promise<unknown>>;

/**
 * In a child: answer the orchestrator's requests, and exit when the orchestrator goes away
 * (so that no child outlives a killed bench).
 */
export function serveRpc(handlers: Handlers): void {
  if (!process.send) throw new Error("this module runs as a child of bench/run.ts (no IPC channel)");
  process.on("message", async (msg: Request) => {
    if (!msg || typeof msg.rpc !== "number") return;
    const handler = handlers[msg.cmd];
    let reply: Reply;
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      reply = { rpcReply: msg.rpc, ok: true, result: await handler(msg.args) };
    } catch (e) {
      reply = { rpcReply: msg.rpc, ok: false, error: (e as Error)?.stack ?? String(e) };
    }
    if (process.connected) process.send!(reply);
  });
  process.on("disconnect", () => process.exit(0));
}

/** In a child: tell the orchestrator it is ready (sent once, after start-up). */
export function announceReady(info: unknown = {}): void {
  process.send?.({ ready: true, info });
}

let nextId = 1;

/** In the orchestrator: send a command to a child and wait for its answer. */
export function rpc<T = unknown>(child: ChildProcess, cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const onMessage = (msg: Reply) => {
      if (!msg || msg.rpcReply !== id) return;
      cleanup();
      if (msg.ok) resolve(msg.result as T);
      else reject(new Error(`${cmd} failed in child: ${msg.error}`));
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (code ${code}) during ${cmd}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${cmd} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
    if (!child.connected) {
      cleanup();
      return reject(new Error(`child is gone (no IPC channel) for ${cmd}`));
    }
    child.send({ rpc: id, cmd, args } satisfies Request, (err) => {
      if (!err) return;
      cleanup();
      reject(err);
    });
  });
}

/** In the orchestrator: wait for a child's `announceReady`. */
export function waitReady<T = unknown>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (msg: { ready?: boolean; info?: T }) => {
      if (!msg?.ready) return;
      cleanup();
      resolve(msg.info as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what} exited (code ${code}) before it was ready`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
