import type { Presence } from "@colyseus/core";

/**
 * Delete a presence key and wait until it is gone. Colyseus' Presence interface types `del` as
 * void, but RedisPresence's returns a Promise: awaiting it keeps the order on either driver.
 */
export async function presenceDel(presence: Presence, key: string): Promise<void> {
  await (presence.del(key) as void | Promise<unknown>);
}
