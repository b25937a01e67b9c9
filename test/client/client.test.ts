import assert from "node:assert/strict";
import {
  connect,
  ConversationEvent,
  ConversationMessage,
  LobbyEvent,
  LobbyMessage,
  type ConversationRecovery,
  type LobbyRecovery,
  type RallyClient,
} from "../../client/src";
import { BASE_URL, ctx } from "../helpers/server";
import { befriend, createUser, type TestUser } from "../helpers/users";
import { sleep, until } from "../helpers/room";
import { dropHeld, setConfig, type Seat } from "../reliability/support/world";

/**
 * @rally/client against the real server: seq-gap recovery (conversation `sync`, lobby re-read),
 * idempotent sends retried across a drop, and the in-band token refresh.
 */
const clients: RallyClient[] = [];
function client(user: TestUser, refresh: () => Promise<string> = () => Promise.resolve(user.token)): RallyClient {
  const c = connect(BASE_URL, { getToken: () => user.token, refresh });
  clients.push(c);
  return c;
}
const drop = (room: { raw: unknown }) => dropHeld({ room: room.raw } as Seat);

describe("@rally/client", () => {
  let restore: (() => void) | undefined;
  afterEach(async () => {
    restore?.();
    restore = undefined;
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it("conversation: after events_lost it syncs from the last message seen, and tells the app every missed message", async () => {
    restore = setConfig({ EVENT_BUFFER_SIZE: 3 });
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
    const a = await client(alice).joinConversation(conversation.id);
    const b = await client(bob).joinConversation(conversation.id);
    const seen: number[] = [];
    b.on(ConversationEvent.message, (e) => seen.push(e.seq));
    const first = await a.request(ConversationMessage.message, { content: "seen by both" });
    await until(() => seen.length === 1, 4000, "bob sees the first message");

    const recovered = new Promise<ConversationRecovery>((resolve) => b.onRecovered(resolve));
    const held = await drop(b);
    const sent = [];
    for (let i = 0; i < 8; i++) sent.push(await a.request(ConversationMessage.message, { content: `while away ${i}` }));
    await held.release();
    const recovery = await recovered;

    assert.equal(recovery.reason, "events_lost");
    assert.ok(recovery.missed > 0, "the server's count of lost events");
    assert.deepEqual(
      recovery.messages.map((m) => m.id),
      sent.map((m) => m.id),
      "sync recovers every message after the first, in order",
    );
    assert.ok(recovery.messages.every((m) => m.id > first.id));
    assert.ok(
      sent.every((m) => typeof m.client_message_id === "string"),
      "the client made a clientMessageId",
    );
  });

  it("conversation: a message requested while the connection is down is sent after the reconnect, and stored once", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { conversation } = await ctx().services.conversations.openDirect(alice.id, bob.id);
    const b = await client(bob).joinConversation(conversation.id);
    const held = await drop(b);
    assert.equal(b.dropped, true);
    const reply = b.request(ConversationMessage.message, { content: "sent while offline" });
    await sleep(200);
    await held.release();
    const stored = await reply;
    assert.equal(stored.content, "sent while offline");
    assert.ok(stored.client_message_id, "sent with a generated clientMessageId");
    // Sent again with the same id, the server answers the stored message: no second copy.
    const again = await b.request(ConversationMessage.message, {
      content: "sent while offline",
      clientMessageId: stored.client_message_id,
    });
    assert.equal(again.id, stored.id);
    const page = await ctx().services.messages.since(conversation.id, bob.id, 0, 100);
    assert.equal(page.messages.filter((m) => m.content === "sent while offline").length, 1);
  });

  it("lobby: after events_lost it re-reads the unread notifications and the pending invitations", async () => {
    restore = setConfig({ EVENT_BUFFER_SIZE: 1 });
    const [alice, bob] = [await createUser(), await createUser()];
    await befriend(alice, bob);
    const bobLobby = await client(bob).joinLobby();
    const aliceLobby = await client(alice).joinLobby();
    await until(() => aliceLobby.state.friends?.get(bob.id)?.online === true, 4000, "bob online for alice");

    const recovered = new Promise<LobbyRecovery>((resolve) => bobLobby.onRecovered(resolve));
    const invitations: string[] = [];
    bobLobby.on(LobbyEvent.invitationReceived, (e) => invitations.push(e.invitationId));
    const held = await drop(bobLobby);
    const { invitationId } = await aliceLobby.request(LobbyMessage.sendInvitation, { toUserId: bob.id, map: "dunes" });
    await held.release();
    const recovery = await recovered;

    assert.equal(recovery.reason, "events_lost");
    assert.ok(
      recovery.invitations.some((i) => i.id === invitationId && i.direction === "received"),
      "the pending invitation, from the state",
    );
    assert.ok(recovery.notifications.length >= 1, "the unread notifications, over REST");
    assert.ok(recovery.notifications.every((n) => n.status === "unread"));
  });

  it("refreshes the token before it expires and hands it to every joined room in-band: the seat outlives the first token", async () => {
    const user = await createUser();
    let refreshes = 0;
    const shortLived = { ...user, token: ctx().tokens.sign(user, 3) };
    const c = client(shortLived, () => {
      refreshes++;
      shortLived.token = ctx().tokens.sign(user, 60);
      return Promise.resolve(shortLived.token);
    });
    const lobby = await c.joinLobby();
    let closed: number | null = null;
    lobby.raw.onLeave((code) => (closed = code));
    await sleep(4500); // past the first token's expiry (a seat not refreshed is closed with 4401)
    assert.ok(refreshes >= 1, "the app's refresh was called");
    assert.equal(closed, null, "the seat is still open");
    const reply = await lobby.request(LobbyMessage.readNotifications, { ids: [crypto.randomUUID()] }).catch((e) => e);
    assert.equal(reply.code, "NOT_FOUND", "the room still answers this seat");
  });
});
