/** Small DOM helpers shared by every screen: element building, toasts, banners. */
import { describeProblem } from "./errors";

type Child = Node | string | number | null | undefined | false;

export interface Props {
  id?: string;
  class?: string;
  /** Becomes `data-testid` (stable selectors for the e2e test). */
  testid?: string;
  text?: string;
  title?: string;
  type?: string;
  value?: string;
  placeholder?: string;
  disabled?: boolean;
  hidden?: boolean;
  /** Other attributes (data-*, aria-*, min, max, …). */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [E in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[E]) => void };
}

/** Build an element: `h("button", { class: "primary", on: { click } }, "Save")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.id) el.id = props.id;
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  if (props.type) el.setAttribute("type", props.type);
  if (props.value !== undefined) (el as HTMLInputElement).value = props.value;
  if (props.placeholder) el.setAttribute("placeholder", props.placeholder);
  if (props.disabled) (el as HTMLButtonElement).disabled = true;
  if (props.hidden) el.classList.add("hidden");
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    // Through the CSSOM: the page's CSP (style-src 'self') refuses inline style attributes.
    if (name === "style") el.style.cssText = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [event, handler] of Object.entries(props.on ?? {})) {
    // Each handler was typed for its own event name (Props.on), so the pairing holds.
    if (handler) el.addEventListener(event, handler as EventListener);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
}

/** The first letters of a name, for the round avatar badges. */
export function initials(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 2)
      .toUpperCase() || "?"
  );
}

export const avatar = (name: string) => h("span", { class: "avatar", text: initials(name), title: name });

export function time(iso: string | number | Date): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** A button that shows it is busy and reports any failure of its action as a toast. */
export function actionButton(label: string, run: () => unknown, props: Props = {}): HTMLButtonElement {
  const button = h("button", { type: "button", ...props, text: label });
  // Never rejects: a failure is shown as a toast.
  const onClick = async () => {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await run();
    } catch (e) {
      showError(e);
    } finally {
      if (button.isConnected) button.disabled = props.disabled ?? false;
    }
  };
  button.addEventListener("click", () => void onClick());
  return button;
}

/** A form whose submit runs `run` with failures shown as toasts. */
export function form(props: Props, run: (form: HTMLFormElement) => unknown, ...children: Child[]): HTMLFormElement {
  const el = h("form", props, ...children);
  // Never rejects: a failure is shown as a toast.
  const onSubmit = async () => {
    const submit = el.querySelector<HTMLButtonElement>("button[type=submit]");
    if (submit) submit.disabled = true;
    try {
      await run(el);
    } catch (e) {
      showError(e);
    } finally {
      if (submit) submit.disabled = false;
    }
  };
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void onSubmit();
  });
  return el;
}

export function inputValue(root: ParentNode, selector: string): string {
  const el = root.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(selector);
  return el ? el.value.trim() : "";
}

// ---- toasts ----

export type ToastKind = "info" | "success" | "error" | "warn";

export interface ToastAction {
  label: string;
  testid?: string;
  primary?: boolean;
  run: () => unknown;
}

export interface ToastOptions {
  detail?: string;
  actions?: ToastAction[];
  /** Milliseconds before it goes away by itself; 0 keeps it until an action or a click. */
  timeoutMs?: number;
  testid?: string;
}

export function toast(kind: ToastKind, title: string, opts: ToastOptions = {}): HTMLElement {
  const box = document.getElementById("toasts") ?? document.body;
  const el = h(
    "div",
    {
      class: `toast ${kind}`,
      testid: opts.testid ?? "toast",
      attrs: { role: kind === "error" ? "alert" : "status", "data-kind": kind },
    },
    h("div", { class: "title", text: title }),
    opts.detail ? h("div", { class: "detail", text: opts.detail }) : null,
  );
  const close = () => el.remove();
  if (opts.actions?.length) {
    const row = h("div", { class: "row" });
    for (const action of opts.actions) {
      row.appendChild(
        actionButton(
          action.label,
          async () => {
            await action.run();
            close();
          },
          { class: action.primary ? "primary" : "", testid: action.testid },
        ),
      );
    }
    row.appendChild(h("button", { type: "button", class: "link", text: "Close", on: { click: close } }));
    el.appendChild(row);
  } else {
    el.addEventListener("click", close);
  }
  box.appendChild(el);
  const timeout = opts.timeoutMs ?? (opts.actions?.length ? 0 : kind === "error" ? 9000 : 5000);
  if (timeout > 0) setTimeout(close, timeout);
  return el;
}

/** Show any failure (REST envelope, request rejection, room `error` event, refused join) in words. */
export function showError(e: unknown, context?: string): void {
  const problem = describeProblem(e);
  const detail = [context, problem.detail].filter(Boolean).join(" — ");
  toast("error", problem.title, { detail: detail || undefined, testid: "toast-error" });
  // Kept in the console and in window.rallyProblems too, with the raw code, for whoever is
  // debugging (the e2e test reads it to make sure no step met an error).
  console.warn("[rally]", problem.code, problem.title, problem.detail ?? "", e);
  problems.push({ ...problem, context, at: new Date().toISOString() });
}

const problems: Array<ReturnType<typeof describeProblem> & { context?: string; at: string }> = [];
(window as unknown as { rallyProblems: typeof problems }).rallyProblems = problems;

/** A banner inside a view (e.g. "Connection lost — reconnecting…"). */
export function banner(el: HTMLElement, kind: "warn" | "good" | null, text = ""): void {
  el.className = kind ? `banner ${kind}` : "banner hidden";
  el.textContent = text;
}

// ---- icons (inline SVG: no emoji font needed) ----

const ICONS = {
  bell: '<path d="M12 3a6 6 0 0 0-6 6v3.6L4.3 16h15.4L18 12.6V9a6 6 0 0 0-6-6Z"/><path d="M9.5 19a2.5 2.5 0 0 0 5 0"/>',
  trophy:
    '<path d="M7 4h10v5a5 5 0 0 1-10 0V4Z"/><path d="M7 6H4v2a3 3 0 0 0 3 3M17 6h3v2a3 3 0 0 1-3 3"/><path d="M12 14v4M8 21h8M9 18h6"/>',
  flag: '<path d="M5 21V4M5 4h11l-2 4 2 4H5"/>',
} as const;

export function icon(name: keyof typeof ICONS, size = 18): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.8");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = ICONS[name];
  return svg;
}
