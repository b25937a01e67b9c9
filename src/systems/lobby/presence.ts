import { LobbyEvent, type PresenceEvent } from "./protocol";
import type { ServiceDeps } from "../../services/deps";

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
    const lastSeenAt = online ? null : await this.stampLastSeen(userId);
    const friendIds = await services.friends.friendIds(userId);
    const event: PresenceEvent = online ? { userId, online } : { userId, online, lastSeenAt };
    await Promise.all(friendIds.map((id) => delivery.toUser(id, LobbyEvent.presence, event)));
    if (!online) {
      // Invitations follow both their people: nobody can play one with a user who is gone.
      await services.gameInvitations.expireReceived(userId);
      await services.gameInvitations.expireSent(userId);
    }
  }

  /** Store when the user was last seen (their last device just left); returns it as ISO 8601. */
  private async stampLastSeen(userId: string): Promise<string> {
    const at = this.deps.now();
    await this.deps.db.query("UPDATE users SET last_seen_at = $2 WHERE id = $1", [userId, at]);
    return at.toISOString();
  }
}
