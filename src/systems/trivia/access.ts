import type { AuthUser } from "../../auth/tokens";
import { AppError } from "../../errors";
import { parseJoinOptions } from "../../realtime/RallyRoom";
import { TriviaJoinOptions } from "./protocol";
import type { TriviaService, TriviaSession } from "./trivia";

/** Join options as routed: the routing fields are the server's, never the client's. */
export interface TriviaRoomOptions {
  orgId: string;
  sessionId: string;
  team?: string;
}

/** What admitting a user reads. */
export interface AccessDeps {
  orgs: { isMember(orgId: string, userId: string): Promise<boolean> };
  trivia: Pick<TriviaService, "find" | "isKicked">;
}

/** Refuse a session that can no longer be played (its results are written). */
export function refuseEnded(session: Pick<TriviaSession, "status">): void {
  if (session.status === "finished") throw new AppError("SESSION_NOT_ACTIVE", "The session has finished");
  if (session.status === "interrupted") throw new AppError("SESSION_NOT_ACTIVE", "The session was interrupted");
}

/**
 * Who may take a seat in a session: a token with an org, a member of that org (the claim
 * alone is not access), a playable session of that org (another org's is "not found", like
 * an unknown one), and not removed by its host. Returns the routed options: the org is the
 * token's, whatever the client sent.
 */
export async function admit(services: AccessDeps, user: AuthUser, options: unknown): Promise<TriviaRoomOptions> {
  if (!user.orgId) throw new AppError("UNAUTHORIZED", "token has no org_id");
  if (!(await services.orgs.isMember(user.orgId, user.id)))
    throw new AppError("NOT_ORG_MEMBER", "You are not a member of this organization");
  const { sessionId, team } = parseJoinOptions(TriviaJoinOptions, options);
  const session = await services.trivia.find(user.orgId, sessionId);
  if (!session) throw new AppError("NOT_FOUND", "Trivia session not found");
  refuseEnded(session);
  if (await services.trivia.isKicked(session.id, user.id))
    throw new AppError("FORBIDDEN", "The host removed you from this session");
  return { orgId: user.orgId, sessionId, team };
}

/** The session and its questions for a new room, while it is still playable. */
export async function loadPlayable(trivia: Pick<TriviaService, "loadForRoom">, options: TriviaRoomOptions) {
  const loaded = await trivia.loadForRoom(options.orgId, options.sessionId);
  if (!loaded) throw new AppError("NOT_FOUND", "Trivia session not found");
  refuseEnded(loaded.session);
  return loaded;
}
