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

/** Each handler declares its own argument type (never: any argument type fits); a returned Promise is awaited. */
export type Handlers = Record<string, (args: never) => unknown>;

/**
 * In a child: answer the orchestrator's requests, and exit when the orchestrator goes away
 * (so that no child outlives a killed bench).
 */
export function serveRpc(handlers: Handlers): void {
  if (!process.send) throw new Error("this module runs as a child of bench/run.ts (no IPC channel)");
  // Never rejects: a failure is answered to the orchestrator.
  const answer = async (msg: Request) => {
    if (!msg || typeof msg.rpc !== "number") return;
    const handler = handlers[msg.cmd];
    let reply: Reply;
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      reply = { rpcReply: msg.rpc, ok: true, result: await handler(msg.args as never) };
    } catch (e) {
      reply = { rpcReply: msg.rpc, ok: false, error: (e as Error)?.stack ?? String(e) };
    }
    if (process.connected) process.send!(reply);
  };
  process.on("message", (msg: Request) => void answer(msg));
  process.on("disconnect", () => process.exit(0));
}

/** In a child: tell the orchestrator it is ready (sent once, after start-up). */
export function announceReady(info: unknown = {}): void {
  process.send?.({ ready: true, info });
}

let nextId = 1;

/**
 * In the orchestrator: the first message from `child` that `pick` accepts (it returns
 * undefined for the others), or a rejection when the child exits or `timeoutMs` passes.
 * `send` runs once the listeners are in place; an error it reports also rejects.
 */
function awaitMessage<T>(
  child: ChildProcess,
  /** Declares the message shape it reads (never: any shape fits) and checks it before use. */
  pick: (msg: never) => { value: T } | { error: Error } | undefined,
  timeoutMs: number,
  describe: { exit: (code: number | null) => string; timeout: string },
  send?: (fail: (err: Error) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onMessage = (msg: unknown) => {
      const picked = pick(msg as never);
      if (!picked) return;
      cleanup();
      if ("error" in picked) reject(picked.error);
      else resolve(picked.value);
    };
    const onExit = (code: number | null) => fail(new Error(describe.exit(code)));
    const timer = setTimeout(() => fail(new Error(describe.timeout)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
    send?.(fail);
  });
}

/** In the orchestrator: send a command to a child and wait for its answer. */
export function rpc<T = unknown>(child: ChildProcess, cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
  const id = nextId++;
  return awaitMessage<T>(
    child,
    (msg: Reply) => {
      if (!msg || msg.rpcReply !== id) return undefined;
      return msg.ok ? { value: msg.result as T } : { error: new Error(`${cmd} failed in child: ${msg.error}`) };
    },
    timeoutMs,
    { exit: (code) => `child exited (code ${code}) during ${cmd}`, timeout: `${cmd} timed out after ${timeoutMs} ms` },
    (fail) => {
      if (!child.connected) return fail(new Error(`child is gone (no IPC channel) for ${cmd}`));
      child.send({ rpc: id, cmd, args } satisfies Request, (err) => err && fail(err));
    },
  );
}

/** In the orchestrator: wait for a child's `announceReady`. */
export function waitReady<T = unknown>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return awaitMessage<T>(
    child,
    (msg: { ready?: boolean; info?: T }) => (msg?.ready ? { value: msg.info as T } : undefined),
    timeoutMs,
    {
      exit: (code) => `${what} exited (code ${code}) before it was ready`,
      timeout: `${what} not ready after ${timeoutMs} ms`,
    },
  );
}
