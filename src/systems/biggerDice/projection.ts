import { BiggerDiceState, DicePlayer, DiceRound, DiceSpectator } from "./BiggerDiceState";
import type { DiceEffect, DiceTable } from "./game";
import { DiceEvent, type DiceEvents, type DiceRoomMetadata, type FinalScores, type WirePlayer } from "./protocol";

/**
 * The table as clients see it: the schema state mirrors it (`syncState`), and each effect of a
 * transition becomes an event in the seed product's shape (`eventsOf`). Pure but for the
 * schema it is given.
 */

/** An event to broadcast; `exceptActor`: to everyone but the seat whose action caused it. */
export type Outgoing = {
  [K in keyof DiceEvents]: { name: K; payload: DiceEvents[K]; exceptActor?: true };
}[keyof DiceEvents];

const out = <K extends keyof DiceEvents>(name: K, payload: DiceEvents[K], exceptActor?: true): Outgoing =>
  ({ name, payload, ...(exceptActor ? { exceptActor } : {}) }) as Outgoing;

/** Apply a transition: mirror the table into the schema, and the events to send, in order. */
export function project(
  state: BiggerDiceState,
  table: DiceTable,
  effects: readonly DiceEffect[],
  roomId: string,
): Outgoing[] {
  syncState(state, table);
  return eventsOf(table, effects, roomId);
}

export function eventsOf(table: DiceTable, effects: readonly DiceEffect[], roomId: string): Outgoing[] {
  const room_id = roomId;
  const { match } = table;
  const usernameOf = (userId: string) => table.players[userId]?.username ?? "";
  return effects.flatMap((effect): Outgoing[] => {
    switch (effect.type) {
      case "joined":
        return [
          out(DiceEvent.roomJoined, { room_id, room_name: table.roomName, player: wirePlayer(table, effect.userId) }),
        ];
      case "ready":
        return [out(DiceEvent.playerReady, { room_id, user_id: effect.userId, username: usernameOf(effect.userId) })];
      case "rematch_requested": {
        const username = usernameOf(effect.userId);
        return [out(DiceEvent.rematchRequested, { room_id, user_id: effect.userId, username })];
      }
      case "rematch_lapsed":
        return [out(DiceEvent.rematchLapsed, { room_id, user_id: effect.userId })];
      case "disconnected":
        return [out(DiceEvent.playerDisconnected, { room_id, user_id: effect.userId })];
      case "rejoined": {
        const username = usernameOf(effect.userId);
        return [out(DiceEvent.playerRejoined, { room_id, user_id: effect.userId, username })];
      }
      case "left":
        return [out(DiceEvent.playerLeft, { room_id, user_id: effect.userId, username: effect.username }, true)];
      case "spectator_joined":
      case "spectator_left": {
        const name = effect.type === "spectator_joined" ? DiceEvent.spectatorJoined : DiceEvent.spectatorLeft;
        return [out(name, { room_id, user_id: effect.userId, username: effect.username })];
      }
      case "started": {
        const players = match.seats.map((id) => wirePlayer(table, id));
        return [out(DiceEvent.gameStarted, { room_id, players, first_turn: match.currentTurn })];
      }
      case "turn_changed":
        return [
          out(DiceEvent.turnChanged, {
            room_id,
            current_turn: match.currentTurn,
            turn_number: match.turnNumber,
            turn_ends_at: match.turnEndsAt,
          }),
        ];
      case "rolled":
        return rolledEvents(effect, usernameOf(effect.userId), room_id);
      case "ended": {
        const winnerId = match.winnerId;
        return [
          out(DiceEvent.gameEnded, {
            room_id,
            winner_id: winnerId,
            winner_username: winnerId ? usernameOf(winnerId) : null,
            final_scores: finalScores(table),
            reason: match.endReason,
          }),
        ];
      }
    }
  });
}

/** `bigger_dice.rolled`, then `bigger_dice.round_result` when the roll completed a round. */
function rolledEvents(effect: Extract<DiceEffect, { type: "rolled" }>, username: string, room_id: string): Outgoing[] {
  const rolled = out(DiceEvent.rolled, {
    room_id,
    player_id: effect.userId,
    player_username: username,
    roll: effect.roll,
    new_score: effect.newScore,
    // Only the server's rolls are marked, so a player's own roll reads as it always has.
    ...(effect.auto ? { auto: true as const } : {}),
  });
  const round = effect.round;
  if (!round) return [rolled];
  return [
    rolled,
    out(DiceEvent.roundResult, {
      room_id,
      player1_id: round.player1Id,
      player1_roll: round.player1Roll,
      player2_id: round.player2Id,
      player2_roll: round.player2Roll,
      winner_id: round.winnerId,
      is_tie: round.isTie,
    }),
  ];
}

/** A player as the seed product's events carry it (`room_joined.player`, `game_started.players`). */
export function wirePlayer(table: DiceTable, userId: string): WirePlayer {
  const player = table.players[userId];
  return {
    user_id: userId,
    username: player?.username ?? "",
    avatar_id: player?.avatarUrl || null,
    score: table.match.scores[userId] ?? 0,
    is_ready: table.match.ready.includes(userId),
  };
}

export function finalScores(table: DiceTable): FinalScores {
  const { match } = table;
  return match.seats.map((id) => [id, table.players[id]?.username ?? "", match.scores[id] ?? 0]);
}

/** Listing metadata for GET /api/rooms/bigger_dice. */
export function metadataOf(table: DiceTable): DiceRoomMetadata {
  return {
    roomName: table.roomName,
    status: table.match.status,
    players: table.match.seats.length,
    spectators: Object.keys(table.spectators).length,
    ...(table.quick ? { quick: true as const } : {}),
  };
}

/** Mirror the table into the schema state. */
export function syncState(state: BiggerDiceState, table: DiceTable): void {
  const { match } = table;
  state.status = match.status;
  state.hostId = table.hostId;
  state.targetScore = match.targetScore;
  state.turnSeconds = match.turnSeconds;
  state.currentTurn = match.currentTurn ?? "";
  state.turnNumber = match.turnNumber;
  state.turnEndsAt = match.turnEndsAt ?? 0;
  state.winnerId = match.winnerId ?? "";
  for (const id of [...state.players.keys()]) if (!table.players[id]) state.players.delete(id);
  for (const [userId, seated] of Object.entries(table.players)) {
    let player = state.players.get(userId);
    if (!player) {
      player = new DicePlayer({ userId, username: seated.username, avatarId: seated.avatarUrl });
      state.players.set(userId, player);
    }
    player.connected = seated.connected;
    player.score = match.scores[userId] ?? 0;
    player.isReady = match.ready.includes(userId);
  }
  for (const id of [...state.spectators.keys()]) if (table.spectators[id] === undefined) state.spectators.delete(id);
  for (const [userId, username] of Object.entries(table.spectators)) {
    if (!state.spectators.has(userId)) state.spectators.set(userId, new DiceSpectator({ username }));
  }
  const round = match.round;
  if (round) {
    state.round.number = round.number;
    state.round.player1Id = round.player1Id;
    state.round.player1Roll = round.player1Roll;
    state.round.player2Id = round.player2Id;
    state.round.player2Roll = round.player2Roll ?? 0;
    state.round.winnerId = round.winnerId ?? "";
    state.round.isTie = round.isTie;
    state.round.complete = round.complete;
  } else if (state.round.number !== 0) {
    state.round = new DiceRound(); // a rematch starts without a round
  }
}
