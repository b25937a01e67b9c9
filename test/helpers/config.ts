import type { Config } from "../../src/config";
import { ctx } from "./server";

/**
 * Change configuration values on the running server; returns a function that puts them back.
 * The server and its services read `ctx().config` when they use a value (never a copy taken
 * at start), so a limit or timeout changed here applies to the next request, join or timer.
 */
export function setConfig(overrides: Partial<Config>): () => void {
  const config = ctx().config;
  const saved = Object.fromEntries(Object.keys(overrides).map((key) => [key, config[key as keyof Config]]));
  Object.assign(config, overrides);
  return () => Object.assign(config, saved);
}

/** Run `fn` with some configuration values changed (setConfig), then put them back. */
export async function withConfig<T>(overrides: Partial<Config>, fn: () => Promise<T>): Promise<T> {
  const restore = setConfig(overrides);
  try {
    return await fn();
  } finally {
    restore();
  }
}
