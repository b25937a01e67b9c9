import type { Queryable } from "../../db";
import { LobbyEvent, type InvitationUpdatedEvent } from "./protocol";
import type { Infra } from "../../services/infra";
import type { ExpiredInvitation } from "./gameInvitationRecords";

/**
 * Pending game invitations expire when either of their people is gone (their last lobby
 * device left, or they did not come back after a restart) and when the pair stops being
 * friends (unfriend, block). Both sides hear it on their lobbies.
 */
export class GameInvitationExpiryService {
  /** When this process started: pending invitations from before it survived a restart. */
  private readonly startedAt: Date;

  constructor(private readonly deps: Pick<Infra, "db" | "delivery" | "now">) {
    this.startedAt = deps.now();
  }

  /**
   * The user's last device is gone: their pending received invitations become `expired`,
   * and the senders (and the receiver's other listeners, if any) are told.
   */
  async expireReceived(userId: string, sentSince?: Date): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ id: string; sender_id: string }>(
      `UPDATE game_invitations SET status = 'expired', updated_at = $2
        WHERE receiver_id = $1 AND status = 'pending' AND ($3::timestamptz IS NULL OR created_at >= $3)
        RETURNING id, sender_id`,
      [userId, this.deps.now(), sentSince ?? null],
    );
    await Promise.all(
      rows.flatMap((r) =>
        [r.sender_id, userId].map((to) =>
          this.deps.delivery.toUser(to, LobbyEvent.invitationUpdated, {
            invitationId: r.id,
            status: "expired",
          } satisfies InvitationUpdatedEvent),
        ),
      ),
    );
    return rows.map((r) => r.id);
  }

  /**
   * The sender's last lobby device is gone: an invitation cannot be played without them, so
   * their pending sent invitations become `expired`. Each receiver gets
   * `game_invitation_expired`, and both sides `game_invitation_updated`.
   */
  async expireSent(userId: string): Promise<string[]> {
    const { rows } = await this.deps.db.query<ExpiredInvitation>(
      `UPDATE game_invitations SET status = 'expired', updated_at = $2
        WHERE sender_id = $1 AND status = 'pending'
        RETURNING id, sender_id, receiver_id`,
      [userId, this.deps.now()],
    );
    await this.announceExpired(rows);
    return rows.map((r) => r.id);
  }

  /** Expire the pair's pending invitations inside the caller's transaction (unfriend, block); announce after commit. */
  async expireBetween(a: string, b: string, tx: Queryable): Promise<ExpiredInvitation[]> {
    const { rows } = await tx.query<ExpiredInvitation>(
      `UPDATE game_invitations SET status = 'expired', updated_at = $3
        WHERE ((sender_id = $1 AND receiver_id = $2) OR (sender_id = $2 AND receiver_id = $1)) AND status = 'pending'
        RETURNING id, sender_id, receiver_id`,
      [a, b, this.deps.now()],
    );
    return rows;
  }

  /** Tell both sides of expired invitations: `game_invitation_updated`, and the receiver `game_invitation_expired`. */
  async announceExpired(expired: ExpiredInvitation[]): Promise<void> {
    await Promise.all(
      expired.flatMap((r) => [
        ...[r.sender_id, r.receiver_id].map((to) =>
          this.deps.delivery.toUser(to, LobbyEvent.invitationUpdated, {
            invitationId: r.id,
            status: "expired",
          } satisfies InvitationUpdatedEvent),
        ),
        this.deps.delivery.toUser(r.receiver_id, LobbyEvent.invitationExpired, { invitationId: r.id }),
      ]),
    );
  }

  /**
   * The user's lobby opens while they were offline: a pending invitation to them sent since
   * this process started is left over from a send racing their last leave. Ones from before
   * survived a restart: they are kept for the user's return (see expireAbsentReceivers).
   */
  async expireLeftovers(userId: string): Promise<string[]> {
    return this.expireReceived(userId, this.startedAt);
  }

  /**
   * Once after a (re)start, when the reconnection grace is over: invitations still pending
   * from before the start whose receiver has not come back online expire (the receiver is
   * really gone). A graceful restart therefore expires nothing for users who reconnect.
   */
  async expireAbsentReceivers(): Promise<string[]> {
    const { rows } = await this.deps.db.query<{ receiver_id: string }>(
      "SELECT DISTINCT receiver_id FROM game_invitations WHERE status = 'pending' AND created_at < $1",
      [this.startedAt],
    );
    const expired: string[] = [];
    for (const { receiver_id } of rows) {
      if (await this.deps.delivery.isOnline(receiver_id)) continue;
      expired.push(...(await this.expireReceived(receiver_id)));
    }
    // Invitations follow their sender too: a sender who did not come back is gone as well.
    const { rows: senders } = await this.deps.db.query<{ sender_id: string }>(
      "SELECT DISTINCT sender_id FROM game_invitations WHERE status = 'pending' AND created_at < $1",
      [this.startedAt],
    );
    for (const { sender_id } of senders) {
      if (await this.deps.delivery.isOnline(sender_id)) continue;
      expired.push(...(await this.expireSent(sender_id)));
    }
    return expired;
  }
}
