/**
 * Game-invitation policy (docs/PROTOCOL.md §3 `user_lobby`), as pure decisions: the service
 * gathers the facts from the database and presence, these functions say yes or which error.
 * Time is always passed in, so tests can move it.
 */

export type InvitationStatus = "pending" | "accepted" | "declined" | "expired";

export type InvitationRefusalCode =
  | "INVALID_MESSAGE"
  | "NOT_FOUND"
  | "NOT_FRIENDS"
  | "BLOCKED"
  | "USER_OFFLINE"
  | "DUPLICATE_INVITATION"
  | "RATE_LIMITED"
  | "INVITATION_NOT_FOUND"
  | "INVITATION_NOT_PENDING";

export type Decision = { ok: true } | { ok: false; code: InvitationRefusalCode; message: string };

const allow: Decision = { ok: true };
const refuse = (code: InvitationRefusalCode, message: string): Decision => ({ ok: false, code, message });

/** The rate limit's rolling window. */
export const RATE_WINDOW_MS = 60_000;
/**
 * The source product drops a repeated invitation from the same sender over the same
 * friendship within 2 s; here the server refuses it, even when the first one was already
 * answered, so a double click never makes a second event.
 */
export const DEDUP_WINDOW_MS = 2_000;

/** Stored sends (the only ones that count) inside the rolling window ending at `now`. */
export function sendsInWindow(sentAt: readonly Date[], now: Date, windowMs = RATE_WINDOW_MS): number {
  const since = now.getTime() - windowMs;
  return sentAt.filter((t) => t.getTime() > since && t.getTime() <= now.getTime()).length;
}

/** Whether one more send fits `limit` per rolling minute, and if not, when the next one will. */
export function rateLimitVerdict(
  sentAt: readonly Date[],
  now: Date,
  limit: number,
): { allowed: true } | { allowed: false; retryAfterMs: number } {
  const since = now.getTime() - RATE_WINDOW_MS;
  const inWindow = sentAt.map((t) => t.getTime()).filter((t) => t > since && t <= now.getTime());
  if (inWindow.length < limit) return { allowed: true };
  // The window frees a slot when its oldest sends (enough to go back under the limit) age out.
  const sorted = inWindow.sort((a, b) => a - b);
  const freesAt = sorted[inWindow.length - limit]! + RATE_WINDOW_MS;
  return { allowed: false, retryAfterMs: Math.max(1, freesAt - now.getTime()) };
}

/** What the service knows when a user asks to send an invitation. */
export interface SendFacts {
  senderId: string;
  receiverId: string;
  receiverExists: boolean;
  /** Either user blocks the other (the friendship has ended too, but the block is what to say). */
  blocked?: boolean;
  areFriends: boolean;
  receiverOnline: boolean;
  /** A pending invitation between the two, in either direction. */
  pendingBetween: boolean;
  /** When this sender last invited this receiver (any status), if ever. */
  lastSentToReceiverAt: Date | null;
  /** Creation times of the sender's stored invitations (the last minute's are enough). */
  recentSends: readonly Date[];
  limitPerMinute: number;
  now: Date;
}

/**
 * Decide a send. The order is the order a user would fix things in: who (yourself, unknown
 * user), whether you may (friends, online), then whether it repeats (pending pair, the
 * dedup window), then how often (rate limit). Refused sends are never stored, so they never
 * count against the rate limit.
 */
export function decideSend(f: SendFacts): Decision {
  if (f.senderId === f.receiverId) return refuse("INVALID_MESSAGE", "toUserId: you cannot invite yourself");
  if (!f.receiverExists) return refuse("NOT_FOUND", "User not found");
  if (f.blocked) return refuse("BLOCKED", "You cannot interact with this user");
  if (!f.areFriends) return refuse("NOT_FRIENDS", "You can only invite friends");
  if (!f.receiverOnline) return refuse("USER_OFFLINE", "That user is offline");
  if (f.pendingBetween) return refuse("DUPLICATE_INVITATION", "An invitation between you is already pending");
  if (f.lastSentToReceiverAt && f.now.getTime() - f.lastSentToReceiverAt.getTime() < DEDUP_WINDOW_MS) {
    return refuse("DUPLICATE_INVITATION", "You just invited this user: wait a moment before inviting again");
  }
  const rate = rateLimitVerdict(f.recentSends, f.now, f.limitPerMinute);
  if (!rate.allowed) {
    return refuse(
      "RATE_LIMITED",
      `At most ${f.limitPerMinute} invitations a minute: try again in ${Math.ceil(rate.retryAfterMs / 1000)} s`,
    );
  }
  return allow;
}

export type Answer = "accept" | "decline";

/**
 * Decide an answer to an invitation. Only its receiver may answer; to anyone else it does
 * not exist (the same error as an unknown id, so others' invitations are not revealed).
 */
export function decideAnswer(
  invitation: { receiverId: string; status: InvitationStatus } | null,
  actorId: string,
): Decision {
  if (!invitation || invitation.receiverId !== actorId) return refuse("INVITATION_NOT_FOUND", "Invitation not found");
  if (invitation.status !== "pending") {
    return refuse("INVITATION_NOT_PENDING", `Invitation is no longer pending (it is ${invitation.status})`);
  }
  return allow;
}

/** The status an answer moves a pending invitation to. */
export const statusAfter = (answer: Answer): InvitationStatus => (answer === "accept" ? "accepted" : "declined");
