import type { Config } from "./config";
import type { Db } from "./db";
import type { TokenService } from "./auth/tokens";
import type { Delivery } from "./realtime/delivery";
import type { RoomDirectory } from "./realtime/roomDirectory";
import type { Services } from "./services";
import type { Clock } from "./realtime/clock";
import type { Dice } from "./systems/biggerDice/rules";

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
  /** Where room timers and deadlines come from (tests install a manual clock). */
  clock: Clock;
  /** Where dice rolls come from (tests install a scripted die). */
  dice: Dice;
}

let current: AppContext | undefined;

export function installContext(ctx: AppContext): void {
  current = ctx;
}

export function appContext(): AppContext {
  if (!current) throw new Error("app context not installed: rooms run only inside the server built by app.config.ts");
  return current;
}
