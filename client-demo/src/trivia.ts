/**
 * Trivia: a host creates a session (a few questions), shares its id, starts it and moves
 * through the questions; players join by id, answer against a countdown, watch the live
 * scoreboard and chat. Sessions belong to the user's organization.
 */
import { TriviaEvent, TriviaMessage, type TriviaRoom } from "@rally/client";
import type {
  AnswerMessage,
  ChatMessage as TriviaChat,
  CreateSessionBody,
  KickMessage,
  NewQuestion,
} from "../../src/systems/trivia/protocol";
import type { TriviaParticipant, TriviaState } from "../../src/systems/trivia/TriviaState";
import type { TriviaSession, TriviaSessionStatus } from "../../src/systems/trivia/trivia";
import type { TriviaResults } from "../../src/systems/trivia/triviaResults";
import { api, enc, list } from "./api";
import { leave, watchRoom } from "./rooms";
import { me, rally } from "./session";
import { actionButton, append, banner, fill, form, h, inputValue, showError, time, toast } from "./ui";

interface CreatedSession {
  sessionId: string;
  title: string;
}

const SAMPLE: NewQuestion[] = [
  {
    text: "Which planet is known as the Red Planet?",
    choices: ["Mars", "Venus", "Jupiter", "Mercury"],
    answerIndex: 0,
    timeLimitSec: 20,
  },
  {
    text: "How many sides does a hexagon have?",
    choices: ["Five", "Six", "Seven", "Eight"],
    answerIndex: 1,
    timeLimitSec: 20,
  },
  {
    text: "Which language runs natively in web browsers?",
    choices: ["Python", "Go", "JavaScript", "Rust"],
    answerIndex: 2,
    timeLimitSec: 20,
  },
];
const MAX_CHOICES = 4;

let room: TriviaRoom | null = null;
/** My answer to the open question: its id and the choice I picked. */
let myAnswer: { questionId: string; choiceIndex: number } | null = null;
let correctIndex: number | null = null;
let timeRemaining = 0;

const els = {
  home: h("div", { id: "trivia-home" }),
  questions: h("div", { class: "stack", id: "trivia-questions" }),
  session: h("div", { id: "trivia-session", class: "hidden" }),
  banner: h("div", { class: "banner hidden", testid: "trivia-banner" }),
  title: h("h2", { id: "trivia-title", testid: "trivia-title", attrs: { style: "margin:0" } }),
  status: h("span", { class: "pill", id: "trivia-status", testid: "trivia-status" }),
  sessionId: h("code", { class: "mono", id: "trivia-session-id", testid: "trivia-session-id" }),
  hostControls: h("div", { class: "row hidden", id: "trivia-host-controls" }),
  start: h("button", { type: "button", class: "primary", testid: "trivia-start", text: "Start the quiz" }),
  next: h("button", { type: "button", class: "primary", testid: "trivia-next", text: "Next question" }),
  progress: h("div", { class: "muted", id: "trivia-progress", testid: "trivia-progress" }),
  countdown: h("div", { class: "countdown", id: "trivia-countdown", testid: "trivia-countdown" }),
  question: h("div", { class: "question-text", id: "trivia-question", testid: "trivia-question" }),
  choices: h("div", { class: "choices", id: "trivia-choices", testid: "trivia-choices" }),
  feedback: h("div", {
    class: "muted",
    id: "trivia-feedback",
    testid: "trivia-feedback",
    attrs: { style: "margin-top:10px;min-height:20px" },
  }),
  scoreboard: h("ol", { class: "list", id: "trivia-scoreboard", testid: "trivia-scoreboard" }),
  teams: h("div", { class: "muted small", id: "trivia-teams" }),
  chatLog: h("div", { class: "chat-log", id: "trivia-chat-log", testid: "trivia-chat-log" }),
  results: h("div", { class: "card hidden", id: "trivia-results", testid: "trivia-results" }),
  sessions: h("ul", { class: "list", id: "trivia-sessions", testid: "trivia-sessions" }),
  sessionFilter: h(
    "select",
    { id: "trivia-sessions-status", testid: "trivia-sessions-status" },
    h("option", { value: "", text: "All sessions" }),
    ...(["lobby", "in_progress", "finished", "interrupted"] satisfies TriviaSessionStatus[]).map((s) =>
      h("option", { value: s, text: s.replace("_", " ") }),
    ),
  ),
};

const STATUS_WORDS: Record<TriviaSessionStatus, string> = {
  lobby: "open",
  in_progress: "in progress",
  finished: "finished",
  interrupted: "interrupted",
};

export function mount(): HTMLElement {
  for (const q of SAMPLE.slice(0, 2)) els.questions.appendChild(questionFields(q));

  const host = form(
    { class: "stack", id: "trivia-create-form" },
    async (f) => {
      const body: CreateSessionBody = { title: inputValue(f, "#trivia-new-title"), questions: readQuestions() };
      const created = await api<CreatedSession>("POST", "/api/trivia/sessions", body);
      toast("success", `Session “${created.title}” created`, { detail: "Share its id with the players." });
      await join(created.sessionId);
    },
    h(
      "label",
      {},
      "Title",
      h("input", {
        id: "trivia-new-title",
        testid: "trivia-new-title",
        value: "Friday quiz",
        attrs: { required: true },
      }),
    ),
    els.questions,
    h(
      "div",
      { class: "row" },
      h("button", {
        type: "button",
        testid: "trivia-add-question",
        text: "+ Add a question",
        on: {
          click: () => els.questions.appendChild(questionFields(SAMPLE[els.questions.children.length % SAMPLE.length])),
        },
      }),
      h("div", { class: "spacer" }),
      h("button", { type: "submit", class: "primary", testid: "trivia-create", text: "Create and host" }),
    ),
  );
  const joinForm = form(
    { class: "stack", id: "trivia-join-form" },
    async (f) => {
      const sessionId = inputValue(f, "#trivia-join-id");
      const team = inputValue(f, "#trivia-join-team");
      await join(sessionId, team || undefined);
    },
    h(
      "label",
      {},
      "Session id",
      h("input", {
        id: "trivia-join-id",
        testid: "trivia-join-id",
        placeholder: "paste the id the host shared",
        attrs: { required: true },
      }),
    ),
    h(
      "label",
      {},
      "Team (optional)",
      h("input", { id: "trivia-join-team", testid: "trivia-join-team", placeholder: "e.g. Red" }),
    ),
    h("button", { type: "submit", class: "primary", testid: "trivia-join", text: "Join session" }),
  );

  append(
    els.home,
    h(
      "div",
      { class: "grid two" },
      h(
        "div",
        { class: "card" },
        h("h2", { text: "Join a session" }),
        h("p", { class: "muted small", text: "Sessions belong to an organization: you can join those of your own." }),
        joinForm,
      ),
      h("div", { class: "card" }, h("h2", { text: "Host a session" }), host),
    ),
    h(
      "div",
      { class: "card", attrs: { style: "margin-top:16px" } },
      h(
        "div",
        { class: "row" },
        h("h2", { text: "Your organization's sessions", attrs: { style: "margin:0" } }),
        h("div", { class: "spacer" }),
        els.sessionFilter,
        actionButton("Refresh", () => refreshSessions(), { class: "link", testid: "trivia-sessions-refresh" }),
      ),
      els.sessions,
    ),
  );
  els.sessionFilter.addEventListener("change", () => void refreshSessions());

  els.start.addEventListener("click", () => hostAction(TriviaMessage.start));
  els.next.addEventListener("click", () => hostAction(TriviaMessage.nextQuestion));
  append(els.hostControls, h("span", { class: "pill accent", text: "you are the host" }), els.start, els.next);

  const chatForm = form(
    { class: "row", attrs: { style: "margin-top:8px" } },
    (f) => {
      const input = f.querySelector<HTMLInputElement>("#trivia-chat-input")!;
      const text = input.value.trim();
      if (!text || !room) return;
      const payload: TriviaChat = { text };
      room.send(TriviaMessage.chat, payload);
      input.value = "";
    },
    h("input", {
      id: "trivia-chat-input",
      testid: "trivia-chat-input",
      class: "grow",
      placeholder: "Chat with everyone…",
      attrs: { maxlength: 500 },
    }),
    h("button", { type: "submit", text: "Send", testid: "trivia-chat-send" }),
  );

  append(
    els.session,
    els.banner,
    h(
      "div",
      { class: "space-wrap" },
      h(
        "div",
        { class: "stack" },
        h(
          "div",
          { class: "card" },
          h(
            "div",
            { class: "row" },
            els.title,
            els.status,
            h("div", { class: "spacer" }),
            actionButton("Leave", () => exit(), { testid: "trivia-leave" }),
          ),
          h(
            "div",
            { class: "row small muted", attrs: { style: "margin:6px 0 12px" } },
            "Session id: ",
            els.sessionId,
            h("button", {
              type: "button",
              class: "link",
              text: "Copy",
              on: {
                click: () =>
                  void navigator.clipboard
                    ?.writeText(els.sessionId.textContent ?? "")
                    .then(() => toast("success", "Session id copied")),
              },
            }),
          ),
          els.hostControls,
        ),
        h(
          "div",
          { class: "card" },
          h("div", { class: "row" }, els.progress, h("div", { class: "spacer" }), els.countdown),
          els.question,
          els.choices,
          els.feedback,
        ),
        els.results,
      ),
      h(
        "div",
        { class: "stack" },
        h("div", { class: "card" }, h("h3", { text: "Scoreboard" }), els.scoreboard, els.teams),
        h("div", { class: "card" }, h("h3", { text: "Chat" }), els.chatLog, chatForm),
      ),
    ),
  );
  return h("div", {}, els.home, els.session);
}

export function shown(): void {
  if (room) return;
  if (!me().orgId) {
    toast("warn", "Trivia needs an organization", {
      detail: "Create an organization when you sign up, or join one with an invite code from one of its members.",
    });
    return;
  }
  void refreshSessions();
}

/** The org's sessions, newest first, filtered by status; open and running ones can be joined. */
async function refreshSessions(): Promise<void> {
  const status = els.sessionFilter.value;
  let sessions: TriviaSession[];
  try {
    sessions = await list<TriviaSession>(`/api/trivia/sessions?limit=20${status ? `&status=${enc(status)}` : ""}`);
  } catch (e) {
    showError(e, "loading the trivia sessions");
    return;
  }
  if (sessions.length === 0) {
    fill(
      els.sessions,
      h("li", { class: "empty", text: status ? "No sessions with that status." : "No sessions yet — host one." }),
    );
    return;
  }
  fill(
    els.sessions,
    ...sessions.map((s) =>
      h(
        "li",
        { testid: `trivia-session-${s.title}`, attrs: { "data-status": s.status, "data-session-id": s.id } },
        h(
          "span",
          { class: "who" },
          h("b", { text: s.title }),
          h("div", {
            class: "muted small",
            text: `${s.questionCount} questions · ${s.hostId === me().id ? "you host · " : ""}created ${time(s.createdAt)}`,
          }),
        ),
        h("span", {
          class: `pill${s.status === "in_progress" ? " accent" : s.status === "finished" ? " good" : ""}`,
          text: STATUS_WORDS[s.status],
        }),
        s.status === "lobby" || s.status === "in_progress"
          ? actionButton(s.hostId === me().id ? "Host" : "Join", () => join(s.id), {
              class: "primary",
              testid: "trivia-session-join",
            })
          : null,
      ),
    ),
  );
}

export async function stop(): Promise<void> {
  await exit();
}

function questionFields(q: NewQuestion = SAMPLE[0]!): HTMLElement {
  const index = els.questions.children.length;
  const name = `trivia-answer-${Date.now()}-${index}`;
  const fieldset = h(
    "fieldset",
    { class: "question stack", testid: "trivia-question-fields" },
    h("legend", { text: "Question" }),
    h("input", { class: "q-text", value: q.text, placeholder: "Question", attrs: { required: true } }),
    ...Array.from({ length: MAX_CHOICES }, (_, i) =>
      h(
        "div",
        { class: "row" },
        h("input", {
          type: "radio",
          class: "q-answer",
          title: "the correct answer",
          attrs: { name, value: i, checked: i === q.answerIndex },
        }),
        h("input", {
          class: "q-choice grow",
          value: q.choices[i] ?? "",
          placeholder: `Choice ${i + 1}${i >= 2 ? " (optional)" : ""}`,
        }),
      ),
    ),
    h(
      "div",
      { class: "row" },
      h(
        "label",
        { attrs: { style: "flex-direction:row;align-items:center" } },
        "Seconds ",
        h("input", {
          class: "q-time",
          type: "number",
          value: String(q.timeLimitSec),
          attrs: { min: 1, max: 300, style: "width:80px" },
        }),
      ),
      h("div", { class: "spacer" }),
      h("button", { type: "button", class: "link danger", text: "Remove", on: { click: () => fieldset.remove() } }),
    ),
  );
  return fieldset;
}

/** The form's questions; empty choices are dropped and the answer index follows them. */
function readQuestions(): NewQuestion[] {
  return [...els.questions.querySelectorAll<HTMLFieldSetElement>("fieldset")].map((fs) => {
    const inputs = [...fs.querySelectorAll<HTMLInputElement>(".q-choice")];
    const checked = [...fs.querySelectorAll<HTMLInputElement>(".q-answer")].findIndex((r) => r.checked);
    const kept = inputs.map((input, i) => ({ text: input.value.trim(), i })).filter((c) => c.text);
    return {
      text: fs.querySelector<HTMLInputElement>(".q-text")!.value.trim(),
      choices: kept.map((c) => c.text),
      answerIndex: kept.findIndex((c) => c.i === checked),
      timeLimitSec: Number(fs.querySelector<HTMLInputElement>(".q-time")!.value),
    };
  });
}

async function join(sessionId: string, team?: string): Promise<void> {
  await exit();
  let joined: TriviaRoom;
  try {
    joined = await rally().joinTrivia(sessionId, team ? { team } : {});
  } catch (e) {
    showError(e, "joining the trivia session");
    return;
  }
  room = joined;
  myAnswer = null;
  correctIndex = null;
  timeRemaining = 0;
  fill(els.chatLog);
  els.results.classList.add("hidden");
  els.home.classList.add("hidden");
  els.session.classList.remove("hidden");
  els.sessionId.textContent = sessionId;

  watchRoom(joined, {
    label: "the trivia session",
    banner: els.banner,
    onGone: () => {
      if (room === joined) void exit();
    },
  });
  joined.raw.onStateChange(() => render());
  joined.on(TriviaEvent.connection, () => logChat("", "Connected to the session"));
  joined.on(TriviaEvent.userJoined, (e) => {
    // The event can arrive before the state patch that seats them: name them a moment later.
    if (e.user_id !== me().id)
      window.setTimeout(() => logChat("", `${nameOf(e.user_id)} joined · ${e.participant_count} here`), 200);
  });
  joined.on(TriviaEvent.userLeft, (e) => logChat("", `${nameOf(e.user_id)} left · ${e.participant_count} here`));
  joined.on(TriviaEvent.questionStarted, (e) => {
    myAnswer = null;
    correctIndex = null;
    timeRemaining = e.data.time_limit_sec;
    render();
  });
  joined.on(TriviaEvent.sessionUpdate, (e) => {
    timeRemaining = e.data.time_remaining;
    renderCountdown(e.data.state);
    if (e.data.state === "finished") void showResults(sessionId);
  });
  joined.on(TriviaEvent.questionClosed, (e) => {
    correctIndex = e.data.correct_index;
    render();
  });
  joined.on(TriviaEvent.scoreUpdate, (_e) => render());
  joined.on(TriviaEvent.chat, (e) => logChat(nameOf(e.user_id), e.data.text));
  joined.on(TriviaEvent.chatHistory, (e) => {
    for (const m of e.messages) logChat(m.username, m.data.text);
  });
  joined.on(TriviaEvent.kicked, () => {
    toast("warn", "The host removed you from this session", { testid: "toast-trivia-kicked" });
    // The seat is over: back to the list now rather than wait for the SDK to give up on it.
    if (room === joined) void exit();
  });
  joined.on(TriviaEvent.participantKicked, (e) => {
    if (e.user_id !== me().id) logChat("", `The host removed ${nameOf(e.user_id)}`);
  });
  render();
}

async function exit(): Promise<void> {
  const leaving = room;
  room = null;
  await leave(leaving);
  banner(els.banner, null);
  els.session.classList.add("hidden");
  els.home.classList.remove("hidden");
  if (leaving) void refreshSessions(); // its status may have moved on
}

function kick(userId: string): void {
  if (!room) return;
  const payload: KickMessage = { userId };
  room.request(TriviaMessage.kick, payload).catch((e) => showError(e));
}

function hostAction(type: typeof TriviaMessage.start | typeof TriviaMessage.nextQuestion): void {
  if (!room) return;
  room.request(type).catch((e) => showError(e));
}

async function answer(choiceIndex: number): Promise<void> {
  const question = room?.state.currentQuestion;
  if (!room || !question) return;
  const payload: AnswerMessage = { questionId: question.id, choiceIndex };
  await room.request(TriviaMessage.answer, payload);
  myAnswer = { questionId: question.id, choiceIndex };
  render();
}

function nameOf(userId: string): string {
  if (!room) return "someone";
  if (userId === room.state.hostId) return userId === me().id ? "you (host)" : "the host";
  return room.state.participants?.get(userId)?.username ?? "someone";
}

function render(): void {
  if (!room) return;
  const state = room.state;
  if (state.status === undefined) return; // the first state has not arrived yet
  const isHost = state.hostId === me().id;
  els.title.textContent = state.title || "Trivia";
  els.status.textContent = state.status.replace("_", " ");
  els.status.dataset.status = state.status;
  els.hostControls.classList.toggle("hidden", !isHost);
  els.start.classList.toggle("hidden", state.status !== "lobby");
  els.next.classList.toggle("hidden", state.status !== "question_closed");
  els.next.textContent = state.questionNumber >= state.questionCount ? "Finish the quiz" : "Next question";
  els.progress.textContent = state.questionNumber
    ? `Question ${state.questionNumber} of ${state.questionCount}`
    : `${state.questionCount} questions`;
  renderCountdown(state.status);

  const question = state.currentQuestion;
  const reveal =
    state.status === "question_closed" || state.status === "finished"
      ? (correctIndex ?? state.revealedAnswerIndex)
      : -1;
  if (!question || state.status === "lobby") {
    els.question.textContent = isHost
      ? "Press “Start the quiz” when everyone is here."
      : "Waiting for the host to start…";
    fill(els.choices);
    els.feedback.textContent = "";
  } else {
    els.question.textContent = question.text;
    const mine = myAnswer?.questionId === question.id ? myAnswer.choiceIndex : -1;
    const choices: string[] = [];
    question.choices.forEach((c) => choices.push(c));
    fill(
      els.choices,
      ...choices.map((choice, i) => {
        const classes = [i === mine ? "mine" : "", reveal === i ? "correct" : reveal >= 0 && i === mine ? "wrong" : ""]
          .filter(Boolean)
          .join(" ");
        return actionButton(`${"ABCDEF"[i]}. ${choice}`, () => answer(i), {
          class: classes,
          testid: `trivia-choice-${i}`,
          disabled: isHost || state.status !== "question_active" || mine >= 0,
        });
      }),
    );
    els.feedback.textContent = isHost
      ? "You host this session: players answer, you move on."
      : reveal >= 0
        ? mine < 0
          ? "Time's up — you did not answer."
          : mine === reveal
            ? "✓ Correct!"
            : `✗ Not quite — the answer was ${"ABCDEF"[reveal]}.`
        : mine >= 0
          ? "Answer locked in. Waiting for the others…"
          : "Pick an answer before the time runs out.";
    els.feedback.dataset.result = reveal >= 0 && mine >= 0 ? String(mine === reveal) : "";
  }
  renderScoreboard(state);
}

function renderCountdown(status: string): void {
  const running = status === "question_active";
  els.countdown.textContent = running ? `${timeRemaining}s` : "";
  els.countdown.classList.toggle("low", running && timeRemaining <= 5);
}

function renderScoreboard(state: TriviaState): void {
  const isHost = state.hostId === me().id;
  const rows: TriviaParticipant[] = [];
  state.participants?.forEach((p) => rows.push(p));
  rows.sort((a, b) => b.score - a.score || a.username.localeCompare(b.username));
  if (rows.length === 0) {
    fill(els.scoreboard, h("li", { class: "empty", text: "No players yet." }));
  } else {
    fill(
      els.scoreboard,
      ...rows.map((p, i) =>
        h(
          "li",
          { testid: `trivia-score-${p.username}`, attrs: { "data-score": p.score } },
          h("b", { text: `${i + 1}.`, attrs: { style: "width:22px" } }),
          h("span", { class: `dot${p.connected ? " online" : ""}` }),
          h(
            "span",
            { class: "who" },
            p.username,
            p.userId === me().id ? " (you)" : "",
            p.team ? h("span", { class: "pill", text: p.team, attrs: { style: "margin-left:6px" } }) : null,
          ),
          state.status === "question_active" && p.answered ? h("span", { class: "pill good", text: "answered" }) : null,
          h("b", { text: String(p.score) }),
          isHost && p.connected && state.status !== "finished"
            ? actionButton("Kick", () => kick(p.userId), {
                class: "link danger",
                testid: `trivia-kick-${p.username}`,
                title: `Remove ${p.username} from this session`,
              })
            : null,
        ),
      ),
    );
  }
  const teams: string[] = [];
  state.teams?.forEach((score, team) => teams.push(`${team}: ${score}`));
  els.teams.textContent = teams.length ? `Teams — ${teams.join(" · ")}` : "";
}

function logChat(who: string, text: string): void {
  const line = who
    ? h(
        "p",
        { testid: "trivia-chat-line" },
        h("span", { class: "muted small", text: `${time(Date.now())} ` }),
        h("b", { text: `${who}: ` }),
        text,
      )
    : h("p", { class: "muted small", text });
  els.chatLog.appendChild(line);
  els.chatLog.scrollTop = els.chatLog.scrollHeight;
}

async function showResults(sessionId: string): Promise<void> {
  try {
    const results = await api<TriviaResults>("GET", `/api/trivia/sessions/${enc(sessionId)}/results`);
    fill(
      els.results,
      h("h2", { text: "Final results" }),
      h(
        "ol",
        { class: "list" },
        ...results.items.map((r) =>
          h(
            "li",
            {},
            h("b", { text: `#${r.rank}` }),
            h("span", { class: "who", text: r.username + (r.team ? ` (${r.team})` : "") }),
            h("b", { text: String(r.score) }),
          ),
        ),
      ),
    );
    els.results.classList.remove("hidden");
  } catch (e) {
    showError(e, "loading the final results");
  }
}
