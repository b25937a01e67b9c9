/**
 * Every error the server can send, in words a person understands. The table is typed by the
 * server's own code list (src/errors.ts), so a new code there breaks this build until it has
 * a sentence here.
 */
import type { ErrorCode } from "../../src/errors";

const FRIENDLY: Record<ErrorCode, string> = {
  INVALID_MESSAGE: "That input was not accepted",
  INVALID_REQUEST: "Some of the details you entered are not valid",
  UNKNOWN_MESSAGE: "The server did not understand that action",
  UNAUTHORIZED: "Please sign in (again)",
  FORBIDDEN: "You are not allowed to do that",
  NOT_FOUND: "We could not find that",
  USERNAME_TAKEN: "That username is already taken — pick another one",
  RATE_LIMITED: "Slow down a little — too many actions at once",
  PAYLOAD_TOO_LARGE: "That was too much to send at once",
  REQUEST_TIMEOUT: "The connection was too slow — try again",
  NOT_YOUR_TURN: "Wait for your turn to roll",
  GAME_NOT_IN_PROGRESS: "The game is not running (both players must be ready)",
  SPECTATOR_CANNOT_ACT: "Spectators can watch but not play",
  ALREADY_READY: "You are already marked as ready",
  NOT_FRIENDS: "You can only invite your friends",
  USER_OFFLINE: "That friend is offline right now",
  DUPLICATE_INVITATION: "There is already a pending invitation between you two",
  INVITATION_NOT_FOUND: "That invitation no longer exists",
  INVITATION_NOT_PENDING: "That invitation was already answered or has expired",
  SPACE_NOT_FOUND: "That space does not exist",
  ALREADY_MEMBER: "That user is already a member of this space",
  SPACE_FULL: "The space is full",
  INVITE_EXPIRED: "That invite has expired",
  NO_ACCESS: "You do not have access to this space",
  NOT_HOST: "Only the host can do that",
  SESSION_NOT_ACTIVE: "No question is open right now",
  ALREADY_ANSWERED: "You already answered this question",
  HOST_CANNOT_ANSWER: "The host runs the quiz and does not answer",
  NOT_PARTICIPANT: "You are not a participant here",
  BLOCKED: "You cannot interact with this user",
  NOT_CONNECTED: "You can only message your matches and friends",
  CONVERSATION_CLOSED: "This conversation has ended",
  DUPLICATE_REPORT: "You already reported this user — the team is on it",
  ROOM_EXISTS: "That room is already open — join it instead",
  TOO_MANY_ROOMS: "You already have as many open rooms as allowed",
  TOO_MANY_CONNECTIONS: "You are connected from too many places at once",
  REMATCH_NOT_AVAILABLE: "A rematch is not possible right now",
  NOT_SPACE_MEMBER: "You are not a member of this space",
  LAST_ADMIN: "A space needs at least one admin",
  CAPACITY_BELOW_MEMBERS: "The space already has more members than that",
  CONFLICT: "That clashes with something that changed meanwhile — try again",
  NOT_ORG_MEMBER: "You are not a member of that organization",
  NOT_ORG_ADMIN: "Only the organization's admins and owners can do that",
  ORG_TAKEN: "That organization already exists — ask a member for an invite code",
  LAST_OWNER: "The last owner cannot leave the organization",
  INVITE_CODE_NOT_FOUND: "That invite code does not exist",
  INVITE_CODE_USED_UP: "That invite code has been used up",
  UNAVAILABLE: "The server is briefly unavailable — try again in a moment",
  INTERNAL: "Something went wrong on the server",
};

/** Refused room joins carry an HTTP-like number instead of a code (docs/PROTOCOL.md §1). */
const JOIN_REFUSALS: Record<number, string> = {
  400: "The room did not accept those options",
  401: "Please sign in (again) to join",
  403: "You are not allowed to join that room",
  404: "That room does not exist (any more)",
  409: "That room is full, or you already have a seat there",
  410: "That room is gone",
  429: "Too many attempts — slow down",
  500: "The server could not open that room",
  503: "The server is briefly unavailable — try again in a moment",
  // The matchmaker's own codes (@colyseus/shared-types ErrorCode).
  520: "There is no such kind of room",
  521: "No open room matches that",
  522: "That room does not exist (any more)",
  523: "The server could not open that room",
  524: "Joining took too long — try again",
  525: "Please sign in (again) to join",
  526: "The room refused to let you in",
};

export interface Problem {
  /** The machine code (for logs and tests): a server code, a join status, or a local one. */
  code: string;
  /** One sentence for the person. */
  title: string;
  /** The server's own explanation, when it adds something (e.g. which field was wrong). */
  detail?: string;
}

/** A failure already put in words for the person, thrown as an Error (describeProblem keeps it as is). */
export class ProblemError extends Error implements Problem {
  constructor(
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(title);
  }
}

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === "string" && Object.prototype.hasOwnProperty.call(FRIENDLY, code);

export function friendly(code: string, serverMessage?: string): Problem {
  const title = isErrorCode(code) ? FRIENDLY[code] : `Unexpected error (${code})`;
  return { code, title, detail: serverMessage && serverMessage !== title ? serverMessage : undefined };
}

/**
 * Any failure as a Problem: a REST envelope (ApiError), a rejected `room.request`
 * (`reason: {code, message}`), an `error` event payload, a refused join (numeric code),
 * a network failure, or anything else thrown.
 */
export function describeProblem(e: unknown): Problem {
  if (e && typeof e === "object") {
    const err = e as { code?: unknown; message?: unknown; reason?: unknown; name?: unknown; title?: unknown };
    if (typeof err.code === "string" && typeof err.title === "string") return e as Problem; // already described
    // room.request(...) rejected by the server's ctx.reject({code, message}).
    if (err.reason && typeof err.reason === "object") return describeProblem(err.reason);
    const message = typeof err.message === "string" ? err.message : undefined;
    if (typeof err.code === "string") {
      if (err.code === "no_handler") return { code: err.code, title: FRIENDLY.UNKNOWN_MESSAGE, detail: message };
      return friendly(err.code, message);
    }
    if (typeof err.code === "number") {
      if (message && /org_id/.test(message)) {
        return {
          code: String(err.code),
          title: "Trivia needs an organization: create an account with one to play",
          detail: message,
        };
      }
      const title = JOIN_REFUSALS[err.code] ?? `The server refused (${err.code})`;
      return { code: String(err.code), title, detail: message && message !== title ? message : undefined };
    }
    if (err.name === "TypeError" && message && /fetch|network/i.test(message)) {
      return { code: "NETWORK", title: "Cannot reach the server", detail: message };
    }
    if (message) return { code: "CLIENT", title: message };
  }
  return { code: "CLIENT", title: String(e) };
}

/** Close codes that end a room connection for a reason worth telling. */
export function describeClose(code: number, reason?: string): Problem | null {
  if (code === 1000 || code === 4000) return null; // a normal, consented leave
  if (code === 4403) return null; // access ended (unmatch, block): the screen says so itself
  if (code === 4008) return { code: "4008", title: "Disconnected for sending too much, too fast", detail: reason };
  if (code === 1009) return { code: "1009", title: "Disconnected: a message was too large", detail: reason };
  if (code === 4001) return { code: "4001", title: "The server is restarting — the room was closed", detail: reason };
  if (code === 4401) return { code: "4401", title: "Your session expired — please sign in again", detail: reason };
  if (code === 4403) return { code: "4403", title: "Your access to this room was revoked", detail: reason };
  if (code === 4003) return { code: "4003", title: "Could not reconnect to the room", detail: reason };
  return { code: String(code), title: "Disconnected from the room", detail: reason || `close code ${code}` };
}
