import { appContext } from "../../context";
import { AppError } from "../../errors";
import type { AuthUser } from "../../auth/tokens";
import { authOf, CLOSE_ACCESS_ENDED, CLOSE_SPACE_DELETED, RallyRoom, type RallyClient } from "../../realtime/RallyRoom";
import type { DeliveredEvent } from "../../realtime/delivery";
import { BroadcastSpaceState, SpaceState, SpaceUser } from "./SpaceState";
import {
  ActionMessage,
  chatMessage,
  SpaceEvent,
  SpaceMessage,
  SPACE_ROOM,
  spaceTopic,
  SpaceTopicEvent,
  type SpaceEvents,
  type SpaceJoinOptions as SpaceJoin,
  type SpaceTopicEvents,
} from "./protocol";
import { defaultPosition, moveError, seatRefusal, type Bounds, type Position } from "./rules";
import { effectiveViewRadius } from "./interest";
import { SpaceViews, type SpaceSeat } from "./views";
import { handleInviteMessages } from "./inviteMessages";
import { MemberSnapshot } from "./memberSnapshot";
import { routeSpaceJoin } from "./access";

/**
 * A metaverse space (docs/PROTOCOL.md §3 `space`): the members present, their avatars'
 * positions, actions and chat, and the space's invites as room messages. One room per space.
 * Movement is the hottest path of the server, so MOVE only validates and mutates state: the
 * patch carries it, with no broadcast, DB write or log line.
 *
 * Interest management (views.ts): each client's state holds its own avatar and those within
 * its view, and patches carry only their moves. A space whose view is unlimited (radius 0)
 * uses the unfiltered state: one patch encoded once for everyone.
 */
export class SpaceRoom extends RallyRoom<{ state: SpaceState }, SpaceEvents, SpaceSeat> {
  private spaceId = "";
  private bounds: Bounds = { width: 0, height: 0 };
  private capacity = 0;
  /** Users removed from the space while seated here: their held seats are not given back. */
  private readonly removed = new Set<string>();
  private stopListening?: () => void;
  private views!: SpaceViews;
  /** Who may join without a database query; loaded once the room listens to its topic. */
  private readonly members = new MemberSnapshot(
    (max) => this.ctx.services.spaces.memberIds(this.spaceId, max),
    this.ctx.config.SPACE_MEMBER_SNAPSHOT_SECONDS * 1000,
  );

  static override roomKey(options: Record<string, unknown>): string | null {
    return typeof options.spaceId === "string" ? options.spaceId : null;
  }

  static override route(user: AuthUser, options: Record<string, unknown>): Promise<SpaceJoin> {
    return routeSpaceJoin(user, options, (spaceId) => {
      const room = appContext().rooms.localRoom(SPACE_ROOM, spaceId);
      return room instanceof SpaceRoom ? room : null;
    });
  }

  /** The bounds when `userId` is a member for sure (the room's member copy); null: ask the database. */
  async boundsForMember(userId: string): Promise<Bounds | null> {
    return (await this.members.has(userId)) ? this.bounds : null;
  }

  async onCreate(options: SpaceJoin): Promise<void> {
    const space = await this.ctx.services.spaces.get(options.spaceId);
    if (!space) throw new AppError("SPACE_NOT_FOUND");
    const config = this.ctx.config;
    this.spaceId = space.id;
    this.bounds = { width: space.width, height: space.height };
    // Capacity is enforced in onJoin, not with maxClients: a room at maxClients locks, and
    // joinOrCreate then opens a second room for the same space (Colyseus #678; 50 racing
    // joins into capacity 10 made five rooms of ten), while joinById answers "locked", not 409.
    this.capacity = space.capacity;
    const viewRadius = effectiveViewRadius(space.viewRadius, config.SPACE_VIEW_RADIUS);
    this.views = new SpaceViews(this.bounds, viewRadius);
    const { name, capacity, width, height } = space;
    const fields = { spaceId: space.id, name, capacity, width, height, viewRadius };
    // Same fields and wire shape either way; the room only reads and writes what both declare.
    this.state = viewRadius > 0 ? new SpaceState(fields) : (new BroadcastSpaceState(fields) as unknown as SpaceState);
    this.views.encodeFromViews(this, config.SPACE_PATCH_MS);
    void this.setMetadata({ spaceId: space.id, name, capacity });
    this.rateLimits.move = {
      perSecond: config.MOVE_RATE_LIMIT_PER_SECOND,
      burst: config.MOVE_RATE_LIMIT_BURST,
      reportEvery: false,
    };

    // Membership and settings change over REST, on any process: the room hears it here.
    this.stopListening = await this.ctx.delivery.onTopic(spaceTopic(space.id), (event) => this.onSpaceChanged(event));
    this.members.prefetch(); // listening now: the copy may be taken (the members who follow the creator)

    this.handle(SpaceMessage.move, null, (client, payload) => this.move(client, payload), { bucket: "move" });
    this.handle(SpaceMessage.action, ActionMessage, (client, { action }) => {
      const { avatar } = this.seatOf(client);
      avatar.action = action;
      const { userId, username } = avatar;
      this.broadcastEvent(SpaceEvent.action, { spaceId: this.spaceId, userId, username, action });
    });
    this.handle(SpaceMessage.chat, chatMessage(config.CHAT_MAX_CHARS), (client, { text, scope }) => {
      const { id: userId, username } = authOf(client);
      const chat = { spaceId: this.spaceId, userId, username, text, scope, timestamp: new Date().toISOString() };
      const nearby = scope === "nearby" ? this.views.nearby(this.seatOf(client)) : null;
      if (!nearby) return this.broadcastEvent(SpaceEvent.chat, chat);
      // "nearby": the sender and those in its view (the same people who see the sender).
      this.sendTo(client, SpaceEvent.chat, chat);
      for (const other of nearby) this.sendTo(other.value.sessionId, SpaceEvent.chat, chat);
    });

    const { spaceInvites, spaceInviteAnswers } = this.ctx.services;
    handleInviteMessages(this.handle.bind(this), spaceInvites, spaceInviteAnswers, this.spaceId);
  }

  /** Validate and move: nothing else happens here (see the class comment). */
  private move(client: RallyClient, payload: unknown): void {
    const problem = moveError(payload, this.bounds);
    if (problem !== null) throw new AppError("INVALID_MESSAGE", problem);
    const seat = this.seats.dataOf(client.sessionId);
    if (!seat) return;
    const { x, y, direction } = payload as Position;
    const avatar = seat.avatar;
    avatar.x = x;
    avatar.y = y;
    avatar.direction = direction;
    this.views.move(seat, x, y);
  }

  /**
   * One seat per user and at most `capacity` present. Checked and taken synchronously,
   * before any await, so joins racing into the room cannot both pass the check.
   */
  onJoin(client: RallyClient, options: SpaceJoin): void {
    const { id: userId, username } = authOf(client);
    // route checked membership of options.spaceId; joinById could aim that at another room.
    if (options.spaceId !== this.spaceId) throw new AppError("NO_ACCESS");
    const refusal = seatRefusal(this.state.users.size, this.capacity, this.state.users.has(userId));
    if (refusal === "SECOND_SEAT") throw new AppError("CONFLICT", "You already have a seat in this space");
    if (refusal === "FULL") throw new AppError("SPACE_FULL");
    this.removed.delete(userId); // invited back: route found the membership again
    const { x, y, direction } = options.initialPosition ?? defaultPosition(this.bounds);
    const avatar = new SpaceUser({ userId, username, x, y, direction, action: "" });
    this.state.users.set(userId, avatar);
    this.seats.setData(client.sessionId, this.views.seat(client, avatar));
    const position = { x, y, direction };
    this.broadcastEvent(SpaceEvent.userJoined, { spaceId: this.spaceId, userId, username, position }, client);
  }

  onDispose(): void {
    this.stopListening?.();
  }

  /** A change committed over REST (docs/PROTOCOL.md §3 `space`): apply it to the live room. */
  private onSpaceChanged(event: DeliveredEvent<SpaceTopicEvents>): void {
    if (event.type === SpaceTopicEvent.memberRemoved) {
      return this.removeMember(event.payload.userId, event.payload.reason);
    }
    if (event.type === SpaceTopicEvent.spaceUpdated) return this.applySettings(event.payload);
    if (event.type === SpaceTopicEvent.spaceDeleted) {
      this.members.close();
      this.broadcastEvent(SpaceEvent.spaceDeleted, { spaceId: this.spaceId });
      void this.disconnect(CLOSE_SPACE_DELETED).catch(() => undefined);
    }
  }

  private removeMember(userId: string, reason: "removed" | "left"): void {
    this.removed.add(userId);
    this.members.removed(userId);
    for (const seat of [...this.seats.ofUser(userId)]) {
      this.sendTo(seat.sessionId, SpaceEvent.removed, { spaceId: this.spaceId, reason });
      seat.client.leave(CLOSE_ACCESS_ENDED, reason === "left" ? "you left this space" : "removed from this space");
    }
  }

  /** New settings: bounds and capacity apply to the next move and join; avatars outside are brought in. */
  private applySettings(settings: { name: string; capacity: number; width: number; height: number }): void {
    const { name, capacity, width, height } = settings;
    this.resize({ width, height });
    this.capacity = capacity;
    Object.assign(this.state, { name, capacity, width, height });
    for (const { data: seat } of this.seats.values()) if (seat) this.views.keepInside(seat, { width, height });
    void this.setMetadata({ spaceId: this.spaceId, name, capacity });
    this.broadcastEvent(SpaceEvent.spaceUpdated, { spaceId: this.spaceId, name, capacity, width, height });
  }

  onLeave(client: RallyClient): void {
    const userId = authOf(client).id;
    const seat = this.seats.dataOf(client.sessionId);
    if (seat) this.views.remove(seat); // out of everyone's view first, then out of the state
    this.state.users.delete(userId);
    this.broadcastEvent(SpaceEvent.userLeft, { spaceId: this.spaceId, userId }, client);
  }

  /** The seat is held and its avatar stays in others' views; the client's view goes with the connection. */
  override onDrop(client: RallyClient, code?: number): void | Promise<void> {
    const seat = this.seats.dataOf(client.sessionId);
    if (seat) this.views.drop(seat);
    // A removed member's dropped seat is not held for them.
    if (this.removed.has(authOf(client).id)) return;
    return super.onDrop(client, code);
  }

  onReconnect(client: RallyClient): void {
    if (this.removed.has(authOf(client).id)) return client.leave(CLOSE_ACCESS_ENDED, "removed from this space");
    const seat = this.seats.dataOf(client.sessionId);
    if (seat) this.views.reconnect(client, seat);
  }

  /** New bounds for a live room: moves are checked against them and the grid re-cells. */
  protected resize(bounds: Bounds): void {
    this.bounds = bounds;
    this.views.resize(bounds);
  }

  private seatOf(client: RallyClient): SpaceSeat {
    const seat = this.seats.dataOf(client.sessionId);
    if (!seat) throw new AppError("NO_ACCESS");
    return seat;
  }
}
