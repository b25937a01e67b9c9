/**
 * Conversations: like someone (a mutual like is a match, announced in the lobby), then chat
 * live with typing indicators and read ticks; older history pages in as you scroll up.
 */
import { ConversationEvent, ConversationMessage, type ConversationRoom } from "@rally/client";
import type {
  ChatMessage,
  MessagePayload,
  ReadReceiptPayload,
  TypingPayload,
} from "../../src/systems/conversation/protocol";
import type { ConversationSummary } from "../../src/systems/conversation/conversationLists";
import type { MessagePage } from "../../src/systems/conversation/messages";
import type { Friend } from "../../src/systems/social/friendships";
import type { LikeResult, RecentMatch } from "../../src/systems/conversation/matching";
import type { ReportReason } from "../../src/systems/social/protocol";

/** Typed by the server's reason list, so a reason added there breaks this build until it has words here. */
const REPORT_LABELS: Record<ReportReason, string> = {
  spam: "Spam",
  harassment: "Harassment",
  hate: "Hate",
  sexual_content: "Sexual content",
  scam: "Scam",
  impersonation: "Impersonation",
  underage: "Underage",
  self_harm: "Self-harm",
  other: "Something else",
};
import { api, ApiError, enc, list } from "./api";
import * as lobby from "./lobby";
import { leave, watchRoom } from "./rooms";
import { me, rally } from "./session";
import { actionButton, avatar, banner, fill, form, h, inputValue, showError, time, toast } from "./ui";

const PAGE_SIZE = 20;
/** Send `typing: true` at most this often while keys are pressed; `false` after this much quiet. */
const TYPING_REFRESH_MS = 2000;
const TYPING_IDLE_MS = 2500;

let room: ConversationRoom | null = null;
let current: ConversationSummary | null = null;
/** Messages shown, by id, oldest first in `order`. */
const messages = new Map<number, ChatMessage>();
let order: number[] = [];
/** Messages I sent that the server has not confirmed yet, by client id. */
const pending = new Map<string, HTMLElement>();
let nextCursor: number | null = null;
let loadingOlder = false;
/** The newest message from someone else that I have told the server I read. */
let lastReceiptSent = 0;
/** The other participants' read positions (from state and read_receipt events). */
let othersReadUpTo = 0;
let typingSentAt = 0;
let typingIdle: number | undefined;
const typingNow = new Map<string, string>();

const els = {
  conversations: h("ul", { class: "list", id: "conversation-list", testid: "conversation-list" }),
  matches: h("ul", { class: "list", id: "match-list", testid: "match-list" }),
  chat: h("div", { class: "card chat hidden", id: "chat-view", testid: "chat-view" }),
  placeholder: h("div", {
    class: "card muted",
    id: "chat-placeholder",
    text: "Pick a conversation, or like someone to start one.",
  }),
  banner: h("div", { class: "banner hidden", testid: "chat-banner" }),
  peer: h("div", { class: "row", id: "chat-peer", testid: "chat-peer" }),
  older: h("button", { type: "button", class: "link", testid: "chat-load-older", text: "Load older messages" }),
  list: h("div", { class: "messages", id: "chat-messages", testid: "chat-messages" }),
  typing: h("div", { class: "typing", id: "chat-typing", testid: "chat-typing" }),
  report: h("form", { class: "report-form hidden", id: "report-form", testid: "report-form" }),
  input: h("input", {
    id: "chat-input",
    testid: "chat-input",
    class: "grow",
    placeholder: "Write a message…",
    attrs: { maxlength: 2000, autocomplete: "off" },
  }),
};

export function mount(): HTMLElement {
  const like = form(
    { class: "row", id: "like-form" },
    async (f) => {
      const username = inputValue(f, "#like-username");
      if (!username) return;
      const userId = await resolveUserId(username);
      const result = await api<LikeResult>("POST", "/api/v1/matching/likes", { userId });
      if (result.matched) {
        // The lobby announces the match (new_match); here we just open the conversation.
        await refresh();
        await open(result.conversationId);
      } else {
        toast("success", `You liked ${username}`, { detail: "If they like you back, it's a match." });
      }
      (f.querySelector("#like-username") as HTMLInputElement).value = "";
    },
    h("input", {
      id: "like-username",
      testid: "like-username",
      class: "grow",
      placeholder: "Like someone by username",
    }),
    h("button", { type: "submit", class: "primary", testid: "like-send", text: "❤ Like" }),
  );

  const send = form(
    { class: "row", id: "chat-form", attrs: { style: "margin-top:8px" } },
    () => sendMessage(),
    els.input,
    h("button", { type: "submit", class: "primary", testid: "chat-send", text: "Send" }),
  );
  els.input.addEventListener("input", onTyping);
  els.older.addEventListener("click", () => void loadOlder());
  els.list.addEventListener("scroll", () => {
    if (els.list.scrollTop < 40) void loadOlder();
  });
  document.addEventListener("visibilitychange", () => sendReadReceipt());
  mountReportForm();

  els.chat.append(
    els.banner,
    h(
      "div",
      { class: "row", attrs: { style: "border-bottom:1px solid var(--line);padding-bottom:10px" } },
      els.peer,
      h("div", { class: "spacer" }),
      actionButton("Report", () => els.report.classList.toggle("hidden"), { class: "link", testid: "chat-report" }),
      actionButton("Unmatch", () => unmatch(), { class: "link danger", testid: "chat-unmatch" }),
      actionButton("Close", () => close(), { class: "link", testid: "chat-close" }),
    ),
    els.report,
    h("div", { attrs: { style: "text-align:center" } }, els.older),
    els.list,
    els.typing,
    send,
  );

  return h(
    "div",
    { class: "grid two" },
    h(
      "div",
      { class: "stack" },
      h(
        "div",
        { class: "card" },
        h("h2", { text: "Meet people" }),
        like,
        h("p", {
          class: "muted small",
          text: "You can like your friends by username. A like back makes a match and opens a conversation.",
        }),
      ),
      h("div", { class: "card" }, h("h2", { text: "Conversations" }), els.conversations),
      h("div", { class: "card" }, h("h2", { text: "Matches" }), els.matches),
    ),
    h("div", {}, els.chat, els.placeholder),
  );
}

/** The report form: a reason from the server's list and an optional note; the latest message from them is the evidence. */
function mountReportForm(): void {
  const reason = h(
    "select",
    { id: "report-reason", testid: "report-reason" },
    ...Object.entries(REPORT_LABELS).map(([value, text]) => h("option", { value, text })),
  );
  const note = h("input", {
    id: "report-note",
    testid: "report-note",
    class: "grow",
    placeholder: "What happened? (optional)",
    attrs: { maxlength: 1000 },
  });
  els.report.append(
    reason,
    note,
    h("button", { type: "submit", class: "primary", testid: "report-submit", text: "Send report" }),
  );
  els.report.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void (async () => {
      const conversation = current;
      const peer = conversation && peerOf(conversation);
      if (!conversation || !peer) return;
      const theirs = order.map((id) => messages.get(id)!).filter((m) => m.sender.id === peer.id);
      const last = theirs[theirs.length - 1];
      await api("POST", "/api/reports", {
        userId: peer.id,
        reason: reason.value,
        conversationId: conversation.id,
        ...(last ? { messageId: last.id } : {}),
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
      });
      note.value = "";
      els.report.classList.add("hidden");
      toast("success", `Thanks — your report about ${peer.username} was sent`, { testid: "toast-reported" });
    })().catch((e) => showError(e, "sending the report"));
  });
}

/** End the match (either side may): the conversation closes for both. */
async function unmatch(): Promise<void> {
  const conversation = current;
  if (!conversation?.match_id) {
    showError(new Error("This conversation has no match to end"));
    return;
  }
  await api("DELETE", `/api/v1/matching/matches/${enc(conversation.match_id)}`);
  // The room answers with match_removed and closes the seat; the toast comes from there.
}

export function shown(): void {
  void refresh();
}

export async function stop(): Promise<void> {
  await close();
}

/**
 * A user's id from their username: among the people the app already knows (friends, from
 * the lobby's live list or GET /api/friends, and matches), then by the server's lookup
 * route `GET /api/users/by-username/:username` where the server has it.
 */
async function resolveUserId(username: string): Promise<string> {
  const wanted = username.toLowerCase();
  const live = lobby.friends().find((f) => f.username.toLowerCase() === wanted);
  if (live) return live.id;
  const friends = await list<Friend>("/api/friends");
  const friend = friends.find((f) => f.user.username.toLowerCase() === wanted);
  if (friend) return friend.user.id;
  const matches = await list<RecentMatch>("/api/v1/matching/recent-matches");
  const match = matches.find((m) => m.user.username.toLowerCase() === wanted);
  if (match) return match.user.id;
  try {
    return (await api<{ id: string }>("GET", `/api/users/by-username/${enc(username)}`)).id;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new Error(`We could not find ${username} — check the spelling, or add them as a friend first (Lobby tab).`);
    }
    throw e;
  }
}

/** Reload the conversation and match lists (also on `new_match`). */
export async function refresh(): Promise<void> {
  try {
    const [conversations, matches] = await Promise.all([
      list<ConversationSummary>("/api/v1/conversations"),
      list<RecentMatch>("/api/v1/matching/recent-matches"),
    ]);
    renderConversations(conversations);
    renderMatches(matches);
  } catch (e) {
    showError(e, "loading conversations");
  }
}

const peerOf = (c: ConversationSummary) => c.participants.find((p) => p.id !== me().id) ?? c.participants[0];

function renderConversations(items: ConversationSummary[]): void {
  if (items.length === 0) {
    fill(els.conversations, h("li", { class: "empty", text: "No conversations yet." }));
    return;
  }
  fill(
    els.conversations,
    ...items.map((c) => {
      const peer = peerOf(c);
      return h(
        "li",
        {
          class: `conv${current?.id === c.id ? " active" : ""}`,
          testid: `conversation-${peer?.username ?? c.id}`,
          on: { click: () => void open(c.id) },
        },
        avatar(peer?.username ?? "?"),
        h(
          "div",
          { class: "who" },
          h("b", { text: peer?.username ?? "conversation" }),
          h("div", {
            class: "muted small",
            text: c.last_message ? c.last_message.content.slice(0, 60) : "No messages yet",
          }),
        ),
        c.unread_count > 0
          ? h("span", { class: "pill bad", text: String(c.unread_count), testid: "conversation-unread" })
          : null,
      );
    }),
  );
}

function renderMatches(items: RecentMatch[]): void {
  if (items.length === 0) {
    fill(els.matches, h("li", { class: "empty", text: "No matches yet." }));
    return;
  }
  fill(
    els.matches,
    ...items.map((m) =>
      h(
        "li",
        { testid: `match-${m.user.username}` },
        avatar(m.user.username),
        h(
          "span",
          { class: "who" },
          h("b", { text: m.user.username }),
          h("div", { class: "muted small", text: `matched ${new Date(m.created_at).toLocaleString()}` }),
        ),
        m.conversation_id
          ? actionButton("Chat", () => open(m.conversation_id!), {
              class: "primary",
              testid: `match-chat-${m.user.username}`,
            })
          : null,
      ),
    ),
  );
}

/** Open a conversation: its newest page of history, then the live room. */
export async function open(conversationId: string): Promise<void> {
  if (current?.id === conversationId && room) return;
  await close();
  let summary: ConversationSummary | undefined;
  let page: MessagePage;
  try {
    const all = await list<ConversationSummary>("/api/v1/conversations");
    summary = all.find((c) => c.id === conversationId);
    renderConversations(all);
    page = await api<MessagePage>("GET", `/api/v1/conversations/${enc(conversationId)}/messages?limit=${PAGE_SIZE}`);
  } catch (e) {
    showError(e, "opening the conversation");
    return;
  }
  if (!summary) {
    showError(new Error("That conversation is not yours"));
    return;
  }
  current = summary;
  messages.clear();
  order = [];
  pending.clear();
  typingNow.clear();
  lastReceiptSent = 0;
  othersReadUpTo = 0;
  fill(els.list);
  nextCursor = page.nextCursor;
  addMessages(page.items);
  renderPeer(false);
  els.placeholder.classList.add("hidden");
  els.chat.classList.remove("hidden");
  renderOlderButton();
  scrollToBottom();
  renderConversations([...(await list<ConversationSummary>("/api/v1/conversations").catch(() => [summary]))]);

  let joined: ConversationRoom;
  try {
    // A recovery (after lost events) syncs from the newest message shown.
    joined = await rally().joinConversation(conversationId, { lastMessageId: order[order.length - 1] });
  } catch (e) {
    showError(e, "connecting to the conversation");
    return;
  }
  if (current?.id !== conversationId) {
    await leave(joined);
    return;
  }
  room = joined;
  watchRoom(joined, {
    label: "the conversation",
    banner: els.banner,
    onGone: () => {
      if (room === joined) room = null;
    },
  });
  joined.raw.onStateChange(() => {
    joined.state.participants?.forEach((p) => {
      if (p.userId === me().id) return;
      othersReadUpTo = Math.max(othersReadUpTo, p.lastReadMessageId);
      renderPeer(p.online);
    });
    renderTicks();
  });
  joined.on(ConversationEvent.message, (e) => {
    addMessages([e.message]);
    if (e.message.sender.id !== me().id) {
      typingNow.delete(e.message.sender.id);
      renderTyping();
    }
    scrollToBottom();
    sendReadReceipt();
  });
  joined.on(ConversationEvent.typing, (e) => {
    if (e.is_typing) typingNow.set(e.user_id, e.username);
    else typingNow.delete(e.user_id);
    renderTyping();
  });
  joined.on(ConversationEvent.readReceipt, (e) => {
    if (e.user_id === me().id) return;
    othersReadUpTo = Math.max(othersReadUpTo, e.message_id);
    renderTicks();
  });
  joined.on(ConversationEvent.userStatus, (e) => {
    if (e.user_id !== me().id) renderPeer(e.status === "online");
  });
  joined.on(ConversationEvent.matchRemoved, () => {
    const peer = current && peerOf(current);
    toast("warn", `The match with ${peer?.username ?? "them"} has ended`, { testid: "toast-match-removed" });
    void close().then(() => refresh());
  });
  joined.onRecovered(({ messages }) => {
    addMessages(messages);
    scrollToBottom();
  });
  sendReadReceipt();
  els.input.focus();
}

async function close(): Promise<void> {
  const leaving = room;
  room = null;
  current = null;
  window.clearTimeout(typingIdle);
  await leave(leaving);
  banner(els.banner, null);
  els.chat.classList.add("hidden");
  els.placeholder.classList.remove("hidden");
}

async function loadOlder(): Promise<void> {
  if (!current || nextCursor === null || loadingOlder) return;
  loadingOlder = true;
  const before = els.list.scrollHeight;
  try {
    const page = await api<MessagePage>(
      "GET",
      `/api/v1/conversations/${enc(current.id)}/messages?limit=${PAGE_SIZE}&before=${nextCursor}`,
    );
    nextCursor = page.nextCursor;
    addMessages(page.items);
    // Keep the view where it was: the older messages appear above.
    els.list.scrollTop += els.list.scrollHeight - before;
  } catch (e) {
    showError(e, "loading older messages");
  } finally {
    loadingOlder = false;
    renderOlderButton();
  }
}

function renderOlderButton(): void {
  els.older.classList.toggle("hidden", nextCursor === null);
}

async function sendMessage(): Promise<void> {
  const content = els.input.value.trim();
  if (!content || !current) return;
  if (!room) throw new Error("Not connected to the conversation yet — try again in a moment");
  const clientMessageId = crypto.randomUUID();
  const bubble = h(
    "div",
    { class: "bubble mine", testid: "chat-message-pending" },
    content,
    h("div", { class: "meta", text: "sending…" }),
  );
  pending.set(clientMessageId, bubble);
  els.list.appendChild(bubble);
  scrollToBottom();
  els.input.value = "";
  stopTyping();
  const payload: MessagePayload = { content, clientMessageId };
  try {
    const stored = await room.request(ConversationMessage.message, payload);
    addMessages([stored]);
  } catch (e) {
    bubble.querySelector(".meta")!.textContent = "not sent";
    bubble.classList.add("failed");
    els.input.value = content;
    throw e;
  }
}

function onTyping(): void {
  if (!room) return;
  const now = Date.now();
  if (now - typingSentAt > TYPING_REFRESH_MS) {
    typingSentAt = now;
    const payload: TypingPayload = { is_typing: true };
    room.send(ConversationMessage.typing, payload);
  }
  window.clearTimeout(typingIdle);
  typingIdle = window.setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping(): void {
  window.clearTimeout(typingIdle);
  if (!room || typingSentAt === 0) return;
  typingSentAt = 0;
  const payload: TypingPayload = { is_typing: false };
  room.send(ConversationMessage.typing, payload);
}

/** Tell the server I read the newest message from someone else (when this tab is visible). */
function sendReadReceipt(): void {
  if (!room || document.visibilityState !== "visible" || els.chat.classList.contains("hidden")) return;
  const newestFromOthers = [...order].reverse().find((id) => messages.get(id)!.sender.id !== me().id);
  if (!newestFromOthers || newestFromOthers <= lastReceiptSent) return;
  lastReceiptSent = newestFromOthers;
  const payload: ReadReceiptPayload = { message_id: newestFromOthers };
  room.request(ConversationMessage.readReceipt, payload).then(
    () => void refresh(),
    (e) => {
      lastReceiptSent = 0;
      showError(e, "marking messages read");
    },
  );
}

/** Insert messages (any order, duplicates ignored) and redraw. */
function addMessages(batch: ChatMessage[]): void {
  let changed = false;
  for (const m of batch) {
    if (m.client_message_id) {
      pending.get(m.client_message_id)?.remove();
      pending.delete(m.client_message_id);
    }
    const known = messages.get(m.id);
    if (known && known.is_read === m.is_read) continue;
    messages.set(m.id, m);
    changed = true;
  }
  if (!changed) return;
  order = [...messages.keys()].sort((a, b) => a - b);
  const myId = me().id;
  const bubbles = order.map((id) => {
    const m = messages.get(id)!;
    const mine = m.sender.id === myId;
    return h(
      "div",
      {
        class: `bubble${mine ? " mine" : ""}`,
        testid: "chat-message",
        attrs: { "data-id": m.id, "data-mine": String(mine) },
      },
      h("div", { text: m.content }),
      h("div", { class: "meta" }, mine ? "" : `${m.sender.username} · `, time(m.created_at), mine ? tick(m) : null),
    );
  });
  fill(els.list, ...bubbles, ...pending.values());
}

function tick(m: ChatMessage): HTMLElement {
  const read = m.is_read || m.id <= othersReadUpTo;
  return h("span", {
    class: `tick${read ? " read" : ""}`,
    testid: "msg-tick",
    title: read ? "read" : "sent",
    attrs: { "data-read": String(read) },
    text: read ? "✓✓ read" : "✓ sent",
  });
}

function renderTicks(): void {
  for (const el of els.list.querySelectorAll<HTMLElement>(".bubble.mine[data-id]")) {
    const m = messages.get(Number(el.dataset.id));
    const old = el.querySelector("[data-testid=msg-tick]");
    if (m && old) old.replaceWith(tick(m));
  }
}

function renderTyping(): void {
  const names = [...typingNow.values()];
  els.typing.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

function renderPeer(online: boolean): void {
  if (!current) return;
  const peer = peerOf(current);
  fill(
    els.peer,
    avatar(peer?.username ?? "?"),
    h("b", { text: peer?.username ?? "conversation", testid: "chat-peer-name" }),
    h("span", {
      class: `dot${online ? " online" : ""}`,
      testid: "chat-peer-online",
      attrs: { "data-online": String(online) },
    }),
    h("span", { class: "muted small", text: online ? "online" : "offline" }),
  );
}

function scrollToBottom(): void {
  els.list.scrollTop = els.list.scrollHeight;
}
