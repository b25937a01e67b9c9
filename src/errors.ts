/**
 * The one table of error codes (docs/PROTOCOL.md §1). Services throw AppError with a code
 * from here; only the edges (REST error middleware, room handler wrapper) turn it into a
 * response, using the HTTP status listed beside each code.
 */
export const ERROR_CODES = {
  INVALID_MESSAGE: { status: 400, message: "Invalid message" },
  INVALID_REQUEST: { status: 400, message: "Invalid request" },
  UNKNOWN_MESSAGE: { status: 400, message: "Unknown message type" },
  UNAUTHORIZED: { status: 401, message: "Authentication required" },
  FORBIDDEN: { status: 403, message: "Forbidden" },
  NOT_FOUND: { status: 404, message: "Not found" },
  USERNAME_TAKEN: { status: 409, message: "Username is already taken" },
  RATE_LIMITED: { status: 429, message: "Too many requests" },
  PAYLOAD_TOO_LARGE: { status: 413, message: "Request body too large" },
  REQUEST_TIMEOUT: { status: 408, message: "Request body not received in time" },
  NOT_YOUR_TURN: { status: 409, message: "It's not your turn to roll" },
  GAME_NOT_IN_PROGRESS: { status: 409, message: "The game is not in progress" },
  SPECTATOR_CANNOT_ACT: { status: 403, message: "Spectators cannot act" },
  ALREADY_READY: { status: 409, message: "You are already ready" },
  NOT_FRIENDS: { status: 403, message: "You can only invite friends" },
  USER_OFFLINE: { status: 409, message: "That user is offline" },
  DUPLICATE_INVITATION: { status: 409, message: "An invitation between you is already pending" },
  INVITATION_NOT_FOUND: { status: 404, message: "Invitation not found" },
  INVITATION_NOT_PENDING: { status: 409, message: "Invitation is no longer pending" },
  SPACE_NOT_FOUND: { status: 404, message: "Space not found" },
  ALREADY_MEMBER: { status: 409, message: "User is already a member of this space" },
  SPACE_FULL: { status: 409, message: "Space is full" },
  INVITE_EXPIRED: { status: 410, message: "Invite has expired" },
  NO_ACCESS: { status: 403, message: "You do not have access to this space" },
  REMATCH_NOT_AVAILABLE: { status: 409, message: "A rematch is not available now" },
  NOT_SPACE_MEMBER: { status: 404, message: "That user is not a member of this space" },
  LAST_ADMIN: { status: 409, message: "The last admin cannot leave or step down while others remain" },
  CAPACITY_BELOW_MEMBERS: { status: 409, message: "Capacity cannot be below the member count" },
  NOT_HOST: { status: 403, message: "Only the host can do that" },
  SESSION_NOT_ACTIVE: { status: 409, message: "No question is open" },
  ALREADY_ANSWERED: { status: 409, message: "You already answered this question" },
  HOST_CANNOT_ANSWER: { status: 403, message: "The host does not answer" },
  NOT_PARTICIPANT: { status: 403, message: "You are not a participant" },
  BLOCKED: { status: 403, message: "You cannot interact with this user" },
  NOT_CONNECTED: { status: 403, message: "You can only message your matches and friends" },
  CONVERSATION_CLOSED: { status: 403, message: "This conversation is closed" },
  DUPLICATE_REPORT: { status: 409, message: "You already have an open report about this user" },
  CONFLICT: { status: 409, message: "Conflict" },
  NOT_ORG_MEMBER: { status: 403, message: "You are not a member of this organization" },
  NOT_ORG_ADMIN: { status: 403, message: "Only an organization's admins and owners can do that" },
  ORG_TAKEN: { status: 409, message: "An organization with that id already exists" },
  LAST_OWNER: { status: 409, message: "The last owner cannot leave the organization" },
  INVITE_CODE_NOT_FOUND: { status: 404, message: "Invite code not found" },
  INVITE_CODE_USED_UP: { status: 410, message: "Invite code has been used up" },
  ROOM_EXISTS: { status: 409, message: "A room for this key is already open: join it" },
  TOO_MANY_ROOMS: { status: 429, message: "You have as many open rooms of this kind as you may" },
  TOO_MANY_CONNECTIONS: { status: 429, message: "You hold as many connections to this kind of room as you may" },
  UNAVAILABLE: { status: 503, message: "Service temporarily unavailable" },
  INTERNAL: { status: 500, message: "Internal server error" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CODES[code].message);
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Postgres connection-level failures (server down, restarting): answered as UNAVAILABLE. */
export function isDatabaseUnavailable(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | null;
  if (!err) return false;
  if (
    err.code &&
    ["ECONNREFUSED", "ECONNRESET", "57P01", "57P02", "57P03", "08006", "08001", "08003"].includes(err.code)
  ) {
    return true;
  }
  return /Connection terminated|connect ECONNREFUSED|terminating connection|Client has encountered a connection error/i.test(
    err.message ?? "",
  );
}

/** Turn any thrown value into an AppError; unknown errors become INTERNAL (the caller logs them). */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (isDatabaseUnavailable(e)) return new AppError("UNAVAILABLE");
  return new AppError("INTERNAL");
}

/** Details of a RATE_LIMITED refusal: the REST edge turns it into a `Retry-After` header. */
export interface RetryAfter {
  retryAfterSeconds: number;
}

export function rateLimited(retryAfterSeconds: number, message?: string): AppError {
  return new AppError("RATE_LIMITED", message, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  } satisfies RetryAfter);
}

export const retryAfterOf = (e: AppError): number | undefined =>
  (e.details as Partial<RetryAfter> | undefined)?.retryAfterSeconds;
