/**
 * The rally browser demo: sign in, then one tab per system (lobby, Bigger Dice, spaces,
 * trivia, chat). The user_lobby connection lives for the whole signed-in session and feeds
 * the other screens (game_ready → dice, INVITE_RECEIVED → spaces, new_match → chat).
 */
import { tokenLifetime } from "@rally/client";
import { api, whenUnauthorized } from "./api";
import { renderAuth } from "./auth";
import * as chat from "./conversations";
import * as dice from "./dice";
import * as lobby from "./lobby";
import * as notifications from "./notifications";
import { keepSessionAlive, me, refreshNow, signOut, token, updateMe, type Me } from "./session";
import * as space from "./space";
import * as trivia from "./trivia";
import { avatar, h, showError, toast } from "./ui";

type Tab = "lobby" | "dice" | "space" | "trivia" | "chat";
const TABS: Array<{ id: Tab; label: string }> = [
  { id: "lobby", label: "Lobby" },
  { id: "dice", label: "Bigger Dice" },
  { id: "space", label: "Spaces" },
  { id: "trivia", label: "Trivia" },
  { id: "chat", label: "Chat" },
];

const root = document.getElementById("app")!;
const views = new Map<Tab, HTMLElement>();
const tabButtons = new Map<Tab, HTMLButtonElement>();

export function showTab(tab: Tab): void {
  for (const [id, view] of views) view.classList.toggle("hidden", id !== tab);
  for (const [id, button] of tabButtons) button.classList.toggle("active", id === tab);
  if (location.hash !== `#${tab}`) history.replaceState(null, "", `#${tab}`);
  if (tab === "dice") dice.shown();
  if (tab === "space") space.shown();
  if (tab === "trivia") trivia.shown();
  if (tab === "chat") chat.shown();
  if (tab === "lobby") lobby.shown();
}

/** Unread conversation messages (the lobby's `unreadMessages`), on the Chat tab. */
const chatBadge = h("span", { class: "tab-badge hidden", testid: "chat-unread-badge", text: "0" });

function renderApp(user: Me): void {
  const nav = h("nav", { class: "tabs" });
  for (const tab of TABS) {
    const button = h("button", {
      type: "button",
      text: tab.label,
      testid: `tab-${tab.id}`,
      on: { click: () => showTab(tab.id) },
    });
    if (tab.id === "chat") button.append(chatBadge);
    tabButtons.set(tab.id, button);
    nav.appendChild(button);
  }
  const header = h(
    "header",
    { class: "top" },
    h("div", { class: "brand" }, "rally", h("span", { text: "." })),
    nav,
    h("div", { class: "spacer" }),
    notifications.bell(),
    h(
      "div",
      { class: "me" },
      avatar(user.username),
      h(
        "div",
        {},
        h("div", {
          id: "me-username",
          testid: "me-username",
          text: user.username,
          attrs: { style: "font-weight:600" },
        }),
        h("div", {
          class: "muted small",
          testid: "me-org",
          text: user.orgId ? `org ${user.orgId}` : "no organization",
        }),
      ),
      user.orgId ? orgInvite(user.orgId) : h("span"),
      h("button", { type: "button", testid: "sign-out", text: "Sign out", on: { click: () => void leaveApp() } }),
    ),
  );
  const main = h("main");
  const mounts: Array<[Tab, () => HTMLElement]> = [
    ["lobby", lobby.mount],
    ["dice", dice.mount],
    ["space", space.mount],
    ["trivia", trivia.mount],
    ["chat", chat.mount],
  ];
  for (const [id, mount] of mounts) {
    const view = h("section", { id: `view-${id}`, class: "hidden" }, mount());
    views.set(id, view);
    main.appendChild(view);
  }
  root.replaceChildren(header, main, notifications.panel());

  // start() and refresh() show their own failures, so they are not awaited here.
  void lobby.start({
    onGameReady: (ev) => {
      showTab("dice");
      void dice.joinInvitationRoom(ev.roomId, ev.map);
    },
    onSpaceInviteAccepted: (spaceId) => {
      showTab("space");
      void space.enter(spaceId);
    },
    onSpaceMembersChanged: (spaceId) => void space.refreshMembers(spaceId),
    onNewMatch: () => void chat.refresh(),
    onConversationsChanged: () => void chat.refresh(),
    onUnreadMessages: (count) => {
      chatBadge.textContent = count > 99 ? "99+" : String(count);
      chatBadge.dataset.count = String(count);
      chatBadge.classList.toggle("hidden", count <= 0);
    },
    openChat: (conversationId) => {
      showTab("chat");
      void chat.open(conversationId);
    },
  });
  const initial = location.hash.slice(1) as Tab;
  showTab(TABS.some((t) => t.id === initial) ? initial : "lobby");
}

/** "Invite": a new single-use invite code to the user's org, shown to pass on (admins and owners). */
function orgInvite(orgId: string): HTMLElement {
  const code = h("code", { testid: "org-invite-code", class: "small" });
  const button = h("button", {
    type: "button",
    testid: "org-invite",
    text: "Invite",
    attrs: { title: `Create an invite code to ${orgId}` },
    on: {
      click: () =>
        void api<{ code: string }>("POST", `/api/orgs/${encodeURIComponent(orgId)}/invite-codes`, {
          maxUses: 1,
          expiresInHours: 24,
        }).then(
          (created) => (code.textContent = created.code),
          (e) => showError(e, "Could not create an invite code"),
        ),
    },
  });
  return h("div", { class: "org-invite" }, button, code);
}

async function leaveApp(): Promise<void> {
  await Promise.allSettled([lobby.stop(), dice.stop(), space.stop(), trivia.stop(), chat.stop()]);
  signOut();
  location.hash = "";
  location.reload();
}

async function boot(): Promise<void> {
  const sessionLost = () => {
    toast("error", "Your session has expired — please sign in again");
    signOut();
    window.setTimeout(() => location.reload(), 1500);
  };
  whenUnauthorized(sessionLost);
  if (!token()) {
    renderAuth(root, () => location.reload());
    return;
  }
  // A tab reopened after its access token expired renews it before anything else.
  const life = tokenLifetime(token() ?? "");
  if (life && life.expiresAt < Date.now() + 2000) await refreshNow();
  keepSessionAlive(sessionLost);
  try {
    // The token may have expired, or the server's data may be fresh: check who we are.
    const fresh = await api<Me>("GET", "/api/users/me");
    updateMe(fresh);
  } catch (e) {
    signOut();
    renderAuth(root, () => location.reload());
    showError(e, "Please sign in again");
    return;
  }
  renderApp(me());
}

void boot();
