import { cli, type Options } from "@colyseus/loadtest";
import { TriviaEvent, TriviaMessage, type RallyClient } from "@rally/client";
import { api, jitter, logErrors, pick, rally, Rendezvous, signUp, sleep } from "./common";

/**
 * `trivia` bots, in groups of GROUP_SIZE (default 25) that share an organization: the
 * group's first bot is the host. It creates a session of QUESTIONS questions over REST, and
 * the players join it in two teams. Once they are in (or after 20 s) the host starts; each
 * player answers every question after 1–4 s of thought (right about half the time) and chats
 * a little; when a question closes, the host waits 2 s and moves on. When the session has
 * finished, everyone leaves and the host opens the next session.
 *
 *   npx tsx loadtest/trivia.ts --endpoint ws://127.0.0.1:2567 --room trivia --numClients 50
 */

const GROUP_SIZE = Number(process.env.GROUP_SIZE ?? 25);
const QUESTIONS = Number(process.env.QUESTIONS ?? 5);
const TIME_LIMIT_SEC = Number(process.env.TIME_LIMIT_SEC ?? 8);

/** "group:round" → the session id its host created. */
const sessions = new Rendezvous<string>();
/** group → an invite code to the org its host created (registration cannot claim an org). */
const inviteCodes = new Rendezvous<string>();

async function main(options: Options): Promise<void> {
  const group = Math.floor(options.clientId / GROUP_SIZE);
  const isHost = options.clientId % GROUP_SIZE === 0;
  const orgId = `lt-org-${process.pid}-${group}`;
  const session = isHost
    ? await signUp(options, { prefix: "trivia", orgId })
    : await signUp(options, { prefix: "trivia", inviteCode: await inviteCodes.get(String(group)) });
  const { token, user } = session;
  if (isHost) {
    const { code } = await api<{ code: string }>(options, "POST", `/api/orgs/${orgId}/invite-codes`, {
      token,
      body: {},
    });
    inviteCodes.put(String(group), code);
  }
  const client = rally(options, session);
  const members = Math.min(GROUP_SIZE, options.numClients - group * GROUP_SIZE);
  // The loadtest tool starts bots one after another: the rounds run in the background.
  void (async () => {
    for (let round = 1; ; round++) {
      try {
        if (isHost) await host(options, client, token, `${group}:${round}`, members);
        else await play(client, user.id, `${group}:${round}`, options.clientId % 2 ? "red" : "blue");
      } catch (e) {
        console.warn(`${user.username}: round ${round}: ${(e as Error).message}`);
        await sleep(2000);
      }
    }
  })();
}

async function host(options: Options, client: RallyClient, token: string, key: string, members: number): Promise<void> {
  const questions = Array.from({ length: QUESTIONS }, (_, i) => ({
    text: `Question ${i + 1}: which is the answer?`,
    choices: ["red", "green", "blue", "yellow"],
    answerIndex: i % 4,
    timeLimitSec: TIME_LIMIT_SEC,
  }));
  const created = await api<{ sessionId: string }>(options, "POST", "/api/trivia/sessions", {
    token,
    body: { title: `Load test ${key}`, questions },
  });
  const room = await client.joinTrivia(created.sessionId);
  logErrors(room, `host ${key}`);
  let present = 1;
  room.on(TriviaEvent.userJoined, (e) => void (present = e.participant_count));
  sessions.put(key, created.sessionId);

  const finished = new Promise<void>((resolve) => {
    room.on(TriviaEvent.sessionUpdate, (e) => {
      if (e.data.state === "finished") resolve();
    });
  });
  room.on(TriviaEvent.questionClosed, () => {
    void sleep(2000).then(() => room.send(TriviaMessage.nextQuestion));
  });
  const deadline = Date.now() + 20_000;
  while (present < members && Date.now() < deadline) await sleep(250);
  room.send(TriviaMessage.start);
  await finished;
  sessions.delete(key);
  await room.leave(true).catch(() => undefined);
  await sleep(3000);
}

async function play(client: RallyClient, userId: string, key: string, team: string): Promise<void> {
  const sessionId = await sessions.get(key, 120_000);
  const room = await client.joinTrivia(sessionId, { team });
  logErrors(room, userId);
  room.on(TriviaEvent.questionStarted, ({ data }) => {
    void jitter(1000, Math.min(4000, TIME_LIMIT_SEC * 800)).then(() =>
      room.send(TriviaMessage.answer, {
        questionId: data.question_id,
        choiceIndex: Math.floor(Math.random() * data.choices.length),
      }),
    );
    if (Math.random() < 0.1) room.send(TriviaMessage.chat, { text: pick(["easy!", "no idea", "go team " + team]) });
  });
  await new Promise<void>((resolve) => {
    room.on(TriviaEvent.sessionUpdate, (e) => {
      if (e.data.state === "finished") resolve();
    });
    room.raw.onLeave(() => resolve());
  });
  await room.leave(true).catch(() => undefined);
}

cli(main);
