import { cli, type Options } from "@colyseus/loadtest";
import { LobbyEvent, LobbyMessage, type LobbyRoom } from "@rally/client";
import { api, failure, jitter, logErrors, pick, playDice, rally, Rendezvous, signUp, type Session } from "./common";

/**
 * `user_lobby` bots, in pairs of friends: the odd bot of a pair sends a friend request to the
 * even one over REST, which accepts it; both sit in their lobby. Every 10–30 s (INVITE_EVERY_SEC) the even bot
 * invites its friend to a dice game (`game_invitation:send`); the friend accepts most
 * invitations and declines some. An accepted invitation brings `game_ready` to both, and
 * they play the game in the private `bigger_dice` room, then return to waiting. Unread
 * notifications are marked read now and then.
 *
 *   npx tsx loadtest/lobby.ts --endpoint ws://127.0.0.1:2567 --room user_lobby --numClients 20
 */

const sessions = new Rendezvous<Session>();
/** Seconds between a pair's invitations, "min-max" (INVITE_EVERY_SEC; the smoke run in CI shortens it). */
const [INVITE_MIN_SEC, INVITE_MAX_SEC] = (process.env.INVITE_EVERY_SEC ?? "10-30").split("-").map(Number) as [
  number,
  number,
];

async function main(options: Options): Promise<void> {
  const session = await signUp(options, { prefix: "lobby" });
  const { token, user } = session;
  const pair = Math.floor(options.clientId / 2);
  const isInviter = options.clientId % 2 === 0;
  const client = rally(options, session);

  if (isInviter) {
    sessions.put(String(pair), session);
  } else {
    // Become friends with the pair's inviter: request from here, accept there.
    const inviter = await sessions.get(String(pair));
    const request = await api<{ id: string }>(options, "POST", "/api/friends/requests", {
      token,
      body: { username: inviter.user.username },
    });
    await api(options, "POST", `/api/friends/requests/${request.id}/accept`, { token: inviter.token });
    sessions.put(`${pair}:friend`, session);
  }

  const lobby = await client.joinLobby();
  logErrors(lobby, user.username);

  // Both handlers catch their own failures (logged), so they run in the background.
  const playReadyGame = async ({ roomId }: { roomId: string }) => {
    try {
      const game = await client.joinDice({ roomId });
      await playDice(game, user.id);
      game.raw.onLeave.clear();
      await game.leave(true);
    } catch (e) {
      console.warn(`${user.username}: game ${roomId}: ${(e as Error).message}`);
    }
  };
  lobby.on(LobbyEvent.gameReady, (event) => void playReadyGame(event));

  if (!isInviter) {
    const answerInvitation = async ({ invitationId }: { invitationId: string }) => {
      await jitter(500, 3000);
      const answer = Math.random() < 0.8 ? LobbyMessage.acceptInvitation : LobbyMessage.declineInvitation;
      await lobby
        .request(answer, { invitationId })
        .catch((e: unknown) => console.warn(`${user.username}: ${answer}: ${failure(e)}`));
    };
    lobby.on(LobbyEvent.invitationReceived, (event) => void answerInvitation(event));
  }

  // The loadtest tool starts bots one after another: the rest runs in the background.
  void lifeInTheLobby(options, lobby, session, pair, isInviter);
}

/** Refusals an honest inviter meets: the friend has not answered the last one yet, went away, or the budget is spent. */
const EXPECTED_INVITE_REFUSALS = new Set(["DUPLICATE_INVITATION", "USER_OFFLINE", "RATE_LIMITED"]);

async function lifeInTheLobby(
  options: Options,
  lobby: LobbyRoom,
  session: Session,
  pair: number,
  isInviter: boolean,
): Promise<void> {
  const friend = isInviter ? await sessions.get(`${pair}:friend`, 10 * 60_000).catch(() => null) : null;
  let open = true;
  lobby.raw.onLeave(() => void (open = false));
  while (open) {
    await jitter(INVITE_MIN_SEC * 1000, INVITE_MAX_SEC * 1000);
    if (!open) break;
    if (friend) {
      await lobby
        .request(LobbyMessage.sendInvitation, { toUserId: friend.user.id, map: pick(["classic", "desert", "forest"]) })
        .catch((e: unknown) => {
          // The protocol's own answers to a send that came too soon are part of lobby life, not faults.
          if (!EXPECTED_INVITE_REFUSALS.has(failure(e)))
            console.warn(`${session.user.username}: invite: ${failure(e)}`);
        });
    }
    if (Math.random() < 0.3) {
      const unread = await api<{ items: Array<{ id: string }> }>(options, "GET", "/api/notifications?status=unread", {
        token: session.token,
      });
      const ids = unread.items.slice(0, 100).map((n) => n.id);
      if (ids.length) lobby.send(LobbyMessage.readNotifications, { ids });
    }
  }
}

cli(main);
