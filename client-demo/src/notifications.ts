/**
 * The notification center: a bell with the unread count (the lobby state's `unread`), and a
 * panel listing GET /api/notifications with "mark read" and "dismiss".
 */
import type { Notification } from "../../src/systems/lobby/notifications";
import { api, enc, list } from "./api";
import { actionButton, fill, h, icon, showError, time } from "./ui";

let badge: HTMLElement | null = null;
let panelEl: HTMLElement | null = null;
let listEl: HTMLElement | null = null;
/** Sends `notifications:read {ids}` through the lobby room (set by lobby.ts once joined). */
let markAllRead: ((ids: string[]) => Promise<unknown>) | null = null;
let items: Notification[] = [];

export function bell(): HTMLElement {
  badge = h("span", { class: "badge hidden", id: "notif-badge", testid: "notif-badge", text: "0" });
  return h(
    "button",
    {
      type: "button",
      class: "bell",
      id: "notif-bell",
      testid: "notif-bell",
      title: "Notifications",
      on: { click: () => toggle() },
    },
    icon("bell"),
    badge,
  );
}

export function panel(): HTMLElement {
  listEl = h("ul", { class: "list", id: "notif-list", testid: "notif-list" });
  panelEl = h(
    "div",
    { class: "panel hidden", id: "notif-panel", testid: "notif-panel" },
    h(
      "div",
      { class: "row" },
      h("h2", { text: "Notifications", attrs: { style: "margin:0" } }),
      h("div", { class: "spacer" }),
      actionButton(
        "Mark all read",
        async () => {
          const unread = items.filter((n) => n.status === "unread").map((n) => n.id);
          if (unread.length === 0) return;
          if (markAllRead) await markAllRead(unread);
          else await Promise.all(unread.map((id) => api("POST", `/api/notifications/${enc(id)}/read`)));
          await refresh();
        },
        { class: "link", testid: "notif-read-all" },
      ),
    ),
    listEl,
  );
  // A click anywhere else closes it.
  document.addEventListener("click", (ev) => {
    const target = ev.target as Node;
    if (!panelEl || panelEl.classList.contains("hidden") || panelEl.contains(target)) return;
    if (document.getElementById("notif-bell")?.contains(target)) return;
    panelEl.classList.add("hidden");
  });
  return panelEl;
}

export function setUnread(count: number): void {
  if (!badge) return;
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.classList.toggle("hidden", count <= 0);
  badge.dataset.count = String(count);
}

export function useLobbyForReadAll(fn: ((ids: string[]) => Promise<unknown>) | null): void {
  markAllRead = fn;
}

function toggle(): void {
  if (!panelEl) return;
  const opening = panelEl.classList.contains("hidden");
  panelEl.classList.toggle("hidden", !opening);
  if (opening) void refresh();
}

/** Reload the list (when the panel is open; the badge count comes from the lobby state). */
export async function refresh(): Promise<void> {
  if (!listEl || !panelEl || panelEl.classList.contains("hidden")) return;
  try {
    items = (await list<Notification>("/api/notifications?limit=50")).filter((n) => n.status !== "dismissed");
  } catch (e) {
    showError(e, "loading notifications");
    return;
  }
  render();
}

function render(): void {
  if (!listEl) return;
  if (items.length === 0) {
    fill(listEl, h("li", { class: "empty", text: "Nothing here yet." }));
    return;
  }
  fill(
    listEl,
    ...items.map((n) =>
      h(
        "li",
        {
          class: `notification ${n.status}`,
          testid: "notification",
          attrs: { "data-status": n.status, "data-kind": n.kind },
        },
        h(
          "div",
          { class: "who" },
          h("div", { text: n.title || n.kind }),
          h("div", { class: "muted small", text: n.message }),
          h("div", { class: "muted small", text: `${time(n.createdAt)} · ${n.kind.replace(/_/g, " ")}` }),
        ),
        n.status === "unread"
          ? actionButton(
              "Mark read",
              async () => {
                await api("POST", `/api/notifications/${enc(n.id)}/read`);
                await refresh();
              },
              { class: "link", testid: "notif-read" },
            )
          : null,
        actionButton(
          "Dismiss",
          async () => {
            await api("POST", `/api/notifications/${enc(n.id)}/dismiss`);
            await refresh();
          },
          { class: "link", testid: "notif-dismiss" },
        ),
      ),
    ),
  );
}
