import { ServerError } from "@colyseus/core";
import type { AuthUser } from "../../auth/tokens";
import { logger } from "../../logger";
import {
  AnswerInvitation,
  LobbyEvent,
  LobbyMessage,
  NotificationIds,
  SendInvitation,
  type LobbyEvents,
  type PresenceEvent,
} from "./protocol";
import { RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import type { DeliveredEvent } from "../../realtime/delivery";
import { isUuid } from "../../db/uuid";
import { UserLobbyState } from "./UserLobbyState";
import { applyPresence, reloadsFor, syncFriends, syncInvitations } from "./projection";

/**
 * `user_lobby` (docs/PROTOCOL.md §3): each user's own real-time channel, one instance per
 * user shared by all their devices (the token decides which; see onAuth).
 *
 * Everything delivered to the owner (`delivery.toUser`, from any room, REST handler or
 * process) is forwarded to every device. Delivered events are handled one at a time, in
 * order: the state change an event implies (unread count, friends, invitations, reloaded
 * from the database) is applied and patched out first, then the event itself is sent, so a
 * client that sees an event also sees the state that goes with it.
 *
 * Presence: the owner is online while this room holds at least one seat of theirs, a
 * dropped device still inside its reconnection window included (a quick reconnect does not
 * flap). Going offline tells friends and expires the owner's pending received invitations.
 */
export class UserLobbyRoom extends RallyRoom<{ state: UserLobbyState }, LobbyEvents> {
  state = new UserLobbyState();
  private ownerId = "";
  private stopDelivery?: () => void;
  private disposed = false;
  /** Whether the owner was last announced online (to presence and friends). */
  private announcedOnline = false;
  /** Delivered events and state reloads, one after another, in order. */
  private events: Promise<void> = Promise.resolve();
  /** Online/offline transitions, one after another. */
  private transitions: Promise<void> = Promise.resolve();

  /**
   * Route by the token, never by what the client sent: `ownerId` is overwritten here, and
   * the matchmaker's `filterBy(["ownerId"])` then finds (or creates) the caller's own lobby.
   */
  /** One lobby per user (a second `create` is refused with ROOM_EXISTS by the directory). */
  static override roomKey(options: Record<string, unknown>): string | null {
    return typeof options.ownerId === "string" ? options.ownerId : null;
  }

  static override route(user: AuthUser): Promise<{ ownerId: string }> {
    return Promise.resolve({ ownerId: user.id });
  }

  async onCreate(options: { ownerId?: unknown }): Promise<void> {
    if (!isUuid(options?.ownerId)) throw new ServerError(400, 'join your lobby with joinOrCreate("user_lobby")');
    const ownerId = options.ownerId;
    this.ownerId = ownerId;
    this.autoDispose = true;

    // Every seat here is the owner's (onJoin refuses anyone else), so handlers act as the owner.
    this.handle(LobbyMessage.sendInvitation, SendInvitation, async (_client, { toUserId, map }) => {
      const invitation = await this.ctx.services.gameInvitations.send(this.ownerId, toUserId, map);
      await this.refresh(() => this.loadInvitations());
      return { invitationId: invitation.id };
    });
    this.handle(LobbyMessage.acceptInvitation, AnswerInvitation, async (_client, { invitationId }) => {
      const { invitation, roomId } = await this.ctx.services.gameInvitations.accept(this.ownerId, invitationId);
      await this.refresh(() => this.loadInvitations());
      return { invitationId, roomId, map: invitation.map };
    });
    this.handle(LobbyMessage.declineInvitation, AnswerInvitation, async (_client, { invitationId }) => {
      await this.ctx.services.gameInvitations.decline(this.ownerId, invitationId);
      await this.refresh(() => this.loadInvitations());
    });
    this.handle(LobbyMessage.readNotifications, NotificationIds, async (_client, { ids }) => {
      await this.ctx.services.notifications.setStatus(this.ownerId, ids, "read");
      await this.refresh(() => this.loadUnread());
    });
    this.handle(LobbyMessage.dismissNotifications, NotificationIds, async (_client, { ids }) => {
      await this.ctx.services.notifications.setStatus(this.ownerId, ids, "dismissed");
      await this.refresh(() => this.loadUnread());
    });

    // Subscribe before loading, so nothing delivered in between is missed.
    this.stopDelivery = await this.ctx.delivery.onUser(ownerId, (event) => this.onDelivered(event));
    try {
      // The owner has no lobby. Unless their lobby is being restarted (still held online), a
      // pending invitation to them is left over from a send racing their last leave.
      if (!(await this.ctx.delivery.isOnline(ownerId)))
        await this.ctx.services.gameInvitationExpiry.expireLeftovers(ownerId);
      await this.inOrder(async () => {
        await Promise.all([this.loadFriends(), this.loadInvitations(), this.loadUnread(), this.loadUnreadMessages()]);
      });
    } catch (e) {
      this.stopDelivery();
      throw e;
    }
  }

  onJoin(client: RallyClient): Promise<void> {
    // Defence in depth: onAuth routes by token, but joinById can name any room.
    if (client.auth?.id !== this.ownerId) throw new ServerError(403, "this is another user's lobby");
    return this.syncPresence();
  }

  onLeave(_client: RallyClient): Promise<void> {
    // A consented leave, or a drop whose reconnection window ran out: the seat goes after this.
    return this.syncPresence();
  }

  /**
   * A graceful restart is not the owner leaving: their devices reconnect to the restarted
   * server (or another process), so they stay online for the reconnection window and their
   * invitations do not expire. If they do not come back, the hold runs out (see Delivery).
   */
  protected override async beforeShutdown(): Promise<void> {
    if (this.announcedOnline) {
      await this.ctx.delivery.holdOnline(this.ownerId, Date.now() + this.ctx.config.RECONNECT_SECONDS * 1000);
    }
  }

  async onDispose(): Promise<void> {
    this.stopDelivery?.();
    this.disposed = true;
    await this.syncPresence();
  }

  /** Forward a delivered event to every device, after the state change it implies. */
  private onDelivered(event: DeliveredEvent<LobbyEvents>): void {
    const { type } = event;
    // Whatever was published is forwarded (a payload that is not an object, as `{}`).
    const payload = (event.payload && typeof event.payload === "object" ? event.payload : {}) as typeof event.payload;
    void this.inOrder(async () => {
      try {
        await this.applyToState(type, payload);
        this.broadcastPatch();
      } catch (err) {
        logger.warn({ err, roomId: this.roomId, type }, "lobby state refresh failed");
      }
      this.broadcastEvent(type, payload);
    });
  }

  private async applyToState(type: keyof LobbyEvents, payload: object): Promise<void> {
    if (type === LobbyEvent.presence) applyPresence(this.state, payload as Partial<PresenceEvent>);
    const reload = reloadsFor(type);
    await Promise.all([
      reload.friends && this.loadFriends(),
      reload.invitations && this.loadInvitations(),
      reload.unread && this.loadUnread(),
      reload.unreadMessages && this.loadUnreadMessages(),
    ]);
  }

  private async loadFriends(): Promise<void> {
    syncFriends(this.state, (await this.ctx.services.friends.list(this.ownerId)).items);
  }

  private async loadInvitations(): Promise<void> {
    syncInvitations(this.state, this.ownerId, await this.ctx.services.gameInvitations.listPending(this.ownerId));
  }

  private async loadUnread(): Promise<void> {
    this.state.unread = await this.ctx.services.notifications.unreadCount(this.ownerId);
  }

  private async loadUnreadMessages(): Promise<void> {
    this.state.unreadMessages = await this.ctx.services.conversationLists.totalUnread(this.ownerId);
  }

  /**
   * Reload state after the owner's own action. The action is already stored (and others
   * told), so a failed reload is logged rather than turned into an error reply; the next
   * delivered event reloads again.
   */
  private refresh(load: () => Promise<void>): Promise<void> {
    return this.inOrder(load).catch((err) => {
      logger.warn({ err, roomId: this.roomId }, "lobby state refresh failed");
    });
  }

  /**
   * Run `work` after every earlier delivered event and reload, then patch the state out
   * at once: a reply or event that follows finds the state already on the client.
   * Errors are the caller's.
   */
  private inOrder(work: () => Promise<void>): Promise<void> {
    const run = this.events.then(work).then(() => void this.broadcastPatch());
    this.events = run.catch(() => undefined);
    return run;
  }

  /**
   * Bring presence in line with the seats held: online with the first, offline after the
   * last. Transitions run one at a time, so a leave racing a join cannot leave them wrong.
   */
  private syncPresence(): Promise<void> {
    const run = this.transitions.then(async () => {
      if (this.shuttingDown) return; // held online through the restart (beforeShutdown)
      const online = !this.disposed && this.holdsASeat();
      if (online === this.announcedOnline) return;
      this.announcedOnline = online;
      await this.ctx.services.presence.announce(this.ownerId, online);
    });
    this.transitions = run.catch((err) => {
      logger.error({ err, roomId: this.roomId, userId: this.ownerId }, "lobby presence update failed");
    });
    return this.transitions;
  }

  /** Whether the owner holds a seat here: a device connected, or held for a dropped one. */
  private holdsASeat(): boolean {
    for (const seat of this.seats.values()) if (!seat.leaving) return true;
    return false;
  }
}
