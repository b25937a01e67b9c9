import type { Config } from "./config";
import type { Db } from "./db";
import type { TokenService } from "./auth/tokens";
import type { Delivery } from "./realtime/delivery";
import type { RoomDirectory } from "./realtime/roomDirectory";
import type { Services } from "./services";

/**
 * What rooms need from the composition root. Colyseus constructs rooms itself, so
 * app.config.ts installs the context here once at start and rooms read it with appContext().
 */
export interface AppContext {
  config: Config;
  db: Db;
  tokens: TokenService;
  delivery: Delivery;
  /** Finds or creates rooms: the only way to reach the matchmaker outside app.config.ts. */
  rooms: RoomDirectory;
  services: Services;
}

let current: AppContext | undefined;

export function installContext(ctx: AppContext): void {
  current = ctx;
}

export function appContext(): AppContext {
  if (!current) throw new Error("app context not installed: rooms run only inside the server built by app.config.ts");
  return current;
}
