/**
 * The lobby: the user's own `user_lobby` room (friends with online dots, pending game
 * invitations, the unread count) plus friend requests and space invites over REST.
 * Every event the server forwards here becomes a toast or a refresh.
 */
import { LobbyEvent, LobbyMessage, type LobbyInvitation, type LobbyRoom } from "@rally/client";
import type {
  AnswerInvitation,
  GameReadyEvent,
  NewMatchEvent,
  NotificationIds,
  SendInvitation,
  SpaceInviteAnsweredEvent,
} from "../../src/systems/lobby/protocol";
import type { FriendRequest } from "../../src/systems/social/friendships";
import type { BlockedUser } from "../../src/systems/social/blocks";
import type { ReceivedInvite } from "../../src/systems/space/inviteRecords";
import { api, enc, list } from "./api";
import * as notifications from "./notifications";
import { leave, watchRoom } from "./rooms";
import { me, rally } from "./session";
import { actionButton, avatar, banner, fill, form, h, inputValue, showError, time, toast } from "./ui";

export interface LobbyHooks {
  onGameReady(ev: GameReadyEvent): void;
  onSpaceInviteAccepted(spaceId: string): void;
  /** A space's members changed (an invite I sent was answered). */
  onSpaceMembersChanged(spaceId: string): void;
  onNewMatch(ev: NewMatchEvent): void;
  openChat(conversationId: string): void;
  /** The conversation list changed (a message arrived elsewhere, a match ended). */
  onConversationsChanged(): void;
  /** The lobby's `unreadMessages` (unread conversation messages), for the Chat tab badge. */
  onUnreadMessages(count: number): void;
}

/** `new_match` (docs/PROTOCOL.md §3 user_lobby); `match.user` is the other user. */
export type { NewMatchEvent };

interface MetaverseEnvelope<T> {
  status: "success";
  message?: string;
  data: T;
}

export const MAPS = ["Classic table", "Neon casino", "Beach boardwalk"];

let room: LobbyRoom | null = null;
let hooks: LobbyHooks | null = null;
let poll: number | undefined;
/** Open invitation toasts by invitation id: they go away once it is answered anywhere. */
const invitationToasts = new Map<string, HTMLElement>();
/** Invitations answered from this tab (their "accepted/declined" echo is not news here). */
const answeredHere = new Set<string>();

const els = {
  banner: h("div", { class: "banner hidden", testid: "lobby-banner" }),
  friends: h("ul", { class: "list", id: "friends-list", testid: "friends-list" }),
  requests: h("ul", { class: "list", id: "friend-requests", testid: "friend-requests" }),
  invitations: h("ul", { class: "list", id: "invitations-list", testid: "invitations-list" }),
  spaceInvites: h("ul", { class: "list", id: "space-invites", testid: "space-invites" }),
  profile: h("div", { id: "profile-card", testid: "profile-card", class: "hidden" }),
  blocked: h("ul", { class: "list", id: "blocked-list", testid: "blocked-list" }),
};

/** A user's public profile (`GET /api/users/by-username/:username`). */
interface Profile {
  id: string;
  username: string;
  displayName: string | null;
}

export function mount(): HTMLElement {
  const addFriend = form(
    { class: "row", id: "friend-add-form" },
    async (f) => {
      const username = inputValue(f, "#friend-username");
      if (!username) return;
      const request = await api<FriendRequest>("POST", "/api/friends/requests", { username });
      toast("success", `Friend request sent to ${request.addressee.username}`);
      (f.querySelector("#friend-username") as HTMLInputElement).value = "";
      await loadRequests();
    },
    h("input", {
      id: "friend-username",
      testid: "friend-username",
      class: "grow",
      placeholder: "Add a friend by username",
    }),
    h("button", { type: "submit", class: "primary", testid: "friend-add", text: "Add" }),
  );

  const findProfile = form(
    { class: "row", id: "profile-form" },
    async (f) => {
      const username = inputValue(f, "#profile-username");
      if (!username) return;
      showProfile(await api<Profile>("GET", `/api/users/by-username/${enc(username)}`));
    },
    h("input", {
      id: "profile-username",
      testid: "profile-username",
      class: "grow",
      placeholder: "Find someone by username",
    }),
    h("button", { type: "submit", testid: "profile-find", text: "View profile" }),
  );

  return h(
    "div",
    {},
    els.banner,
    h(
      "div",
      { class: "grid" },
      h(
        "div",
        { class: "card" },
        h("h2", { text: "Friends" }),
        addFriend,
        h("h3", { text: "Requests", attrs: { style: "margin-top:16px" } }),
        els.requests,
        h("h3", { text: "Your friends", attrs: { style: "margin-top:16px" } }),
        els.friends,
      ),
      h(
        "div",
        { class: "card" },
        h("h2", { text: "Game invitations" }),
        h("p", {
          class: "muted small",
          text: "Invite an online friend to a game of Bigger Dice from your friends list.",
        }),
        els.invitations,
      ),
      h(
        "div",
        { class: "card" },
        h("h2", { text: "Space invites" }),
        h("p", { class: "muted small", text: "Invites to metaverse spaces. Accepting one takes you there." }),
        els.spaceInvites,
      ),
      h(
        "div",
        { class: "card" },
        h("h2", { text: "People" }),
        findProfile,
        els.profile,
        h("h3", { text: "Blocked", attrs: { style: "margin-top:16px" } }),
        els.blocked,
      ),
    ),
  );
}

export function shown(): void {
  void loadRequests();
  void loadSpaceInvites();
  void loadBlocked();
}

export async function start(h: LobbyHooks): Promise<void> {
  hooks = h;
  renderFriends();
  renderInvitations();
  try {
    room = await rally().joinLobby();
  } catch (e) {
    banner(els.banner, "warn", "Could not connect to your lobby — reload the page to try again.");
    showError(e, "joining your lobby");
    return;
  }
  const joined = room;
  watchRoom(joined, { label: "your lobby", banner: els.banner, onGone: () => (room = null) });
  joined.raw.onStateChange(() => {
    for (const [id, el] of invitationToasts) {
      if (!joined.state.invitations?.has(id)) {
        el.remove();
        invitationToasts.delete(id);
      }
    }
    renderFriends();
    renderInvitations();
    notifications.setUnread(joined.state.unread ?? 0);
    hooks?.onUnreadMessages(joined.state.unreadMessages ?? 0);
  });
  notifications.useLobbyForReadAll((ids) =>
    joined.request(LobbyMessage.readNotifications, { ids } satisfies NotificationIds),
  );

  joined.on(LobbyEvent.invitationReceived, (ev) => {
    const el = toast("info", `${ev.sender_username} invites you to Bigger Dice`, {
      detail: `Map: ${ev.map}`,
      testid: "toast-game-invitation",
      actions: [
        {
          label: "Accept",
          primary: true,
          testid: "toast-invitation-accept",
          run: () => answer(ev.invitationId, "accept"),
        },
        { label: "Decline", testid: "toast-invitation-decline", run: () => answer(ev.invitationId, "decline") },
      ],
    });
    invitationToasts.set(ev.invitationId, el);
    void notifications.refresh();
  });
  joined.on(LobbyEvent.invitationUpdated, (ev) => {
    invitationToasts.get(ev.invitationId)?.remove();
    invitationToasts.delete(ev.invitationId);
    if (answeredHere.has(ev.invitationId)) return;
    const words = { accepted: "was accepted", declined: "was declined", expired: "expired" } as const;
    toast(ev.status === "accepted" ? "success" : "warn", `A game invitation ${words[ev.status] ?? ev.status}`);
  });
  joined.on(LobbyEvent.gameReady, (ev) => hooks?.onGameReady(ev));
  joined.on(LobbyEvent.notification, (ev) => {
    // Invitations and matches have their own toasts; others are announced here.
    if (
      ![
        "game_invitation",
        "space_invite",
        "new_match",
        "invites",
        "space_invite_accepted",
        "space_invite_declined",
      ].includes(ev.type)
    ) {
      toast("info", ev.message, { detail: ev.senderUsername ? `from ${ev.senderUsername}` : undefined });
    }
    void notifications.refresh();
  });
  joined.on(LobbyEvent.notificationsChanged, () => void notifications.refresh());
  joined.on(LobbyEvent.presence, () => renderFriends());
  joined.on(LobbyEvent.friendsChanged, () => void loadRequests());
  joined.on(LobbyEvent.friendRequest, () => void loadRequests());
  joined.on(LobbyEvent.friendRequestUpdated, () => void loadRequests());
  joined.on(LobbyEvent.invitationExpired, () => undefined); // game_invitation_updated says it
  joined.on(LobbyEvent.conversationMessage, (ev) => {
    toast("info", `${ev.from.username}: ${ev.preview}`, {
      testid: "toast-conversation-message",
      detail: `${ev.unreadCount} unread in this conversation`,
      actions: [
        {
          label: "Open chat",
          primary: true,
          testid: "toast-open-conversation",
          run: () => hooks?.openChat(ev.conversationId),
        },
      ],
    });
    hooks?.onConversationsChanged();
  });
  joined.on(LobbyEvent.conversationRead, () => undefined); // the badge follows the state
  joined.on(LobbyEvent.matchRemoved, () => hooks?.onConversationsChanged());
  joined.on(LobbyEvent.spaceInviteReceived, (ev) => {
    const { invite } = ev;
    toast("info", `${invite.fromUser.username} invites you to the space “${invite.space.name}”`, {
      testid: "toast-space-invite",
      actions: [
        { label: "Accept", primary: true, testid: "toast-space-accept", run: () => acceptSpaceInvite(invite.id) },
        { label: "Decline", testid: "toast-space-decline", run: () => declineSpaceInvite(invite.id) },
      ],
    });
    void loadSpaceInvites();
    void notifications.refresh();
  });
  const onInviteAnswered = (ev: SpaceInviteAnsweredEvent) => {
    const accepted = ev.invite.outcome === "accepted";
    toast(
      accepted ? "success" : "warn",
      `${ev.user.username} ${accepted ? "accepted" : "declined"} your invite to “${ev.invite.space.name}”`,
      {
        testid: accepted ? "toast-invite-accepted" : "toast-invite-declined",
      },
    );
    hooks?.onSpaceMembersChanged(ev.invite.space.id);
  };
  joined.on(LobbyEvent.spaceInviteAccepted, onInviteAnswered);
  joined.on(LobbyEvent.spaceInviteDeclined, onInviteAnswered);
  joined.on(LobbyEvent.newMatch, (ev) => {
    const { match, conversation_id } = ev.data;
    toast("success", `It's a match with ${match.user.username}!`, {
      testid: "toast-new-match",
      timeoutMs: 8000,
      actions: [
        { label: "Open chat", primary: true, testid: "toast-open-chat", run: () => hooks?.openChat(conversation_id) },
      ],
    });
    hooks?.onNewMatch(ev);
    void notifications.refresh();
  });

  window.clearInterval(poll);
  // Friend requests and space invites have no live event of their own: poll them gently.
  poll = window.setInterval(() => {
    if (document.getElementById("view-lobby")?.classList.contains("hidden")) return;
    void loadRequests();
    void loadSpaceInvites();
  }, 4000);
  void loadRequests();
  void loadSpaceInvites();
  void loadBlocked();
}

export async function stop(): Promise<void> {
  window.clearInterval(poll);
  notifications.useLobbyForReadAll(null);
  await leave(room);
  room = null;
}

/** The friends the lobby knows, with their online state (for other screens' pickers). */
export function friends(): Array<{ id: string; username: string; online: boolean; lastSeenAt: string }> {
  const out: Array<{ id: string; username: string; online: boolean; lastSeenAt: string }> = [];
  room?.state.friends?.forEach((f, id) =>
    out.push({ id, username: f.username, online: f.online, lastSeenAt: f.lastSeenAt ?? "" }),
  );
  return out.sort((a, b) => a.username.localeCompare(b.username));
}

async function answer(invitationId: string, how: "accept" | "decline"): Promise<void> {
  if (!room) throw new Error("Your lobby is not connected");
  const payload: AnswerInvitation = { invitationId };
  answeredHere.add(invitationId);
  if (how === "accept") {
    const reply = await room.request(LobbyMessage.acceptInvitation, payload);
    // game_ready also arrives as an event; joining is idempotent in dice.ts.
    hooks?.onGameReady({ invitationId, roomId: reply.roomId, map: reply.map });
  } else {
    await room.request(LobbyMessage.declineInvitation, payload);
    toast("info", "Invitation declined");
  }
}

async function sendInvitation(toUserId: string, username: string, map: string): Promise<void> {
  if (!room) throw new Error("Your lobby is not connected");
  const payload: SendInvitation = { toUserId, map };
  await room.request(LobbyMessage.sendInvitation, payload);
  toast("success", `Invitation sent to ${username}`, { detail: `Map: ${map}` });
}

function renderFriends(): void {
  const list = friends();
  if (list.length === 0) {
    fill(els.friends, h("li", { class: "empty", text: room ? "No friends yet — add one above." : "Connecting…" }));
    return;
  }
  fill(
    els.friends,
    ...list.map((f) => {
      const mapSelect = h(
        "select",
        { testid: `invite-map-${f.username}`, title: "Map", class: "map-select" },
        ...MAPS.map((m) => h("option", { value: m, text: m })),
      );
      return h(
        "li",
        { testid: `friend-${f.username}`, attrs: { "data-online": String(f.online), "data-user-id": f.id } },
        h("span", {
          class: `dot${f.online ? " online" : ""}`,
          title: f.online ? "online" : "offline",
          testid: "online-dot",
        }),
        avatar(f.username),
        h(
          "span",
          { class: "who" },
          h("button", {
            type: "button",
            class: "link",
            text: f.username,
            testid: `friend-profile-${f.username}`,
            on: { click: () => showProfile({ id: f.id, username: f.username, displayName: null }) },
          }),
          !f.online && f.lastSeenAt
            ? h("div", {
                class: "last-seen",
                testid: `friend-last-seen-${f.username}`,
                text: `last seen ${time(f.lastSeenAt)}`,
              })
            : null,
        ),
        mapSelect,
        actionButton("Invite", () => sendInvitation(f.id, f.username, mapSelect.value), {
          class: "primary",
          testid: `invite-${f.username}`,
          disabled: !f.online,
          title: f.online ? "Invite to Bigger Dice" : "Offline friends cannot be invited",
        }),
        actionButton(
          "Unfriend",
          async () => {
            await api("DELETE", `/api/friends/${enc(f.id)}`);
            toast("info", `You and ${f.username} are no longer friends`);
          },
          { class: "link", testid: `friend-remove-${f.username}` },
        ),
      );
    }),
  );
}

function renderInvitations(): void {
  const items: LobbyInvitation[] = [];
  room?.state.invitations?.forEach((inv) => items.push(inv));
  if (items.length === 0) {
    fill(els.invitations, h("li", { class: "empty", text: "No pending invitations." }));
    return;
  }
  items.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  fill(
    els.invitations,
    ...items.map((inv) =>
      inv.direction === "received"
        ? h(
            "li",
            { testid: `invitation-from-${inv.fromUsername}` },
            avatar(inv.fromUsername),
            h("span", { class: "who" }, h("b", { text: inv.fromUsername }), ` invites you · ${inv.map}`),
            actionButton("Accept", () => answer(inv.id, "accept"), { class: "primary", testid: "invitation-accept" }),
            actionButton("Decline", () => answer(inv.id, "decline"), { testid: "invitation-decline" }),
          )
        : h(
            "li",
            { testid: `invitation-to-${inv.toUsername}` },
            avatar(inv.toUsername),
            h("span", { class: "who" }, "Waiting for ", h("b", { text: inv.toUsername }), ` · ${inv.map}`),
            h("span", { class: "pill", text: time(inv.createdAt) }),
          ),
    ),
  );
}

async function loadRequests(): Promise<void> {
  try {
    const [incoming, outgoing] = await Promise.all([
      list<FriendRequest>("/api/friends/requests?direction=incoming"),
      list<FriendRequest>("/api/friends/requests?direction=outgoing"),
    ]);
    const rows = [
      ...incoming.map((r) =>
        h(
          "li",
          { testid: `friend-request-${r.requester.username}` },
          avatar(r.requester.username),
          h("span", { class: "who" }, h("b", { text: r.requester.username }), " wants to be friends"),
          actionButton(
            "Accept",
            async () => {
              await api<FriendRequest>("POST", `/api/friends/requests/${enc(r.id)}/accept`);
              toast("success", `You and ${r.requester.username} are now friends`);
              await loadRequests();
            },
            { class: "primary", testid: `friend-accept-${r.requester.username}` },
          ),
          actionButton(
            "Decline",
            async () => {
              await api("POST", `/api/friends/requests/${enc(r.id)}/decline`);
              toast("info", `Request from ${r.requester.username} declined`);
              await loadRequests();
            },
            { testid: `friend-decline-${r.requester.username}` },
          ),
        ),
      ),
      ...outgoing.map((r) =>
        h(
          "li",
          { testid: `friend-pending-${r.addressee.username}` },
          avatar(r.addressee.username),
          h("span", { class: "who" }, "Waiting for ", h("b", { text: r.addressee.username })),
          h("span", { class: "pill", text: "pending" }),
          actionButton(
            "Cancel",
            async () => {
              await api("DELETE", `/api/friends/requests/${enc(r.id)}`);
              toast("info", `Request to ${r.addressee.username} cancelled`);
              await loadRequests();
            },
            { class: "link", testid: `friend-cancel-${r.addressee.username}` },
          ),
        ),
      ),
    ];
    fill(els.requests, ...(rows.length ? rows : [h("li", { class: "empty", text: "No pending requests." })]));
  } catch (e) {
    showError(e, "loading friend requests");
  }
}

/** A profile card: befriend or block the user from here. */
function showProfile(p: Profile): void {
  els.profile.classList.remove("hidden");
  fill(
    els.profile,
    h(
      "div",
      { class: "row", testid: `profile-${p.username}` },
      avatar(p.username),
      h(
        "span",
        { class: "who" },
        h("b", { text: p.username }),
        p.displayName ? h("div", { class: "muted small", text: p.displayName }) : null,
      ),
      actionButton(
        "Add friend",
        async () => {
          await api<FriendRequest>("POST", "/api/friends/requests", { username: p.username });
          toast("success", `Friend request sent to ${p.username}`);
          await loadRequests();
        },
        { testid: "profile-add-friend" },
      ),
      actionButton(
        "Block",
        async () => {
          await api<BlockedUser>("POST", "/api/blocks", { userId: p.id });
          toast("info", `You blocked ${p.username}`, { testid: "toast-blocked" });
          els.profile.classList.add("hidden");
          await Promise.all([loadBlocked(), loadRequests()]);
        },
        { class: "danger", testid: "profile-block" },
      ),
    ),
  );
}

async function loadBlocked(): Promise<void> {
  try {
    const blocked = await list<BlockedUser>("/api/blocks");
    fill(
      els.blocked,
      ...(blocked.length
        ? blocked.map((b) =>
            h(
              "li",
              { testid: `blocked-${b.user.username}` },
              avatar(b.user.username),
              h("span", { class: "who", text: b.user.username }),
              actionButton(
                "Unblock",
                async () => {
                  await api("DELETE", `/api/blocks/${enc(b.user.id)}`);
                  toast("info", `You unblocked ${b.user.username}`);
                  await loadBlocked();
                },
                { class: "link", testid: `unblock-${b.user.username}` },
              ),
            ),
          )
        : [h("li", { class: "empty", text: "Nobody blocked." })]),
    );
  } catch (e) {
    showError(e, "loading blocked users");
  }
}

async function loadSpaceInvites(): Promise<void> {
  try {
    const reply = await api<MetaverseEnvelope<{ invites: ReceivedInvite[] }>>("GET", "/metaverse/invites/my-invites");
    const invites = reply.data.invites.filter((i) => i.status !== "dismissed" && !i.expired);
    if (invites.length === 0) {
      fill(els.spaceInvites, h("li", { class: "empty", text: "No space invites." }));
      return;
    }
    fill(
      els.spaceInvites,
      ...invites.map((inv) =>
        h(
          "li",
          { testid: `space-invite-${inv.space.name}` },
          avatar(inv.fromUser.username),
          h("span", { class: "who" }, h("b", { text: inv.fromUser.username }), " → ", inv.space.name),
          actionButton("Accept", () => acceptSpaceInvite(inv.id), { class: "primary", testid: "space-invite-accept" }),
          actionButton("Decline", () => declineSpaceInvite(inv.id), { testid: "space-invite-decline" }),
        ),
      ),
    );
  } catch (e) {
    showError(e, "loading space invites");
  }
}

async function acceptSpaceInvite(notificationId: string): Promise<void> {
  const reply = await api<MetaverseEnvelope<{ space: { id: string; name: string } }>>(
    "POST",
    `/metaverse/invites/${enc(notificationId)}/accept`,
  );
  toast("success", `You joined the space “${reply.data.space.name}”`);
  void loadSpaceInvites();
  hooks?.onSpaceInviteAccepted(reply.data.space.id);
}

async function declineSpaceInvite(notificationId: string): Promise<void> {
  await api("POST", `/metaverse/invites/${enc(notificationId)}/decline`);
  toast("info", "Space invite declined");
  void loadSpaceInvites();
}

/** The signed-in user's id (for "is this me?" checks elsewhere). */
export const myId = () => me().id;
