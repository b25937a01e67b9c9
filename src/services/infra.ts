import type { Config } from "../config";
import type { Db } from "../db";
import type { Delivery } from "../realtime/delivery";
import type { RoomDirectory } from "../realtime/roomDirectory";

/**
 * The shared machinery services are built on. Each service's constructor names the parts it
 * uses (`Pick<Infra, ...>`) and the other services it calls, so its dependencies read from
 * its signature; src/services/index.ts builds them in dependency order.
 */
export interface Infra {
  db: Db;
  config: Config;
  delivery: Delivery;
  rooms: RoomDirectory;
  /** Wall time for what services store and compare (the context's clock, so tests can move it). */
  now: () => Date;
}
