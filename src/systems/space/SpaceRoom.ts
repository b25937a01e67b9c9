import { ServerError, type AuthContext } from "@colyseus/core";
import { StateView } from "@colyseus/schema";
import { appContext } from "../../context";
import { AppError } from "../../errors";
import type { AuthUser } from "../../auth/tokens";
import {
  authOf,
  CLOSE_ACCESS_ENDED,
  CLOSE_SPACE_DELETED,
  parseJoinOptions,
  RallyRoom,
  toServerError,
  type RallyClient,
} from "../../realtime/RallyRoom";
import type { DeliveredEvent } from "../../realtime/delivery";
import { BroadcastSpaceState, SpaceState, SpaceUser } from "./SpaceState";
import {
  ActionMessage,
  chatMessage,
  GetInvitesMessage,
  GetUsersMessage,
  InviteIdMessage,
  SendInviteMessage,
  SpaceJoinOptions,
  spaceTopic,
  SpaceTopicEvent,
  type SpaceTopicEvents,
} from "./protocol";
import { defaultPosition, moveError, seatRefusal, type Bounds, type Position } from "./rules";
import { effectiveViewRadius, InterestGrid, type InterestListener, type Observer } from "./interest";

/** The join options once onAuth has validated them (and routed by the validated spaceId). */
interface SpaceJoin {
  spaceId: string;
  initialPosition?: Position;
}

/** What MOVE carries once `moveError` has accepted it. */
interface MovePayload {
  x: number;
  y: number;
  direction: string;
}

/** A seat in the room: the avatar, and (with interest management) its place in the grid and its client's view. */
interface Seat {
  userId: string;
  sessionId: string;
  avatar: SpaceUser;
  /** The client's StateView; null while the seat is held for a dropped client, or when the view is unlimited. */
  view: StateView | null;
  /** null when the view is unlimited (no grid). */
  observer: Observer<Seat> | null;
}

/**
 * A metaverse space (docs/PROTOCOL.md §3 `space`): the members present, their avatars'
 * positions, actions and chat, and the space's invites as room messages. One room per space
 * (filterBy spaceId). Movement is the hottest path of the server, so MOVE only validates and
 * mutates state: the patch carries it, with no broadcast, DB write or log line.
 *
 * Interest management: each client's StateView holds its own avatar and those within its
 * view (src/systems/space/interest.ts decides, on every move, who enters and leaves whose view), so
 * a client's `users` holds only those and patches carry only their moves. A space whose view
 * is unlimited (radius 0) uses the unfiltered state: one patch encoded once for everyone.
 */
export class SpaceRoom extends RallyRoom<{ state: SpaceState }> {
  private spaceId = "";
  private bounds: Bounds = { width: 0, height: 0 };
  private capacity = 0;
  /** Users removed from the space while seated here: their held seats are not given back. */
  private readonly removed = new Set<string>();
  private stopListening?: () => void;
  private viewRadius = 0;
  /** userId → seat, held seats included. */
  private readonly seated = new Map<string, Seat>();
  private grid: InterestGrid<Seat> | null = null;
  /** The grid's decisions, applied to the two clients' views (one object for the room's life: no per-move closures). */
  private readonly interest: InterestListener<Seat> = {
    enter(a, b) {
      a.view?.add(b.avatar);
      b.view?.add(a.avatar);
    },
    leave(a, b) {
      a.view?.remove(b.avatar);
      b.view?.remove(a.avatar);
    },
  };

  static override roomKey(options: Record<string, unknown>): string | null {
    return typeof options.spaceId === "string" ? options.spaceId : null;
  }

  static override async onAuth(token: string, options: unknown, context: AuthContext): Promise<AuthUser> {
    const user = await super.onAuth(token, options, context);
    const { spaceId, initialPosition } = parseJoinOptions(SpaceJoinOptions, options);
    const space = await appContext()
      .services.spaces.requireMember(spaceId, user.id)
      .then(
        (membership) => membership.space,
        (e: unknown) => {
          throw toServerError(e);
        },
      );
    if (initialPosition) {
      const problem = moveError(initialPosition, space);
      if (problem) throw new ServerError(400, `initialPosition.${problem}`);
    }
    // The matchmaker routes by these very options: keep only validated values in them.
    const join = options as SpaceJoin;
    join.spaceId = spaceId;
    join.initialPosition = initialPosition;
    return user;
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
    this.viewRadius = effectiveViewRadius(space.viewRadius, config.SPACE_VIEW_RADIUS);
    const fields = {
      spaceId: space.id,
      name: space.name,
      capacity: space.capacity,
      width: space.width,
      height: space.height,
      viewRadius: this.viewRadius,
    };
    if (this.viewRadius > 0) {
      this.state = new SpaceState(fields);
      this.grid = new InterestGrid(this.bounds, this.viewRadius, this.interest);
    } else {
      // Same fields and wire shape; the room only reads and writes what both declare.
      this.state = new BroadcastSpaceState(fields) as unknown as SpaceState;
    }
    this.setMetadata({ spaceId: space.id, name: space.name, capacity: space.capacity });
    this.rateLimits.move = {
      perSecond: config.MOVE_RATE_LIMIT_PER_SECOND,
      burst: config.MOVE_RATE_LIMIT_BURST,
      reportEvery: false,
    };

    // Membership and settings change over REST, on any process: the room hears it here.
    this.stopListening = await this.ctx.delivery.onTopic(spaceTopic(space.id), (event) => this.onSpaceChanged(event));

    this.handle("MOVE", null, (client, payload) => this.move(client, payload), { bucket: "move" });

    this.handle("ACTION", ActionMessage, (client, { action }) => {
      const user = this.userOf(client);
      user.action = action;
      this.broadcastEvent("ACTION", { spaceId: this.spaceId, userId: user.userId, username: user.username, action });
    });

    this.handle("CHAT", chatMessage(config.CHAT_MAX_CHARS), (client, { text, scope }) => {
      const { id: userId, username } = authOf(client);
      const chat = { spaceId: this.spaceId, userId, username, text, scope, timestamp: new Date().toISOString() };
      const observer = this.seated.get(userId)?.observer;
      if (scope === "space" || !observer) return this.broadcastEvent("CHAT", chat);
      // "nearby": the sender and those in its view (the same people who see the sender).
      this.sendTo(client, "CHAT", chat);
      for (const other of observer.visible) this.sendTo(other.value.sessionId, "CHAT", chat);
    });

    const spaces = this.ctx.services.spaces;
    this.handle("SEND_INVITE", SendInviteMessage, (client, { toUserId, spaceId }) => {
      this.requireThisSpace(spaceId);
      return spaces.sendInvite(authOf(client).id, { toUserId, spaceId: this.spaceId });
    });
    this.handle("ACCEPT_INVITE", InviteIdMessage, (client, { notificationId }) =>
      spaces.acceptInvite(authOf(client).id, notificationId),
    );
    this.handle("DECLINE_INVITE", InviteIdMessage, (client, { notificationId }) =>
      spaces.declineInvite(authOf(client).id, notificationId),
    );
    this.handle("GET_USERS", GetUsersMessage, (client, { spaceId, ...filter }) => {
      this.requireThisSpace(spaceId);
      return spaces.invitableUsers(authOf(client).id, this.spaceId, filter);
    });
    this.handle("GET_INVITES", GetInvitesMessage, (client, page) => spaces.myInvites(authOf(client).id, page));
  }

  /** Validate and move: nothing else happens here (see the class comment). */
  private move(client: RallyClient, payload: unknown): void {
    const problem = moveError(payload, this.bounds);
    if (problem !== null) throw new AppError("INVALID_MESSAGE", problem);
    const seat = this.seated.get(authOf(client).id);
    if (!seat) return;
    const { x, y, direction } = payload as MovePayload;
    const user = seat.avatar;
    user.x = x;
    user.y = y;
    user.direction = direction;
    if (seat.observer) this.grid!.move(seat.observer, x, y);
  }

  /**
   * One seat per user and at most `capacity` present. Checked and taken synchronously,
   * before any await, so joins racing into the room cannot both pass the check.
   */
  onJoin(client: RallyClient, options: SpaceJoin): void {
    const { id: userId, username } = authOf(client);
    // onAuth checked membership of options.spaceId; joinById could aim that at another room.
    if (options.spaceId !== this.spaceId) throw new AppError("NO_ACCESS");
    const refusal = seatRefusal(this.state.users.size, this.capacity, this.state.users.has(userId));
    if (refusal === "SECOND_SEAT") throw new ServerError(409, "You already have a seat in this space");
    if (refusal === "FULL") throw new AppError("SPACE_FULL");
    this.removed.delete(userId); // invited back: onAuth found the membership again
    const position = options.initialPosition ?? defaultPosition(this.bounds);
    const avatar = new SpaceUser({
      userId,
      username,
      x: position.x,
      y: position.y,
      direction: position.direction,
      action: "",
    });
    this.state.users.set(userId, avatar);
    const seat: Seat = { userId, sessionId: client.sessionId, avatar, view: null, observer: null };
    this.seated.set(userId, seat);
    if (this.grid) {
      this.giveView(client, seat);
      seat.observer = this.grid.insert(seat, position.x, position.y);
    }
    const announced = { x: position.x, y: position.y, direction: position.direction };
    this.broadcastEvent("USER_JOINED", { spaceId: this.spaceId, userId, username, position: announced }, client);
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
      this.broadcastEvent("SPACE_DELETED", { spaceId: this.spaceId });
      void this.disconnect(CLOSE_SPACE_DELETED).catch(() => undefined);
    }
  }

  private removeMember(userId: string, reason: "removed" | "left"): void {
    this.removed.add(userId);
    for (const client of this.clients) {
      if (authOf(client).id !== userId) continue;
      this.sendTo(client, "REMOVED", { spaceId: this.spaceId, reason });
      client.leave(CLOSE_ACCESS_ENDED, reason === "left" ? "you left this space" : "removed from this space");
    }
  }

  /** New settings: bounds and capacity apply to the next move and join; avatars outside are brought in. */
  private applySettings(settings: { name: string; capacity: number; width: number; height: number }): void {
    const { name, capacity, width, height } = settings;
    this.resize({ width, height });
    this.capacity = capacity;
    Object.assign(this.state, { name, capacity, width, height });
    for (const seat of this.seated.values()) {
      const { avatar } = seat;
      if (avatar.x <= width && avatar.y <= height) continue;
      avatar.x = Math.min(avatar.x, width);
      avatar.y = Math.min(avatar.y, height);
      if (seat.observer) this.grid!.move(seat.observer, avatar.x, avatar.y);
    }
    this.setMetadata({ spaceId: this.spaceId, name, capacity });
    this.broadcastEvent("SPACE_UPDATED", { spaceId: this.spaceId, name, capacity, width, height });
  }

  onLeave(client: RallyClient): void {
    const userId = authOf(client).id;
    const seat = this.seated.get(userId);
    if (seat) {
      // Out of everyone's view first, then out of the state.
      if (seat.observer) this.grid!.remove(seat.observer);
      seat.view?.dispose();
      this.seated.delete(userId);
    }
    this.state.users.delete(userId);
    this.broadcastEvent("USER_LEFT", { spaceId: this.spaceId, userId }, client);
  }

  /** The seat is held and its avatar stays in others' views; the client's view goes with the connection. */
  override onDrop(client: RallyClient, code?: number): void | Promise<void> {
    const seat = this.seated.get(authOf(client).id);
    if (seat?.view) {
      seat.view.dispose();
      seat.view = null;
    }
    // A removed member's dropped seat is not held for them.
    if (this.removed.has(authOf(client).id)) return;
    return super.onDrop(client, code);
  }

  /**
   * A fresh view, built from the grid as it is now: the full state the reconnected client
   * receives next holds exactly its own avatar and those in its view.
   */
  onReconnect(client: RallyClient): void {
    if (this.removed.has(authOf(client).id)) return client.leave(CLOSE_ACCESS_ENDED, "removed from this space");
    const seat = this.seated.get(authOf(client).id);
    if (!seat) return;
    seat.sessionId = client.sessionId;
    if (seat.observer) this.giveView(client, seat);
  }

  /** The client's view: its own avatar, and everyone it sees now (the grid adds later ones). */
  private giveView(client: RallyClient, seat: Seat): void {
    const view = new StateView();
    view.add(seat.avatar);
    if (seat.observer) for (const other of seat.observer.visible) view.add(other.value.avatar);
    seat.view = view;
    client.view = view;
  }

  /** New bounds for a live room: moves are checked against them and the grid re-cells. */
  protected resize(bounds: Bounds): void {
    this.bounds = bounds;
    this.grid?.reconfigure(bounds, this.viewRadius);
  }

  private userOf(client: RallyClient): SpaceUser {
    const user = this.state.users.get(authOf(client).id);
    if (!user) throw new AppError("NO_ACCESS");
    return user;
  }

  /** A message may name the space (the source client does); it must be this room's. */
  private requireThisSpace(spaceId: string | undefined): void {
    if (spaceId !== undefined && spaceId !== this.spaceId) {
      throw new AppError("INVALID_MESSAGE", "spaceId: must be this room's space");
    }
  }
}
