import type { Seat } from "../../realtime/seats";

/** What the bigger_dice room keeps per seat (RallyRoom's `seats`): a seat plays or watches. */
export interface DiceSeat {
  role: "player" | "spectator";
}

type DiceSeats = Iterable<Pick<Seat<DiceSeat>, "sessionId" | "userId" | "data">>;

/** Spectator seats taken (MAX_SPECTATORS counts seats: each device of a spectator takes one). */
export function spectatorSeats(seats: DiceSeats): number {
  let watching = 0;
  for (const seat of seats) if (seat.data?.role === "spectator") watching++;
  return watching;
}

/** Whether `userId` still watches from a seat other than `leaving` (a spectator stops with their last seat). */
export function watchesElsewhere(seats: DiceSeats, userId: string, leaving: string): boolean {
  for (const seat of seats) {
    if (seat.userId === userId && seat.sessionId !== leaving && seat.data?.role === "spectator") return true;
  }
  return false;
}
