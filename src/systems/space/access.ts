import type { AuthUser } from "../../auth/tokens";
import { appContext } from "../../context";
import { AppError } from "../../errors";
import { parseJoinOptions } from "../../realtime/RallyRoom";
import { SpaceJoinOptions } from "./protocol";
import { moveError, type Bounds } from "./rules";

/** A live space room in this process, as a join's routing sees it. */
export interface LiveSpace {
  boundsForMember(userId: string): Promise<Bounds | null>;
}

/**
 * Route a space join: members only, and a starting position inside the space. A live room in
 * this process that already knows the user is a member answers without the database.
 */
export async function routeSpaceJoin(
  user: AuthUser,
  options: Record<string, unknown>,
  liveRoom: (spaceId: string) => LiveSpace | null,
): Promise<SpaceJoinOptions> {
  const { spaceId, initialPosition } = parseJoinOptions(SpaceJoinOptions, options);
  const bounds =
    (await liveRoom(spaceId)?.boundsForMember(user.id)) ??
    (await appContext().services.spaces.requireMember(spaceId, user.id)).space;
  const problem = initialPosition ? moveError(initialPosition, bounds) : null;
  if (problem) throw new AppError("INVALID_REQUEST", `initialPosition.${problem}`);
  return { spaceId, initialPosition };
}
