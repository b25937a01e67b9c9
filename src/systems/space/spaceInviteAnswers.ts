import { AppError } from "../../errors";
import { LobbyEvent } from "../lobby/protocol";
import { logger } from "../../logger";
import type { Queryable } from "../../db";
import type { Infra } from "../../services/infra";
import type { UsersService } from "../identity/users";
import type { Notification, NotificationsService } from "../lobby/notifications";
import { isUuid } from "../../db/uuid";
import { hasRoomForMember, isInviteExpired } from "./rules";
import {
  inviteData,
  inviteNotFound,
  SPACE_INVITE,
  type InviteData,
  type InviteRow,
  type SpaceRef,
  type UserRef,
} from "./inviteRecords";

/** What the sender of an answered invite is told (stored with the answer, delivered after). */
interface AnswerForSender {
  notification: Notification;
  event: {
    invite: { id: string; space: SpaceRef; outcome: "accepted" | "declined" };
    user: UserRef;
  };
  sender: { username: string; avatarUrl: string | null };
}

/**
 * Answering space invites: the invitee accepts (and becomes a member, never past the space's
 * capacity) or declines, and the sender hears the answer; a block withdraws the pair's
 * pending invites as declined.
 */
export class SpaceInviteAnswersService {
  constructor(
    private readonly deps: Pick<Infra, "db" | "delivery" | "now"> & {
      users: UsersService;
      notifications: NotificationsService;
    },
  ) {}

  /**
   * Accept an invite addressed to the caller. The space row is locked while its members are
   * counted, and the membership and the invite's outcome commit together, so concurrent
   * accepts never take a space past its capacity.
   */
  async acceptInvite(userId: string, notificationId: string): Promise<{ space: SpaceRef }> {
    const accepted = await this.deps.db.transaction(async (tx) => {
      const { invite, data } = await this.lockPendingInvite(tx, userId, notificationId);
      const { rows } = await tx.query<{ id: string; name: string; capacity: number }>(
        "SELECT id, name, capacity FROM spaces WHERE id = $1 FOR UPDATE",
        [data.spaceId],
      );
      const space = rows[0];
      if (!space) throw new AppError("SPACE_NOT_FOUND");
      const { rows: counts } = await tx.query<{ members: number; already: boolean }>(
        `SELECT count(*)::int AS members, coalesce(bool_or(user_id = $2), false) AS already
           FROM space_members WHERE space_id = $1`,
        [space.id, userId],
      );
      const { members, already } = counts[0]!;
      if (already) throw new AppError("ALREADY_MEMBER");
      if (!hasRoomForMember(members, space.capacity)) throw new AppError("SPACE_FULL");
      await tx.query("INSERT INTO space_members (space_id, user_id, role) VALUES ($1, $2, 'member')", [
        space.id,
        userId,
      ]);
      await this.answer(tx, invite.id, "accepted");
      const toSender = await this.storeAnswerForSender(tx, userId, notificationId, data, "accepted");
      return { result: { space: { id: space.id, name: space.name } }, toSender };
    });
    await this.answered(userId, notificationId, accepted.toSender);
    return accepted.result;
  }

  /** Decline an invite addressed to the caller. */
  async declineInvite(userId: string, notificationId: string): Promise<{ space: SpaceRef }> {
    const declined = await this.deps.db.transaction(async (tx) => {
      const { invite, data } = await this.lockPendingInvite(tx, userId, notificationId);
      await this.answer(tx, invite.id, "declined");
      const toSender = await this.storeAnswerForSender(tx, userId, notificationId, data, "declined");
      return { result: { space: { id: data.spaceId, name: data.spaceName } }, toSender };
    });
    await this.answered(userId, notificationId, declined.toSender);
    return declined.result;
  }

  /**
   * A block ends the pair's pending space invites, either way, inside the blocker's
   * transaction: they read as declined. Returns the invitees and invites to announce.
   */
  async withdrawInvitesBetween(a: string, b: string, tx: Queryable): Promise<Array<{ id: string; user_id: string }>> {
    const { rows } = await tx.query<{ id: string; user_id: string }>(
      `UPDATE notifications
          SET is_active = false, status = 'read', updated_at = now(),
              data = data || jsonb_build_object('outcome', 'declined', 'answeredAt', $3::text)
        WHERE kind = '${SPACE_INVITE}' AND is_active
          AND ((user_id = $1::uuid AND data->>'fromUserId' = $2::text) OR (user_id = $2::uuid AND data->>'fromUserId' = $1::text))
        RETURNING id, user_id`,
      [a, b, this.deps.now().toISOString()],
    );
    return rows;
  }

  /** The invitees of withdrawn invites recount their unread notifications. */
  async announceWithdrawn(withdrawn: Array<{ id: string; user_id: string }>): Promise<void> {
    await Promise.all(withdrawn.map((w) => this.answered(w.user_id, w.id)));
  }

  /**
   * Lock the caller's pending, unexpired space invite. Another user's invite is "not found",
   * exactly like a missing one; an answered one is no longer pending.
   */
  private async lockPendingInvite(
    tx: Queryable,
    userId: string,
    notificationId: string,
  ): Promise<{ invite: InviteRow; data: InviteData }> {
    if (!isUuid(notificationId)) throw inviteNotFound();
    const { rows } = await tx.query<InviteRow>(
      `SELECT id, user_id, data, status, is_active, created_at, expires_at
         FROM notifications WHERE id = $1 AND user_id = $2 AND kind = '${SPACE_INVITE}' FOR UPDATE`,
      [notificationId, userId],
    );
    const invite = rows[0];
    if (!invite) throw inviteNotFound();
    if (!invite.is_active) throw new AppError("INVITATION_NOT_PENDING", "Invite has already been answered");
    if (isInviteExpired(invite.expires_at, this.deps.now())) throw new AppError("INVITE_EXPIRED");
    return { invite, data: inviteData(invite) };
  }

  private async answer(tx: Queryable, notificationId: string, outcome: "accepted" | "declined"): Promise<void> {
    await tx.query(
      `UPDATE notifications
          SET is_active = false, status = 'read', updated_at = now(),
              data = data || jsonb_build_object('outcome', $2::text, 'answeredAt', $3::text)
        WHERE id = $1`,
      [notificationId, outcome, this.deps.now().toISOString()],
    );
  }

  /**
   * The sender hears the answer as a stored notification (written with the answer, in its
   * transaction) and as `INVITE_ACCEPTED` / `INVITE_DECLINED` on their lobby.
   */
  private async storeAnswerForSender(
    tx: Queryable,
    userId: string,
    inviteId: string,
    data: InviteData,
    outcome: "accepted" | "declined",
  ): Promise<AnswerForSender> {
    const user = await this.deps.users.require(userId, tx);
    const event = {
      invite: { id: inviteId, space: { id: data.spaceId, name: data.spaceName }, outcome },
      user: { id: user.id, username: user.username },
    };
    const notification = await this.deps.notifications.create(
      {
        userId: data.fromUserId,
        type: "updates",
        kind: outcome === "accepted" ? "space_invite_accepted" : "space_invite_declined",
        title: outcome === "accepted" ? "Invite accepted" : "Invite declined",
        message: `${user.username} ${outcome} your invite to ${data.spaceName}`,
        data: event,
      },
      tx,
    );
    return { notification, event, sender: { username: user.username, avatarUrl: user.avatarUrl } };
  }

  /**
   * An answered invite reads as read: the invitee's lobby recounts its unread notifications,
   * and the sender's lobby hears the answer. Both are stored already: a failed live
   * delivery is logged, not turned into a failed answer.
   */
  private async answered(userId: string, notificationId: string, toSender?: AnswerForSender): Promise<void> {
    try {
      await this.deps.delivery.toUser(userId, LobbyEvent.notificationsChanged, {
        ids: [notificationId],
        status: "read",
      });
      if (!toSender) return; // withdrawn by a block: the sender is not told
      const { notification, event, sender } = toSender;
      await this.deps.notifications.push(notification, sender);
      const type =
        event.invite.outcome === "accepted" ? LobbyEvent.spaceInviteAccepted : LobbyEvent.spaceInviteDeclined;
      await this.deps.delivery.toUser(notification.userId, type, event);
    } catch (err) {
      logger.warn({ err, notificationId }, "space invite answered but a lobby was not told");
    }
  }
}
