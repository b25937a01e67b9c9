import { cli, type Options } from "@colyseus/loadtest";
import { ConversationEvent, ConversationMessage } from "@rally/client";
import { api, failure, jitter, logErrors, rally, Rendezvous, signUp, type Session } from "./common";

/**
 * `conversation` bots, in pairs: both register, like each other over REST (the second like
 * makes the match and its conversation), and join the conversation's room. Each then chats
 * like a person: `typing` on, a pause, a `message` (with a clientMessageId), `typing` off,
 * and a `read_receipt` for what the other wrote. One message every 2–8 s per bot.
 *
 *   npx tsx loadtest/conversation.ts --endpoint ws://127.0.0.1:2567 --room conversation --numClients 20
 */

const partners = new Rendezvous<Session>();
const conversations = new Rendezvous<string>();

async function main(options: Options): Promise<void> {
  const session = await signUp(options, { prefix: "chat" });
  const { token, user } = session;
  const pair = Math.floor(options.clientId / 2);
  const first = options.clientId % 2 === 0;

  if (first) {
    partners.put(String(pair), session);
  } else {
    const other = await partners.get(String(pair));
    await api(options, "POST", "/api/v1/matching/likes", { token: other.token, body: { userId: user.id } });
    const match = await api<{ matched: boolean; conversationId?: string }>(options, "POST", "/api/v1/matching/likes", {
      token,
      body: { userId: other.user.id },
    });
    if (!match.matched || !match.conversationId) throw new Error("the mutual like did not make a match");
    conversations.put(String(pair), match.conversationId);
  }
  // The loadtest tool starts bots one after another, and the first of a pair needs the
  // second's like: joining and chatting run in the background.
  void chat(options, session, pair).catch((e: unknown) => console.error(`${user.username}: ${(e as Error).message}`));
}

async function chat(options: Options, session: Session, pair: number): Promise<void> {
  const { user } = session;
  const conversationId = await conversations.get(String(pair), 10 * 60_000);
  const room = await rally(options, session).joinConversation(conversationId);
  logErrors(room, user.username);
  let open = true;
  room.raw.onLeave(() => void (open = false));
  room.on(ConversationEvent.message, ({ message }: { message: { id: number; sender: { id: string } } }) => {
    if (message.sender.id !== user.id) {
      void jitter(200, 1500).then(() => open && room.send(ConversationMessage.readReceipt, { message_id: message.id }));
    }
  });
  for (let n = 1; open; n++) {
    await jitter(2000, 8000);
    if (!open) break;
    room.send(ConversationMessage.typing, { is_typing: true });
    await jitter(300, 1500);
    await room
      .request(ConversationMessage.message, {
        content: `message ${n} from ${user.username}`,
        clientMessageId: `${user.id}-${n}`,
      })
      .catch((e: unknown) => console.warn(`${user.username}: message: ${failure(e)}`));
    room.send(ConversationMessage.typing, { is_typing: false });
  }
}

cli(main);
