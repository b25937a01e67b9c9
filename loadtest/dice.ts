import { cli, type Options } from "@colyseus/loadtest";
import { DiceEvent, type RallyClient } from "@rally/client";
import { failure, jitter, logErrors, playDice, rally, Rendezvous, signUp } from "./common";

/**
 * `bigger_dice` bots, in pairs: the even bot of a pair creates a room with a fresh name (a
 * low targetScore so games end quickly), the odd bot joins it by name; both get ready and
 * roll on their turn after a short pause, until `game_ended`. Then both leave and the pair
 * starts another game. With an odd number of bots, the last one spectates pair 0's games.
 *
 *   npx tsx loadtest/dice.ts --endpoint ws://127.0.0.1:2567 --room bigger_dice --numClients 20
 */

const TARGET_SCORE = Number(process.env.TARGET_SCORE ?? 3);
/** "pair:game" → the room name its host created. */
const roomNames = new Rendezvous<string>();

async function main(options: Options): Promise<void> {
  const session = await signUp(options, { prefix: "dice" });
  const { user } = session;
  const client = rally(options, session);
  const pair = Math.floor(options.clientId / 2);
  const isHost = options.clientId % 2 === 0;
  const spectator = isHost && options.clientId === options.numClients - 1;
  // The loadtest tool starts bots one after another: each plays in the background.
  void (spectator ? spectate(client) : play(client, user, pair, isHost)).catch((e) =>
    console.error(`${user.username}: ${failure(e)}`),
  );
}

async function play(
  client: RallyClient,
  user: { id: string; username: string },
  pair: number,
  isHost: boolean,
): Promise<void> {
  for (let game = 1; ; game++) {
    const key = `${pair}:${game}`;
    const roomName = `lt-${process.pid}-${key}`;
    const room = isHost
      ? await client.joinDice({ create: { roomName, targetScore: TARGET_SCORE } })
      : await client.joinDice({ roomName: await roomNames.get(key) });
    if (isHost) roomNames.put(key, roomName);
    logErrors(room, user.username);
    const winner = await playDice(room, user.id);
    if (winner === user.id) console.log(`${user.username} won game ${game}`);
    room.raw.onLeave.clear();
    await room.leave(true).catch(() => undefined);
    roomNames.delete(key);
    await jitter(500, 2000);
  }
}

async function spectate(client: RallyClient): Promise<void> {
  for (let game = 1; ; game++) {
    // A game that ended before the spectator got to it is skipped.
    const roomName = await roomNames.get(`0:${game}`, 30_000).catch(() => null);
    if (!roomName) continue;
    const room = await client.joinDice({ roomName, spectate: true }).catch(() => null);
    if (!room) continue;
    await new Promise<void>((resolve) => {
      room.on(DiceEvent.gameEnded, () => resolve());
      room.raw.onLeave(() => resolve());
    });
    await room.leave(true);
  }
}

cli(main);
