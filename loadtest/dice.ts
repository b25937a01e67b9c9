import { cli, type Options } from "@colyseus/loadtest";
import type { Client } from "@colyseus/sdk";
import { failure, ignoreOthers, jitter, logErrors, playDice, Rendezvous, sdk, signUp } from "./common";

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
  const { token, user } = await signUp(options, { prefix: "dice" });
  const client = sdk(options, token);
  const pair = Math.floor(options.clientId / 2);
  const isHost = options.clientId % 2 === 0;
  const spectator = isHost && options.clientId === options.numClients - 1;
  // The loadtest tool starts bots one after another: each plays in the background.
  void (spectator ? spectate(client) : play(client, user, pair, isHost)).catch((e) =>
    console.error(`${user.username}: ${failure(e)}`),
  );
}

async function play(
  client: Client,
  user: { id: string; username: string },
  pair: number,
  isHost: boolean,
): Promise<void> {
  for (let game = 1; ; game++) {
    const key = `${pair}:${game}`;
    const roomName = `lt-${process.pid}-${key}`;
    const room = isHost
      ? await client.create("bigger_dice", { roomName, targetScore: TARGET_SCORE })
      : await client.join("bigger_dice", { roomName: await roomNames.get(key) });
    if (isHost) roomNames.put(key, roomName);
    logErrors(room, user.username);
    ignoreOthers(room);
    const winner = await playDice(room, user.id);
    if (winner === user.id) console.log(`${user.username} won game ${game}`);
    room.onLeave.clear();
    await room.leave(true).catch(() => undefined);
    roomNames.delete(key);
    await jitter(500, 2000);
  }
}

async function spectate(client: Client): Promise<void> {
  for (let game = 1; ; game++) {
    // A game that ended before the spectator got to it is skipped.
    const roomName = await roomNames.get(`0:${game}`, 30_000).catch(() => null);
    if (!roomName) continue;
    const room = await client.join("bigger_dice", { roomName, spectate: true }).catch(() => null);
    if (!room) continue;
    ignoreOthers(room);
    await new Promise<void>((resolve) => {
      room.onMessage("game_ended", () => resolve());
      room.onLeave(() => resolve());
    });
    await room.leave(true).catch(() => undefined);
  }
}

cli(main);
