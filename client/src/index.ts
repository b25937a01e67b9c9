/**
 * @rally/client: a typed client for rally's rooms (docs/PROTOCOL.md), on `@colyseus/sdk`.
 *
 * ```ts
 * const rally = connect("https://rally.example", sessionAuth(url, await login(url, credentials)));
 * const lobby = await rally.joinLobby();
 * lobby.on(LobbyEvent.invitationReceived, (e) => console.log(e.sender_username, e.map));
 * ```
 */
export { connect, RallyClient } from "./client";
export type { ConnectOptions, LobbyRoom, DiceRoom, SpaceRoom, TriviaRoom, ConversationRoom } from "./client";
export { RallyRoom, newClientMessageId, rejection } from "./room";
export type { RoomKind, RequestRejection } from "./room";
export { RallyApiError, callApi, login, refreshSession, sessionAuth, tokenLifetime, httpBase } from "./http";
export * from "./protocol";
