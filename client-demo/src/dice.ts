/**
 * Bigger Dice: create a room, join one by name or from the live list, or watch as a
 * spectator; then ready, roll, and see turns, rounds, scores and the winner. A dropped
 * connection shows a banner while the SDK reconnects, and the game carries on.
 */
import { CloseCode } from "@colyseus/sdk";
import { DiceEvent, DiceMessage, type DiceJoin, type DiceRoom } from "@rally/client";
import type { DiceEvents, DiceRoomMetadata } from "../../src/systems/biggerDice/protocol";
import type { DicePlayer } from "../../src/systems/biggerDice/BiggerDiceState";
import { enc, list } from "./api";
import { leave, watchRoom } from "./rooms";
import { me, rally } from "./session";
import { actionButton, append, avatar, banner, fill, form, h, icon, inputValue, showError, toast } from "./ui";

type RolledEvent = DiceEvents[typeof DiceEvent.rolled];
type GameEndedEvent = DiceEvents[typeof DiceEvent.gameEnded];

interface RoomListing {
  roomId: string;
  name: string;
  clients: number;
  maxClients: number;
  locked: boolean;
  metadata: Partial<DiceRoomMetadata>;
}

let room: DiceRoom | null = null;
let spectating = false;
/** The room being joined, so a second `game_ready` for it is ignored. */
let joiningId: string | null = null;
/** The turn number at which I clicked roll: the button waits for the next turn. */
let rolledAtTurn = -1;
let joinedAt = 0;
/** The map of an invitation game (shown in the title instead of the generated room name). */
let invitationMap: string | null = null;
let listTimer: number | undefined;
let countdownTimer: number | undefined;
/** I asked for a rematch of the game that just ended. */
let rematchAsked = false;
/** Usernames by id, kept after players leave (for the log). */
const names = new Map<string, string>();

const PIPS: Record<number, number[]> = {
  1: [4],
  2: [0, 8],
  3: [0, 4, 8],
  4: [0, 2, 6, 8],
  5: [0, 2, 4, 6, 8],
  6: [0, 2, 3, 5, 6, 8],
};

const els = {
  home: h("div", { id: "dice-home" }),
  rooms: h("tbody", { id: "dice-room-list", testid: "dice-room-list" }),
  game: h("div", { id: "dice-game", class: "hidden" }),
  banner: h("div", { class: "banner hidden", id: "dice-banner", testid: "dice-banner" }),
  title: h("h2", { id: "dice-title", testid: "dice-title", attrs: { style: "margin:0" } }),
  status: h("span", { class: "pill", id: "dice-status", testid: "dice-status" }),
  role: h("span", { class: "pill accent hidden", testid: "dice-spectating", text: "spectating" }),
  target: h("span", { class: "muted small", id: "dice-target" }),
  players: h("div", { class: "scoreboard", id: "dice-players", testid: "dice-players" }),
  turn: h("div", { class: "turn-indicator", id: "dice-turn", testid: "dice-turn" }),
  countdown: h("span", { class: "pill hidden", id: "dice-countdown", testid: "dice-countdown" }),
  die: h("div", { class: "die", id: "dice-die", testid: "dice-die" }),
  lastRoll: h("div", { class: "muted", id: "dice-last-roll", testid: "dice-last-roll" }),
  ready: h("button", { type: "button", class: "primary", id: "dice-ready", testid: "dice-ready", text: "I'm ready" }),
  roll: h("button", {
    type: "button",
    class: "primary",
    id: "dice-roll",
    testid: "dice-roll",
    text: "Roll the die",
    disabled: true,
  }),
  log: h("ul", { class: "list log", id: "dice-log", testid: "dice-log" }),
  spectators: h("div", { class: "muted small", id: "dice-spectators" }),
  winner: h("div", { class: "overlay hidden", id: "dice-winner", testid: "dice-winner" }),
  // A plain button: its disabled state follows the rematch stage, not the request.
  rematch: h("button", {
    type: "button",
    class: "primary",
    testid: "dice-rematch",
    text: "Rematch",
    on: { click: () => askRematch() },
  }),
};

export function mount(): HTMLElement {
  for (let i = 0; i < 9; i++) els.die.appendChild(h("span", { class: "pip" }));

  const create = form(
    { class: "stack", id: "dice-create-form" },
    async (f) => {
      const roomName = inputValue(f, "#dice-create-name") || `${me().username}'s table`;
      const targetScore = Number(inputValue(f, "#dice-create-target") || "10");
      await join({ create: { roomName, targetScore } });
    },
    h(
      "label",
      {},
      "Room name",
      h("input", { id: "dice-create-name", testid: "dice-create-name", placeholder: "e.g. Friday night" }),
    ),
    h(
      "label",
      {},
      "Points to win (1–100)",
      h("input", {
        id: "dice-create-target",
        testid: "dice-create-target",
        type: "number",
        value: "5",
        attrs: { min: 1, max: 100 },
      }),
    ),
    h("button", { type: "submit", class: "primary", testid: "dice-create", text: "Create room" }),
  );
  const joinByName = form(
    { class: "row", id: "dice-join-form" },
    async (f) => {
      const roomName = inputValue(f, "#dice-join-name");
      if (roomName) await join({ roomName });
    },
    h("input", { id: "dice-join-name", testid: "dice-join-name", class: "grow", placeholder: "Room name" }),
    h("button", { type: "submit", testid: "dice-join", text: "Join" }),
    h("button", {
      type: "button",
      testid: "dice-spectate",
      text: "Watch",
      on: {
        click: () => {
          const roomName = inputValue(document, "#dice-join-name");
          if (roomName) void join({ roomName, spectate: true });
        },
      },
    }),
  );

  append(
    els.home,
    h(
      "div",
      { class: "grid two" },
      h(
        "div",
        { class: "stack" },
        h("div", { class: "card" }, h("h2", { text: "New game" }), create),
        h("div", { class: "card" }, h("h2", { text: "Join by name" }), joinByName),
        h(
          "div",
          { class: "card" },
          h("h2", { text: "Quick match" }),
          h("p", { class: "muted small", text: "Play the next person who is looking for a game, or wait for one." }),
          actionButton("Find me an opponent", () => join({ quick: true }), {
            class: "primary",
            testid: "dice-quick",
          }),
        ),
      ),
      h(
        "div",
        { class: "card" },
        h(
          "div",
          { class: "row" },
          h("h2", { text: "Open rooms", attrs: { style: "margin:0" } }),
          h("div", { class: "spacer" }),
          h("span", { class: "muted small", text: "refreshes every 3 s" }),
        ),
        h(
          "table",
          { attrs: { style: "width:100%;border-collapse:collapse;margin-top:8px" } },
          h(
            "thead",
            {},
            h(
              "tr",
              { class: "muted small", attrs: { style: "text-align:left" } },
              h("th", { text: "Room" }),
              h("th", { text: "Status" }),
              h("th", { text: "Players" }),
              h("th", { text: "Watching" }),
              h("th"),
            ),
          ),
          els.rooms,
        ),
      ),
    ),
  );

  els.ready.addEventListener("click", () => {
    if (!room) return;
    room.request(DiceMessage.ready).catch((e) => showError(e));
  });
  els.roll.addEventListener("click", () => {
    if (!room || els.roll.disabled) return;
    rolledAtTurn = room.state.turnNumber;
    els.roll.disabled = true;
    room.request(DiceMessage.roll).catch((e) => {
      rolledAtTurn = -1;
      render();
      showError(e);
    });
  });

  append(
    els.game,
    els.banner,
    h(
      "div",
      { class: "card" },
      h(
        "div",
        { class: "row" },
        els.title,
        els.status,
        els.role,
        els.target,
        els.countdown,
        h("div", { class: "spacer" }),
        actionButton("Simulate a network drop", simulateDrop, {
          class: "link",
          testid: "dice-simulate-drop",
          title: "Cut this tab's connection to see the automatic reconnection",
        }),
        actionButton("Leave", () => exit(), { testid: "dice-leave" }),
      ),
      els.players,
      els.turn,
      h(
        "div",
        { class: "die-area" },
        els.die,
        h("div", { class: "stack" }, h("div", { class: "row" }, els.ready, els.roll), els.lastRoll),
      ),
      els.spectators,
    ),
    h("div", { class: "card" }, h("h3", { text: "Rounds" }), els.log),
    els.winner,
  );
  return h("div", {}, els.home, els.game);
}

export function shown(): void {
  if (room) return;
  void refreshRooms();
  window.clearInterval(listTimer);
  listTimer = window.setInterval(() => {
    const visible = !document.getElementById("view-dice")?.classList.contains("hidden");
    if (visible && !room) void refreshRooms();
  }, 3000);
}

export async function stop(): Promise<void> {
  window.clearInterval(listTimer);
  await exit();
}

/** Join the private room of an accepted game invitation (`game_ready {roomId}`). */
export async function joinInvitationRoom(roomId: string, map: string): Promise<void> {
  if (room?.roomId === roomId || joiningId === roomId) return;
  await join({ roomId }, `Private game from an invitation · map ${map}`);
  if (room?.roomId === roomId) {
    invitationMap = map;
    render();
  }
}

async function refreshRooms(): Promise<void> {
  let rooms: RoomListing[];
  try {
    rooms = await list<RoomListing>(`/api/rooms/${enc("bigger_dice")}`);
  } catch (e) {
    showError(e, "loading the room list");
    return;
  }
  if (rooms.length === 0) {
    fill(
      els.rooms,
      h("tr", {}, h("td", { class: "empty", text: "No open rooms — create one.", attrs: { colspan: 5 } })),
    );
    return;
  }
  fill(
    els.rooms,
    ...rooms.map((r) => {
      const name = r.metadata.roomName ?? r.roomId;
      const playing = r.metadata.status && r.metadata.status !== "waiting";
      return h(
        "tr",
        { testid: `dice-room-${name}` },
        h("td", {}, h("b", { text: name })),
        h("td", {}, h("span", { class: `pill${playing ? " accent" : ""}`, text: r.metadata.status ?? "?" })),
        h("td", { text: `${r.metadata.players ?? "?"}/2` }),
        h("td", { text: String(r.metadata.spectators ?? 0) }),
        h(
          "td",
          { attrs: { style: "text-align:right" } },
          actionButton("Join", () => join({ roomId: r.roomId }), {
            class: "primary",
            testid: "dice-room-join",
            disabled: (r.metadata.players ?? 0) >= 2,
          }),
          " ",
          actionButton("Watch", () => join({ roomId: r.roomId, spectate: true }), {
            testid: "dice-room-watch",
          }),
        ),
      );
    }),
  );
}

async function join(how: DiceJoin, note?: string): Promise<void> {
  if ("roomId" in how) joiningId = how.roomId;
  await exit(true);
  let joined: DiceRoom;
  try {
    joined = await rally().joinDice(how);
  } catch (e) {
    showError(e, "joining the dice room");
    return;
  } finally {
    joiningId = null;
  }
  room = joined;
  invitationMap = null;
  spectating = "spectate" in how && how.spectate === true;
  joinedAt = Date.now();
  rolledAtTurn = -1;
  rematchAsked = false;
  names.clear();
  fill(els.log);
  els.winner.classList.add("hidden");
  els.home.classList.add("hidden");
  els.game.classList.remove("hidden");
  showDie(0);
  if (note) logLine(note);
  if ("quick" in how) logLine("Quick match: waiting for an opponent…");
  window.clearInterval(countdownTimer);
  countdownTimer = window.setInterval(renderCountdown, 250);

  watchRoom(joined, {
    label: "the dice room",
    banner: els.banner,
    onGone: () => {
      if (room === joined) void exit();
    },
  });
  joined.raw.onStateChange(() => render());
  joined.raw.onReconnect(() => render());
  joined.on(DiceEvent.roomJoined, (e) => logLine(`${e.player.username} took a seat`));
  joined.on(DiceEvent.playerLeft, (e) => logLine(`${e.username} left the room`));
  joined.on(DiceEvent.playerDisconnected, (e) =>
    logLine(`${nameOf(e.user_id)} lost their connection — their seat is kept`),
  );
  joined.on(DiceEvent.playerRejoined, (e) => logLine(`${e.username} is back`));
  joined.on(DiceEvent.playerReady, (e) => logLine(`${e.username} is ready`));
  joined.on(DiceEvent.spectatorJoined, (e) => logLine(`${e.username} is watching`));
  joined.on(DiceEvent.spectatorLeft, (e) => logLine(`${e.username} stopped watching`));
  joined.on(DiceEvent.gameStarted, (e) => {
    for (const p of e.players) names.set(p.user_id, p.username);
    // A rematch starts here too: the overlay of the last game goes.
    rematchAsked = false;
    els.winner.classList.add("hidden");
    logLine(`Game on! ${nameOf(e.first_turn ?? "")} rolls first.`, "accent");
  });
  joined.on(DiceEvent.turnChanged, () => render());
  const onRolled = (e: RolledEvent) => {
    showDie(e.roll, true);
    els.lastRoll.textContent = e.auto
      ? `Time ran out: the server rolled ${e.roll} for ${e.player_username}`
      : `${e.player_username} rolled ${e.roll}`;
    els.lastRoll.dataset.auto = String(e.auto === true);
    if (e.auto) logLine(`${e.player_username} ran out of time — rolled ${e.roll} for them`);
  };
  joined.on(DiceEvent.rolled, onRolled);
  joined.on(DiceEvent.roundResult, (e) => {
    const a = `${nameOf(e.player1_id)} ${e.player1_roll}`;
    const b = `${nameOf(e.player2_id)} ${e.player2_roll}`;
    const outcome = e.is_tie ? "tie, no point" : `${nameOf(e.winner_id ?? "")} scores`;
    logLine(`${a} vs ${b} → ${outcome}`, e.is_tie ? "" : "good");
  });
  joined.on(DiceEvent.gameEnded, (e) => showWinner(e));
  joined.on(DiceEvent.rematchRequested, (e) => {
    const mine = e.user_id === me().id;
    if (!mine)
      toast("info", `${e.username ?? nameOf(e.user_id)} wants a rematch`, { testid: "toast-rematch-requested" });
    logLine(mine ? "You asked for a rematch" : `${e.username ?? nameOf(e.user_id)} asked for a rematch`);
    renderRematch(mine ? "asked" : "offered");
  });
  joined.on(DiceEvent.rematchLapsed, (e) => {
    logLine(`No rematch: ${nameOf(e.user_id)} left`);
    renderRematch("lapsed");
  });
  render();
}

async function exit(keepJoining = false): Promise<void> {
  const leaving = room;
  room = null;
  if (!keepJoining) joiningId = null;
  window.clearInterval(countdownTimer);
  await leave(leaving);
  banner(els.banner, null);
  els.winner.classList.add("hidden");
  els.game.classList.add("hidden");
  els.home.classList.remove("hidden");
  if (!keepJoining) void refreshRooms();
}

/** Close the socket as a network failure would: the SDK reconnects and the seat is kept. */
function simulateDrop(): void {
  if (!room) return;
  const wait = 5000 - (Date.now() - joinedAt);
  if (wait > 0) {
    // The SDK only reconnects rooms that have been up for 5 s (its minUptime).
    toast("info", `Wait ${Math.ceil(wait / 1000)} s more: a room must be up for 5 s before the SDK reconnects it`);
    return;
  }
  room.raw.connection.close(CloseCode.MAY_TRY_RECONNECT, "simulated network drop");
}

const nameOf = (id: string) => names.get(id) ?? room?.state.players?.get(id)?.username ?? "someone";

function render(): void {
  if (!room) return;
  const state = room.state;
  if (state.status === undefined) return; // the first state has not arrived yet
  const myId = me().id;
  const players: Array<[string, DicePlayer]> = [];
  state.players?.forEach((p, id) => {
    players.push([id, p]);
    names.set(id, p.username);
  });
  const mine = state.players?.get(myId);
  els.title.textContent = invitationMap ? `Private game · ${invitationMap}` : state.roomName || "Bigger Dice";
  els.status.textContent = state.status.replace(/_/g, " ");
  els.status.className = `pill ${state.status === "in_progress" ? "accent" : state.status === "finished" ? "good" : ""}`;
  els.status.dataset.status = state.status;
  els.target.textContent = `first to ${state.targetScore}`;
  els.role.classList.toggle("hidden", !spectating && !!mine);

  const cards = players.map(([id, p]) =>
    h(
      "div",
      {
        class: `player${state.currentTurn === id && state.status === "in_progress" ? " turn" : ""}`,
        testid: `dice-player-${p.username}`,
        attrs: { "data-score": p.score, "data-ready": String(p.isReady), "data-connected": String(p.connected) },
      },
      h(
        "div",
        { class: "name" },
        avatar(p.username),
        p.username,
        id === myId ? h("span", { class: "muted small", text: "(you)" }) : null,
        p.connected
          ? null
          : h("span", {
              class: "pill bad",
              text: state.status === "in_progress" || state.status === "waiting" ? "reconnecting…" : "left",
            }),
        p.isReady && state.status === "waiting" ? h("span", { class: "pill good", text: "ready" }) : null,
      ),
      h("div", { class: "score", testid: "dice-score", text: String(p.score) }),
    ),
  );
  while (cards.length < 2)
    cards.push(
      h(
        "div",
        { class: "player muted" },
        h("div", { class: "name", text: "Waiting for a player…" }),
        h("div", { class: "score", text: "–" }),
      ),
    );
  fill(els.players, ...cards);

  const myTurn = state.status === "in_progress" && state.currentTurn === myId;
  if (state.status === "waiting") {
    els.turn.textContent =
      players.length < 2 ? "Waiting for a second player…" : "Waiting for both players to be ready…";
  } else if (state.status === "in_progress") {
    els.turn.textContent = myTurn ? "Your turn — roll the die!" : `Waiting for ${nameOf(state.currentTurn)} to roll…`;
  } else if (state.status === "finished") {
    els.turn.textContent = state.winnerId ? `${nameOf(state.winnerId)} won the game` : "The game is over";
  } else {
    els.turn.textContent = "The game was abandoned";
  }
  els.turn.dataset.myTurn = String(myTurn);
  renderCountdown();

  els.ready.classList.toggle("hidden", !mine || state.status !== "waiting");
  els.ready.disabled = !mine || mine.isReady;
  els.ready.textContent = mine?.isReady ? "Ready ✓" : "I'm ready";
  els.roll.classList.toggle("hidden", !mine);
  els.roll.disabled = !myTurn || rolledAtTurn === state.turnNumber;

  const watching: string[] = [];
  state.spectators?.forEach((s) => watching.push(s.username));
  els.spectators.textContent = watching.length ? `Watching: ${watching.join(", ")}` : "";
}

/** Seconds left on the turn clock (`turnEndsAt` is server time; the two clocks agree closely enough for a countdown). */
function renderCountdown(): void {
  const state = room?.state;
  const endsAt = state?.status === "in_progress" ? state.turnEndsAt : 0;
  els.countdown.classList.toggle("hidden", !endsAt);
  if (!endsAt) {
    els.countdown.dataset.seconds = "";
    return;
  }
  const seconds = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
  els.countdown.textContent = `⏱ ${seconds}s to roll`;
  els.countdown.dataset.seconds = String(seconds);
  els.countdown.className = `pill${seconds <= 5 ? " bad" : ""}`;
}

function showDie(value: number, animate = false): void {
  const on = new Set(PIPS[value] ?? []);
  els.die.querySelectorAll(".pip").forEach((pip, i) => pip.classList.toggle("on", on.has(i)));
  els.die.dataset.value = String(value);
  if (animate) {
    els.die.classList.remove("rolling");
    void els.die.offsetWidth; // restart the animation
    els.die.classList.add("rolling");
  }
}

function logLine(text: string, kind: "" | "good" | "accent" = ""): void {
  const li = h(
    "li",
    { testid: "dice-log-line" },
    kind ? h("span", { class: `pill ${kind}`, text: kind === "good" ? "round" : "game" }) : null,
    text,
  );
  els.log.prepend(li);
}

function showWinner(e: GameEndedEvent): void {
  const myId = me().id;
  const won = e.winner_id === myId;
  const reason = e.reason === "forfeit" ? " (the other player left)" : "";
  const title = !e.winner_id ? "Game over" : won ? "You won!" : `${e.winner_username ?? nameOf(e.winner_id)} wins`;
  fill(
    els.winner,
    h(
      "div",
      { class: "winner" },
      h("div", { class: "trophy" }, icon(e.winner_id ? "trophy" : "flag")),
      h("h2", { testid: "dice-winner-title", text: title + reason, attrs: { "data-winner-id": e.winner_id ?? "" } }),
      h(
        "table",
        {},
        ...e.final_scores.map(([id, username, score]) =>
          h(
            "tr",
            {},
            h("td", { text: id === e.winner_id ? `★ ${username}` : username }),
            h("td", {}, h("b", { text: String(score) })),
          ),
        ),
      ),
      h(
        "div",
        { class: "row", attrs: { style: "justify-content:center" } },
        els.rematch,
        h("button", {
          type: "button",
          testid: "dice-winner-stay",
          text: "See the board",
          on: { click: () => els.winner.classList.add("hidden") },
        }),
        actionButton("Back to the rooms", () => exit(), { class: "primary", testid: "dice-winner-close" }),
      ),
    ),
  );
  renderRematch(spectating ? "lapsed" : "open");
  els.winner.classList.remove("hidden");
  if (e.reason === "forfeit") toast("info", "The other player left: the game ends by forfeit");
  if (e.reason === "inactive") toast("info", "A player missed too many turns: the game ends by forfeit");
}

/** The rematch button: open, asked by me (waiting), offered by the other player, or gone. */
function renderRematch(stage: "open" | "asked" | "offered" | "lapsed"): void {
  if (stage === "asked") rematchAsked = true;
  const label = {
    open: "Rematch",
    asked: "Waiting for the other player…",
    offered: "Accept the rematch",
    lapsed: "No rematch",
  }[stage];
  els.rematch.textContent = rematchAsked && stage === "offered" ? "Waiting for the other player…" : label;
  els.rematch.disabled = stage === "lapsed" || rematchAsked;
  els.rematch.dataset.stage = stage;
  els.rematch.classList.toggle("hidden", spectating);
}

function askRematch(): void {
  if (!room || rematchAsked) return;
  els.rematch.disabled = true;
  room.request(DiceMessage.rematch).catch((e) => {
    els.rematch.disabled = false;
    showError(e);
  });
}
