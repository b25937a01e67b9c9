/**
 * What every room connection in the demo shares: server `error` events and lost events shown
 * as toasts, a disconnect banner while the SDK reconnects by itself, and a clear word when
 * the connection ends for good. Token refresh, seq tracking and recovery are @rally/client's.
 */
import { RoomEvent, type RallyRoom, type RecoveryBase, type RoomSpec } from "@rally/client";
import { describeClose } from "./errors";
import { banner, showError, toast } from "./ui";

export interface WatchOptions {
  /** Shown as "Connection lost — reconnecting…" on a drop, "Reconnected" after. */
  banner?: HTMLElement;
  /** What the room is, for messages ("the dice room"). */
  label: string;
  /** Called when the connection is over for good (left, kicked, or reconnection failed). */
  onGone?: (code: number) => void;
}

export function watchRoom<S extends RoomSpec, R extends RecoveryBase>(room: RallyRoom<S, R>, opts: WatchOptions): void {
  room.on(RoomEvent.error, (e) => {
    showError(e, e.type ? `while sending “${e.type}”` : undefined);
  });
  room.on(RoomEvent.eventsLost, (e) => {
    toast("warn", "Some updates were missed while you were away", {
      detail: `${e.count ?? "Some"} events could not be kept`,
    });
  });
  const raw = room.raw;
  raw.onDrop((code) => {
    if (opts.banner) banner(opts.banner, "warn", `Connection lost — reconnecting to ${opts.label}…`);
    console.info("[rally] dropped", opts.label, code);
  });
  raw.onReconnect(() => {
    if (!opts.banner) return;
    const el = opts.banner;
    banner(el, "good", "Reconnected — you kept your seat");
    window.setTimeout(() => {
      if (el.textContent?.startsWith("Reconnected")) banner(el, null);
    }, 2500);
  });
  raw.onLeave((code, reason) => {
    if (opts.banner) banner(opts.banner, null);
    const problem = describeClose(code, reason);
    if (problem) showError(problem, opts.label);
    opts.onGone?.(code);
  });
  raw.onError((code, message) => {
    showError({ code, message }, opts.label);
  });
}

/** Leave quietly (a consented leave; no toast). */
export async function leave<S extends RoomSpec, R extends RecoveryBase>(room: RallyRoom<S, R> | null): Promise<void> {
  await room?.leave(true);
}
