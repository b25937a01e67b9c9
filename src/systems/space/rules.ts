/**
 * Pure rules of metaverse spaces: where an avatar may stand, who may invite, when an invite
 * has expired, and who may take a seat in the live room. No I/O here.
 */

export const DIRECTIONS = ["up", "down", "left", "right"] as const;
export type Direction = (typeof DIRECTIONS)[number];

export type SpaceRole = "admin" | "member";

export interface Bounds {
  width: number;
  height: number;
}

export interface Position {
  x: number;
  y: number;
  direction: Direction;
}

export const isDirection = (v: unknown): v is Direction => v === "up" || v === "down" || v === "left" || v === "right";

/** A finite number in 0..max (NaN and ±Infinity fail the comparisons). */
const isCoordinate = (v: unknown, max: number): v is number => typeof v === "number" && v >= 0 && v <= max;

/**
 * Why a MOVE payload is not a valid position inside `bounds` ("field: problem"), or null when
 * it is. MOVE is the hottest message of the server: this allocates nothing on the valid path.
 */
export function moveError(payload: unknown, bounds: Bounds): string | null {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return "payload: expected an object {x, y, direction}";
  }
  const p = payload as { x?: unknown; y?: unknown; direction?: unknown };
  if (!isCoordinate(p.x, bounds.width)) return `x: must be a finite number between 0 and ${bounds.width}`;
  if (!isCoordinate(p.y, bounds.height)) return `y: must be a finite number between 0 and ${bounds.height}`;
  if (!isDirection(p.direction)) return `direction: must be one of ${DIRECTIONS.join(", ")}`;
  return null;
}

/** Where an avatar appears when the join names no position: the middle, facing down. */
export const defaultPosition = (bounds: Bounds): Position => ({
  x: bounds.width / 2,
  y: bounds.height / 2,
  direction: "down",
});

/**
 * Who may invite: admins always; members only while the space has room (an invite to a full
 * space could not be accepted). Returns the refusal, or null when the invite may go out.
 */
export function inviteRefusal(
  role: SpaceRole | null,
  memberCount: number,
  capacity: number,
): "NO_ACCESS" | "SPACE_FULL" | null {
  if (role === null) return "NO_ACCESS";
  if (role === "admin") return null;
  return hasRoomForMember(memberCount, capacity) ? null : "SPACE_FULL";
}

/** A space takes another member while its members are fewer than its capacity. */
export const hasRoomForMember = (memberCount: number, capacity: number): boolean => memberCount < capacity;

/** When an invite sent at `now` expires. */
export const inviteExpiresAt = (now: Date, expiryHours: number): Date =>
  new Date(now.getTime() + expiryHours * 3_600_000);

/** An invite has expired once `now` reaches its expiry; one without an expiry never does. */
export function isInviteExpired(expiresAt: Date | string | null, now: Date): boolean {
  if (expiresAt === null) return false;
  return new Date(expiresAt).getTime() <= now.getTime();
}

/**
 * Whether a user may take a seat in the live room, given who is present (seats held for
 * dropped clients included). One seat per user, at most `capacity` seats.
 */
export function seatRefusal(present: number, capacity: number, alreadySeated: boolean): "SECOND_SEAT" | "FULL" | null {
  if (alreadySeated) return "SECOND_SEAT";
  if (present >= capacity) return "FULL";
  return null;
}

// ---- membership and settings ----------------------------------------------------------

/** Who is in a space right now, as far as membership changes care. */
export interface Roster {
  members: number;
  admins: number;
}

/**
 * May a member with `role` stop being an admin (leave, or be demoted)? The last admin may
 * not while others remain, or the space would have nobody to run it. Null when allowed.
 */
export function lastAdminRefusal(role: SpaceRole, roster: Roster): "LAST_ADMIN" | null {
  return role === "admin" && roster.admins <= 1 && roster.members > 1 ? "LAST_ADMIN" : null;
}

/** A new capacity may never be below the number of members. */
export function capacityRefusal(capacity: number, members: number): "CAPACITY_BELOW_MEMBERS" | null {
  return capacity < members ? "CAPACITY_BELOW_MEMBERS" : null;
}
