/**
 * Metaverse spaces: create a space, enter it, walk around with the arrow keys (MOVE, at most
 * 20 a second), see everyone else move live from the room state, act, chat, and invite users.
 */
import { SpaceEvent, SpaceMessage, type SpaceRoom } from "@rally/client";
import type { z } from "zod";
import type {
  ActionMessage,
  CreateSpaceInput,
  SendInviteMessage,
  SpaceJoinOptions,
} from "../../src/systems/space/protocol";
import type { Direction, Position } from "../../src/systems/space/rules";
import type { MySpace } from "../../src/systems/space/spaces";
import type { SpaceMember } from "../../src/systems/space/members";
import { api, enc, list } from "./api";
import { leave, watchRoom } from "./rooms";
import { me, rally } from "./session";
import { actionButton, append, avatar, banner, fill, form, h, inputValue, showError, time, toast } from "./ui";

/** `CHAT` broadcast. */
const MOVE_INTERVAL_MS = 50; // ≤ 20 MOVE messages a second
const ACTIONS: Array<[string, string]> = [
  ["wave", "Wave"],
  ["dance", "Dance"],
  ["sit", "Sit"],
  ["cheer", "Cheer"],
];
const KEYS: Record<string, Direction> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

let room: SpaceRoom | null = null;
/** The space of `room` (known at join, before its first state arrives). */
let roomSpaceId: string | null = null;
let mySpaces: MySpace[] = [];
/** Where I am, as I last sent it (the server's copy follows). */
let mine: Position | null = null;
const held = new Set<Direction>();
/** Presses shorter than one tick still move once. */
const pulses = new Set<Direction>();
let moveTimer: number | undefined;
let frame: number | undefined;
/** Drawn positions, eased toward the state's so others glide rather than jump. */
const drawn = new Map<string, { x: number; y: number }>();
/** Usernames by id, kept after someone leaves (for the "left" line). */
const names = new Map<string, string>();

const els = {
  home: h("div", { id: "space-home" }),
  spaces: h("ul", { class: "list", id: "spaces-list", testid: "spaces-list" }),
  inRoom: h("div", { id: "space-room", class: "hidden" }),
  banner: h("div", { class: "banner hidden", testid: "space-banner" }),
  title: h("h2", { id: "space-title", testid: "space-title", attrs: { style: "margin:0" } }),
  canvas: h("canvas", {
    class: "space",
    id: "space-canvas",
    testid: "space-canvas",
    attrs: { tabindex: 0, width: 720, height: 720 },
  }),
  present: h("ul", { class: "list", id: "space-users", testid: "space-users" }),
  chatLog: h("div", { class: "chat-log", id: "space-chat-log", testid: "space-chat-log" }),
  inviteSelect: h("select", { id: "space-invite-user", testid: "space-invite-user", class: "grow" }),
  members: h("ul", { class: "list", id: "space-members", testid: "space-members" }),
};

export function mount(): HTMLElement {
  const create = form(
    { class: "stack", id: "space-create-form" },
    async (f) => {
      const name = inputValue(f, "#space-name");
      const capacity = Number(inputValue(f, "#space-capacity") || "10");
      const input: CreateSpaceInput = { name, capacity };
      const space = await api<MySpace>("POST", "/api/spaces", input);
      toast("success", `Space “${space.name}” created`);
      (f.querySelector("#space-name") as HTMLInputElement).value = "";
      await refreshSpaces();
      await enter(space.id);
    },
    h(
      "label",
      {},
      "Name",
      h("input", {
        id: "space-name",
        testid: "space-name",
        placeholder: "e.g. Rooftop garden",
        attrs: { required: true },
      }),
    ),
    h(
      "label",
      {},
      "Capacity",
      h("input", {
        id: "space-capacity",
        testid: "space-capacity",
        type: "number",
        value: "10",
        attrs: { min: 1, max: 1000 },
      }),
    ),
    h("button", { type: "submit", class: "primary", testid: "space-create", text: "Create and enter" }),
  );
  append(
    els.home,
    h(
      "div",
      { class: "grid two" },
      h("div", { class: "card" }, h("h2", { text: "Create a space" }), create),
      h(
        "div",
        { class: "card" },
        h(
          "div",
          { class: "row" },
          h("h2", { text: "Your spaces", attrs: { style: "margin:0" } }),
          h("div", { class: "spacer" }),
          actionButton("Refresh", refreshSpaces, { class: "link" }),
        ),
        h("p", { class: "muted small", text: "Spaces you created or were invited to. Invites arrive in your lobby." }),
        els.spaces,
      ),
    ),
  );

  const chatForm = form(
    { class: "row", id: "space-chat-form", attrs: { style: "margin-top:8px" } },
    (f) => {
      const input = f.querySelector<HTMLInputElement>("#space-chat-input")!;
      const text = input.value.trim();
      if (!text || !room) return;
      room.send(SpaceMessage.chat, { text });
      input.value = "";
    },
    h("input", {
      id: "space-chat-input",
      testid: "space-chat-input",
      class: "grow",
      placeholder: "Say something…",
      attrs: { maxlength: 500 },
    }),
    h("button", { type: "submit", text: "Send", testid: "space-chat-send" }),
  );

  append(
    els.inRoom,
    els.banner,
    h(
      "div",
      { class: "row", attrs: { style: "margin-bottom:12px" } },
      els.title,
      h("span", { class: "pill accent", id: "space-count", testid: "space-count" }),
      h("div", { class: "spacer" }),
      h("span", { class: "muted small", text: "Click the map, then use the arrow keys to walk." }),
      actionButton("Leave space", () => exit(), { testid: "space-leave" }),
    ),
    h(
      "div",
      { class: "space-wrap" },
      h("div", { class: "card", attrs: { style: "padding:10px" } }, els.canvas),
      h(
        "div",
        { class: "stack" },
        h(
          "div",
          { class: "card" },
          h("h3", { text: "Actions" }),
          h(
            "div",
            { class: "row tight" },
            ...ACTIONS.map(([action, label]) =>
              actionButton(label, () => act(action), { testid: `space-action-${action}` }),
            ),
            actionButton("Stop", () => act(""), { class: "link", testid: "space-action-clear" }),
          ),
        ),
        h("div", { class: "card" }, h("h3", { text: "Here now" }), els.present),
        h(
          "div",
          { class: "card" },
          h(
            "div",
            { class: "row" },
            h("h3", { text: "Members", attrs: { style: "margin:0" } }),
            h("div", { class: "spacer" }),
            actionButton("Leave this space for good", () => leaveMembership(), {
              class: "link danger",
              testid: "space-members-leave",
            }),
          ),
          els.members,
        ),
        h("div", { class: "card" }, h("h3", { text: "Chat" }), els.chatLog, chatForm),
        h(
          "div",
          { class: "card" },
          h("h3", { text: "Invite someone" }),
          h(
            "div",
            { class: "row" },
            els.inviteSelect,
            actionButton("Invite", () => invite(), { class: "primary", testid: "space-invite-send" }),
          ),
          h(
            "div",
            { class: "row", attrs: { style: "margin-top:6px" } },
            actionButton("Refresh list", () => loadInvitable(), { class: "link", testid: "space-invite-refresh" }),
          ),
        ),
      ),
    ),
  );

  els.canvas.addEventListener("keydown", onKey);
  els.canvas.addEventListener("keyup", onKey);
  els.canvas.addEventListener("blur", () => held.clear());
  els.canvas.addEventListener("click", () => els.canvas.focus());
  return h("div", {}, els.home, els.inRoom);
}

export function shown(): void {
  if (!room) void refreshSpaces();
}

export async function stop(): Promise<void> {
  await exit();
}

async function refreshSpaces(): Promise<void> {
  try {
    mySpaces = await list<MySpace>("/api/spaces");
  } catch (e) {
    showError(e, "loading your spaces");
    return;
  }
  if (mySpaces.length === 0) {
    fill(els.spaces, h("li", { class: "empty", text: "No spaces yet — create one." }));
    return;
  }
  fill(
    els.spaces,
    ...mySpaces.map((s) =>
      h(
        "li",
        { testid: `space-${s.name}` },
        avatar(s.name),
        h(
          "span",
          { class: "who" },
          h("b", { text: s.name }),
          h("div", {
            class: "muted small",
            text: `${s.role} · ${s.memberCount}/${s.capacity} members · ${s.width}×${s.height}`,
          }),
        ),
        actionButton("Enter", () => enter(s.id), { class: "primary", testid: `space-enter-${s.name}` }),
      ),
    ),
  );
}

/** Enter a space (also called after accepting an invite from the lobby). */
export async function enter(spaceId: string): Promise<void> {
  if (room?.state.spaceId === spaceId) return;
  await exit();
  const known =
    mySpaces.find((s) => s.id === spaceId) ??
    (await refreshSpaces().then(() => mySpaces.find((s) => s.id === spaceId)));
  const options: SpaceJoinOptions = { spaceId };
  if (known) {
    // Start somewhere near the middle, a little apart from the others.
    const jitter = (side: number) => Math.round(side / 2 + (Math.random() - 0.5) * side * 0.4);
    options.initialPosition = { x: jitter(known.width), y: jitter(known.height), direction: "down" };
  }
  let joined: SpaceRoom;
  try {
    joined = await rally().joinSpace(spaceId, options.initialPosition);
  } catch (e) {
    showError(e, "entering the space");
    return;
  }
  room = joined;
  roomSpaceId = spaceId;
  mine = options.initialPosition ?? null;
  drawn.clear();
  fill(els.chatLog);
  els.home.classList.add("hidden");
  els.inRoom.classList.remove("hidden");
  watchRoom(joined, {
    label: "the space",
    banner: els.banner,
    onGone: () => {
      if (room === joined) void exit();
    },
  });
  joined.raw.onStateChange(() => {
    const self = joined.state.users?.get(me().id);
    if (self && !mine) mine = { x: self.x, y: self.y, direction: self.direction as Direction };
    els.title.textContent = joined.state.name;
    renderPresent();
  });
  joined.on(SpaceEvent.chat, (ev) => logChat(`${ev.username}`, ev.text, ev.timestamp));
  joined.on(SpaceEvent.userJoined, (ev) => {
    if (ev.userId !== me().id) logChat("", `${ev.username} arrived`);
    void loadMembers();
  });
  joined.on(SpaceEvent.userLeft, (ev) => {
    drawn.delete(ev.userId);
    logChat("", `${names.get(ev.userId) ?? "someone"} left`);
    void loadMembers();
  });
  joined.on(SpaceEvent.removed, (ev) => {
    if (ev.reason === "removed")
      toast("warn", `You were removed from “${joined.state.name}”`, { testid: "toast-space-removed" });
    // The seat is over: go back to the list now rather than wait for the SDK to give up on it.
    if (room === joined) void exit();
  });
  joined.on(SpaceEvent.spaceUpdated, () => void loadMembers());
  joined.on(SpaceEvent.spaceDeleted, () => toast("warn", "This space was deleted"));
  joined.on(SpaceEvent.action, (ev) => {
    if (ev.action)
      logChat("", `${ev.username} is ${ev.action === "sit" ? "sitting" : ev.action.replace(/e?$/, "ing")}`);
  });
  moveTimer = window.setInterval(tickMovement, MOVE_INTERVAL_MS);
  frame = requestAnimationFrame(draw);
  els.canvas.focus();
  fill(els.members);
  void loadInvitable();
  void loadMembers();
}

async function exit(): Promise<void> {
  window.clearInterval(moveTimer);
  if (frame !== undefined) cancelAnimationFrame(frame);
  frame = undefined;
  held.clear();
  pulses.clear();
  const leaving = room;
  room = null;
  roomSpaceId = null;
  mine = null;
  await leave(leaving);
  banner(els.banner, null);
  els.inRoom.classList.add("hidden");
  els.home.classList.remove("hidden");
  void refreshSpaces();
}

function onKey(ev: KeyboardEvent): void {
  const direction = KEYS[ev.key];
  if (!direction) return;
  ev.preventDefault();
  if (ev.type === "keydown") {
    held.add(direction);
    pulses.add(direction);
  } else {
    held.delete(direction);
  }
}

/** One step per tick while keys are held: this is the MOVE throttle (≤ 20/s). */
function tickMovement(): void {
  if (!room || !mine) return;
  const directions = new Set([...held, ...pulses]);
  pulses.clear();
  if (directions.size === 0) return;
  const { width, height } = room.state;
  const step = Math.max(4, Math.round(Math.min(width, height) / 60));
  let { x, y } = mine;
  let direction = mine.direction;
  for (const d of directions) {
    if (d === "up") y -= step;
    if (d === "down") y += step;
    if (d === "left") x -= step;
    if (d === "right") x += step;
    direction = d;
  }
  x = Math.min(width, Math.max(0, x));
  y = Math.min(height, Math.max(0, y));
  mine = { x, y, direction };
  room.send(SpaceMessage.move, mine);
}

function act(action: string): void {
  if (!room) return;
  const payload: z.input<typeof ActionMessage> = { action };
  room.send(SpaceMessage.action, payload);
}

async function loadInvitable(): Promise<void> {
  if (!room) return;
  try {
    const reply = await room.request(SpaceMessage.getUsers, {});
    fill(
      els.inviteSelect,
      h("option", { value: "", text: reply.users.length ? "Choose a user…" : "Nobody left to invite" }),
      ...reply.users.map((u) => h("option", { value: u.id, text: u.username })),
    );
  } catch (e) {
    showError(e, "loading users to invite");
  }
}

async function invite(): Promise<void> {
  if (!room) return;
  const toUserId = els.inviteSelect.value;
  if (!toUserId) {
    toast("warn", "Choose someone to invite first");
    return;
  }
  const payload: z.input<typeof SendInviteMessage> = { toUserId };
  const reply = await room.request(SpaceMessage.sendInvite, payload);
  toast("success", `Invite sent to ${reply.invite.toUser.username}`, {
    detail: `Valid until ${new Date(reply.invite.expiresAt).toLocaleString()}`,
  });
  await loadInvitable();
}

/** A space's members changed elsewhere (an invite I sent was answered): reload them if it is this one. */
export async function refreshMembers(spaceId: string): Promise<void> {
  if (roomSpaceId === spaceId) await Promise.all([loadMembers(), loadInvitable()]);
}

/** The members panel: everyone in the space (not only who is here), with remove for admins. */
async function loadMembers(): Promise<void> {
  const spaceId = roomSpaceId;
  if (!spaceId) return;
  let members: SpaceMember[];
  try {
    members = await list<SpaceMember>(`/api/spaces/${enc(spaceId)}/members?limit=100`);
  } catch (e) {
    showError(e, "loading the members");
    return;
  }
  if (roomSpaceId !== spaceId) return;
  const myId = me().id;
  const iAmAdmin = members.some((m) => m.userId === myId && m.role === "admin");
  fill(
    els.members,
    ...members.map((m) =>
      h(
        "li",
        { testid: `space-member-${m.username}`, attrs: { "data-role": m.role, "data-online": String(m.online) } },
        h("span", { class: `dot${m.online ? " online" : ""}` }),
        h("span", { class: "who" }, h("b", { text: m.username }), m.userId === myId ? " (you)" : ""),
        h("span", { class: `pill${m.role === "admin" ? " accent" : ""}`, text: m.role }),
        iAmAdmin && m.userId !== myId
          ? actionButton("Remove", () => removeMember(spaceId, m), {
              class: "link danger",
              testid: `space-member-remove-${m.username}`,
            })
          : null,
      ),
    ),
  );
}

async function removeMember(spaceId: string, member: SpaceMember): Promise<void> {
  await api("DELETE", `/api/spaces/${enc(spaceId)}/members/${enc(member.userId)}`);
  toast("success", `${member.username} was removed from the space`, { testid: "toast-member-removed" });
  await Promise.all([loadMembers(), loadInvitable()]);
}

/** Give up my membership (not just this visit): the server closes my seat. */
async function leaveMembership(): Promise<void> {
  const spaceId = roomSpaceId;
  if (!spaceId) return;
  const name = room?.state.name || "the space";
  await api("DELETE", `/api/spaces/${enc(spaceId)}/members/me`);
  toast("info", `You left “${name}”`, { testid: "toast-space-left" });
  await exit();
}

function logChat(who: string, text: string, at?: string): void {
  const line = who
    ? h(
        "p",
        { testid: "space-chat-line" },
        h("span", { class: "muted small", text: `${time(at ?? Date.now())} ` }),
        h("b", { text: `${who}: ` }),
        text,
      )
    : h("p", { class: "muted small", text });
  els.chatLog.appendChild(line);
  els.chatLog.scrollTop = els.chatLog.scrollHeight;
}

function renderPresent(): void {
  if (!room) return;
  const state = room.state;
  const rows: HTMLElement[] = [];
  state.users?.forEach((u, id) => {
    names.set(id, u.username);
    rows.push(
      h(
        "li",
        {
          testid: `space-user-${u.username}`,
          attrs: {
            "data-user-id": id,
            "data-x": Math.round(u.x),
            "data-y": Math.round(u.y),
            "data-direction": u.direction,
            "data-action": u.action,
          },
        },
        h("span", { class: "dot online" }),
        h(
          "span",
          { class: "who" },
          h("b", { text: u.username }),
          id === me().id ? " (you)" : "",
          u.action ? ` · ${u.action}` : "",
        ),
        h("span", { class: "muted small mono", text: `${Math.round(u.x)}, ${Math.round(u.y)}` }),
      ),
    );
  });
  fill(els.present, ...rows);
  const count = document.getElementById("space-count");
  if (count) count.textContent = `${state.users?.size ?? 0} / ${state.capacity} here`;
}

/** You are always blue; the others get one of these by their id. */
const MY_COLOR = "#4f5bd5";
const COLORS = ["#d6457a", "#1f9d55", "#c27c0e", "#7a3fd1", "#0d8fb3"];
const colorOf = (id: string) =>
  COLORS[[...id].reduce((a, c) => (Math.imul(a, 31) + c.charCodeAt(0)) >>> 0, 7) % COLORS.length]!;
const ARROWS: Record<string, string> = { up: "▲", down: "▼", left: "◀", right: "▶" };

function draw(): void {
  frame = requestAnimationFrame(draw);
  if (!room) return;
  const state = room.state;
  const canvas = els.canvas;
  const width = state.width || 1000;
  const height = state.height || 1000;
  const cw = 720;
  const ch = Math.round((cw * height) / width);
  if (canvas.height !== ch) {
    canvas.height = ch;
    canvas.style.aspectRatio = `${width} / ${height}`;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const sx = cw / width;
  const sy = ch / height;
  ctx.clearRect(0, 0, cw, ch);
  ctx.fillStyle = "#eef5ec";
  ctx.fillRect(0, 0, cw, ch);
  ctx.strokeStyle = "#dce8d8";
  ctx.lineWidth = 1;
  for (let gx = 0; gx <= cw; gx += 40) {
    ctx.beginPath();
    ctx.moveTo(gx, 0);
    ctx.lineTo(gx, ch);
    ctx.stroke();
  }
  for (let gy = 0; gy <= ch; gy += 40) {
    ctx.beginPath();
    ctx.moveTo(0, gy);
    ctx.lineTo(cw, gy);
    ctx.stroke();
  }
  const myId = me().id;
  state.users?.forEach((u, id) => {
    const target = id === myId && mine ? mine : u;
    const d = drawn.get(id) ?? { x: target.x, y: target.y };
    d.x += (target.x - d.x) * 0.35;
    d.y += (target.y - d.y) * 0.35;
    drawn.set(id, d);
    const px = d.x * sx;
    const py = d.y * sy;
    ctx.beginPath();
    ctx.arc(px, py, 16, 0, Math.PI * 2);
    ctx.fillStyle = id === myId ? MY_COLOR : colorOf(id);
    ctx.fill();
    if (id === myId) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#1d2233";
      ctx.stroke();
    }
    ctx.fillStyle = "#fff";
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(ARROWS[u.direction] ?? "●", px, py);
    ctx.fillStyle = "#1d2233";
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.fillText(u.username + (id === myId ? " (you)" : ""), px, py + 28);
    if (u.action) {
      const label = ACTIONS.find(([a]) => a === u.action)?.[1] ?? u.action;
      ctx.font = "12px system-ui, sans-serif";
      const w = ctx.measureText(label).width + 14;
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#c6cbe0";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.roundRect(px - w / 2, py - 46, w, 22, 8);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = "#1d2233";
      ctx.fillText(label, px, py - 35);
    }
  });
}
