/**
 * What every room connection in the demo shares: server `error` events and lost events shown
 * as toasts, a disconnect banner while the SDK reconnects by itself, and a clear word when
 * the connection ends for good.
 */
import { describeClose } from "./errors";
import { trackRoom, type AnyRoom } from "./refresh";
import { banner, showError, toast } from "./ui";

export interface WatchOptions {
  /** Shown as "Connection lost — reconnecting…" on a drop, "Reconnected" after. */
  banner?: HTMLElement;
  /** What the room is, for messages ("the dice room"). */
  label: string;
  /** Called when the connection is over for good (left, kicked, or reconnection failed). */
  onGone?: (code: number) => void;
}

export interface ErrorEvent {
  code: string;
  message: string;
  type?: string;
}

export function watchRoom(room: AnyRoom, opts: WatchOptions): void {
  trackRoom(room);
  room.onMessage("error", (e: ErrorEvent) => {
    showError(e, e.type ? `while sending “${e.type}”` : undefined);
  });
  room.onMessage("events_lost", (e: { count?: number }) => {
    toast("warn", "Some updates were missed while you were away", {
      detail: `${e.count ?? "Some"} events could not be kept`,
    });
  });
  room.onMessage("pong", () => undefined);
  room.onDrop((code) => {
    if (opts.banner) banner(opts.banner, "warn", `Connection lost — reconnecting to ${opts.label}…`);
    console.info("[rally] dropped", opts.label, code);
  });
  room.onReconnect(() => {
    if (!opts.banner) return;
    const el = opts.banner;
    banner(el, "good", "Reconnected — you kept your seat");
    window.setTimeout(() => {
      if (el.textContent?.startsWith("Reconnected")) banner(el, null);
    }, 2500);
  });
  room.onLeave((code, reason) => {
    if (opts.banner) banner(opts.banner, null);
    const problem = describeClose(code, reason);
    if (problem) showError(problem, opts.label);
    opts.onGone?.(code);
  });
  room.onError((code, message) => {
    showError({ code, message }, opts.label);
  });
}

/** Leave quietly (a consented leave; no toast). */
export async function leave(room: AnyRoom | null): Promise<void> {
  if (!room) return;
  try {
    await room.leave(true);
  } catch {
    // already gone
  }
}
