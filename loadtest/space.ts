import { cli, type Options } from "@colyseus/loadtest";
import { SpaceMessage } from "@rally/client";
import { api, jitter, logErrors, pick, rally, Rendezvous, signUp, type Session } from "./common";

/**
 * `space` bots, in groups of SPACE_SIZE (default 20): the group's first bot creates a space
 * over REST and invites the others (`POST /metaverse/invites/send`), who accept over REST
 * like the product's client, then everyone joins the space's room and walks around: a MOVE
 * every 100 ms (10 Hz, a step of a few pixels in a direction that changes now and then), an
 * ACTION now and then and a CHAT line every half minute or so.
 *
 *   npx tsx loadtest/space.ts --endpoint ws://127.0.0.1:2567 --room space --numClients 40
 */

const SPACE_SIZE = Number(process.env.SPACE_SIZE ?? 20);
const MOVE_HZ = Number(process.env.MOVE_HZ ?? 10);
const DIRECTIONS = ["up", "down", "left", "right"] as const;
const STEP: Record<(typeof DIRECTIONS)[number], [number, number]> = {
  up: [0, -4],
  down: [0, 4],
  left: [-4, 0],
  right: [4, 0],
};

interface SpaceInfo {
  spaceId: string;
  width: number;
  height: number;
  admin: Session;
}
const spaces = new Rendezvous<SpaceInfo>();

async function main(options: Options): Promise<void> {
  const session = await signUp(options, { prefix: "space" });
  const group = Math.floor(options.clientId / SPACE_SIZE);
  const isAdmin = options.clientId % SPACE_SIZE === 0;

  let space: SpaceInfo;
  if (isAdmin) {
    const created = await api<{ id: string; width: number; height: number }>(options, "POST", "/api/spaces", {
      token: session.token,
      body: { name: `load test ${group}`, capacity: SPACE_SIZE },
    });
    space = { spaceId: created.id, width: created.width ?? 1000, height: created.height ?? 1000, admin: session };
    spaces.put(String(group), space);
  } else {
    space = await spaces.get(String(group));
    // The admin invites (with the admin's token), the invitee accepts (with its own).
    const sent = await api<{ data: { invite: { id: string } } }>(options, "POST", "/metaverse/invites/send", {
      token: space.admin.token,
      body: { toUserId: session.user.id, spaceId: space.spaceId },
    });
    await api(options, "POST", `/metaverse/invites/${sent.data.invite.id}/accept`, { token: session.token });
  }

  let x = Math.floor(Math.random() * space.width);
  let y = Math.floor(Math.random() * space.height);
  let direction: (typeof DIRECTIONS)[number] = pick(DIRECTIONS);
  const room = await rally(options, session).joinSpace(space.spaceId, { x, y, direction });
  logErrors(room, session.user.username);
  let open = true;
  room.raw.onLeave((code) => {
    open = false;
    console.warn(`${session.user.username} left the space (code ${code})`);
  });

  const mover = setInterval(() => {
    if (!open) return clearInterval(mover);
    if (Math.random() < 0.05) direction = pick(DIRECTIONS);
    const [dx, dy] = STEP[direction];
    x = Math.min(space.width, Math.max(0, x + dx));
    y = Math.min(space.height, Math.max(0, y + dy));
    if (x === 0 || y === 0 || x === space.width || y === space.height) direction = pick(DIRECTIONS);
    room.send(SpaceMessage.move, { x, y, direction });
  }, 1000 / MOVE_HZ);

  // The loadtest tool starts bots one after another: the social part runs in the background.
  void (async () => {
    while (open) {
      await jitter(5_000, 40_000);
      if (!open) break;
      if (Math.random() < 0.5) room.send(SpaceMessage.action, { action: pick(["wave", "dance", "sit", ""]) });
      else room.send(SpaceMessage.chat, { text: `hello from ${session.user.username} at ${x},${y}` });
    }
  })();
}

cli(main);
