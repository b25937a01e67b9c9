import type { Config } from "../config";
import type { Db } from "../db";
import type { Delivery } from "../realtime/delivery";
import type { RoomDirectory } from "../realtime/roomDirectory";
import type { Services } from "./index";

/** What every domain service is built with. `now` is injectable so tests can move time. */
export interface ServiceDeps {
  db: Db;
  config: Config;
  delivery: Delivery;
  rooms: RoomDirectory;
  now: () => Date;
  /** The other services (filled in once all are built), for cross-service calls. */
  services: Services;
}
