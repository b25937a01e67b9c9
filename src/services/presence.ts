import type { PresenceEvent } from "../protocol/lobby";
import type { ServiceDeps } from "./deps";

/**
 * A user's online status as everyone else sees it. The user's lobby calls `announce` when
 * their first device arrives or their last one is gone; the stale-process sweep calls
 * `pruneDeadProcesses` for users whose lobby died with its process, so friends hear about
 * it and pending invitations expire exactly as if the user had left.
 */
export class PresenceService {
  constructor(private readonly deps: ServiceDeps) {}

  async announce(userId: string, online: boolean): Promise<void> {
    await this.deps.delivery.setOnline(userId, online);
    await this.tellFriends(userId, online);
  }

  async pruneDeadProcesses(aliveProcessIds: Set<string>): Promise<string[]> {
    // Only the ids this process removed: with several survivors each user is announced once.
    const gone = await this.deps.delivery.pruneOnline(aliveProcessIds);
    for (const userId of gone) await this.tellFriends(userId, false);
    return gone;
  }

  private async tellFriends(userId: string, online: boolean): Promise<void> {
    const { delivery, services } = this.deps;
    const friendIds = await services.friends.friendIds(userId);
    const event: PresenceEvent = { userId, online };
    await Promise.all(friendIds.map((id) => delivery.toUser(id, "presence", { ...event })));
    if (!online) await services.gameInvitations.expireReceived(userId);
  }
}
