import { schema, t, type SchemaType } from "@colyseus/schema";

/** A player seat. `avatarId` carries the user's avatar URL ("" when none): users here have URLs, not ids. */
export const DicePlayer = schema(
  {
    userId: t.string(),
    username: t.string(),
    avatarId: t.string().default(""),
    score: t.number().default(0),
    isReady: t.boolean().default(false),
    connected: t.boolean().default(true),
  },
  "DicePlayer",
);
export type DicePlayer = SchemaType<typeof DicePlayer>;

export const DiceSpectator = schema({ username: t.string() }, "DiceSpectator");
export type DiceSpectator = SchemaType<typeof DiceSpectator>;

/**
 * The round in play or the last one played (`number` 0: none yet). player1 rolled first in
 * it; `player2Roll` is 0 and `complete` false until the second roll settles it.
 */
export const DiceRound = schema(
  {
    number: t.number().default(0),
    player1Id: t.string().default(""),
    player1Roll: t.number().default(0),
    player2Id: t.string().default(""),
    player2Roll: t.number().default(0),
    winnerId: t.string().default(""),
    isTie: t.boolean().default(false),
    complete: t.boolean().default(false),
  },
  "DiceRound",
);
export type DiceRound = SchemaType<typeof DiceRound>;

/** docs/PROTOCOL.md §3 `bigger_dice`. Empty strings stand for "none" (currentTurn, winnerId, hostId). */
export const BiggerDiceState = schema(
  {
    roomName: t.string(),
    gameType: t.string().default("bigger_dice"),
    status: t.string().default("waiting"),
    hostId: t.string().default(""),
    players: t.map(DicePlayer),
    spectators: t.map(DiceSpectator),
    currentTurn: t.string().default(""),
    turnNumber: t.number().default(0),
    /** When the current turn runs out (server epoch ms; 0: no clock running, e.g. the player is away). */
    turnEndsAt: t.number().default(0),
    turnSeconds: t.number().default(0),
    round: DiceRound,
    winnerId: t.string().default(""),
    targetScore: t.number(),
  },
  "BiggerDiceState",
);
export type BiggerDiceState = SchemaType<typeof BiggerDiceState>;
