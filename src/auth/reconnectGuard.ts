import { matchMaker, ServerError } from "@colyseus/core";
import type { TokenService } from "./tokens";
import type { ReconnectionCheck } from "../realtime/RallyRoom";
import { toServerError } from "../realtime/RallyRoom";

let installed: TokenService | undefined;
const GUARD = Symbol("rally.reconnectGuard");

/**
 * Colyseus' `reconnect` needs only the reconnection token; rally also wants a valid access
 * token of the seat's own user, or a dropped client would outlive its token forever. The
 * matchmaker controller is the one door every reconnect passes (HTTP `/matchmake/reconnect`),
 * so the check wraps it: 401 for a missing or expired token, and the seat, wherever its room
 * lives, takes the new token's expiry.
 */
export function guardReconnections(tokens: TokenService): void {
  installed = tokens; // the latest app's tokens (tests may build the app more than once)
  const controller = matchMaker.controller;
  // Wraps whatever handles matchmaking now (the RoomDirectory), once.
  if ((controller.invokeMethod as { [GUARD]?: true })[GUARD]) return;
  const invoke = controller.invokeMethod.bind(controller);
  const guarded: typeof controller.invokeMethod = async (method, roomIdOrName, clientOptions = {}, authOptions) => {
    if (method === "reconnect") await checkReconnect(roomIdOrName, clientOptions, authOptions?.token);
    return invoke(method, roomIdOrName, clientOptions, authOptions);
  };
  controller.invokeMethod = Object.assign(guarded, { [GUARD]: true as const });
}

async function checkReconnect(roomId: string, clientOptions: Record<string, unknown>, headerToken: string | undefined) {
  let user;
  try {
    user = await installed!.authenticate(headerToken || clientOptions.token);
  } catch (e) {
    throw toServerError(e);
  }
  const reconnectionToken = clientOptions.reconnectionToken;
  if (typeof reconnectionToken !== "string") return; // Colyseus refuses it itself
  let check: ReconnectionCheck;
  try {
    check = (await matchMaker.remoteRoomCall(roomId, "authorizeReconnection" as never, [reconnectionToken, user.id, user.expiresAt ?? null])) as ReconnectionCheck;
  } catch {
    return; // the room is gone or not a rally room: Colyseus answers as it always does
  }
  if (check === "other user") throw new ServerError(401, "token is for another user");
}
