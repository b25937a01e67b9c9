import { ServerError, type AuthContext } from "@colyseus/core";
import { appContext } from "../context";
import { AppError } from "../errors";
import type { AuthUser } from "../auth/tokens";
import { authOf, parseJoinOptions, RallyRoom, toServerError, type RallyClient } from "../realtime/RallyRoom";
import { SpaceState, SpaceUser } from "./schema/SpaceState";
import {
  ActionMessage,
  chatMessage,
  GetInvitesMessage,
  GetUsersMessage,
  InviteIdMessage,
  SendInviteMessage,
  SpaceJoinOptions,
} from "../protocol/space";
import { defaultPosition, moveError, seatRefusal, type Bounds, type Position } from "../rules/space";

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


/**
 * A metaverse space (docs/PROTOCOL.md §3 `space`): the members present, their avatars'
 * positions, actions and chat, and the space's invites as room messages. One room per space
 * (filterBy spaceId). Movement is the hottest path of the server, so MOVE only validates and
 * mutates state: the patch carries it, with no broadcast, DB write or log line.
 */
export class SpaceRoom extends RallyRoom<{ state: SpaceState }> {
  private spaceId = "";
  private bounds: Bounds = { width: 0, height: 0 };
  private capacity = 0;

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
    this.state = new SpaceState({
      spaceId: space.id,
      name: space.name,
      capacity: space.capacity,
      width: space.width,
      height: space.height,
    });
    this.setMetadata({ spaceId: space.id, name: space.name, capacity: space.capacity });
    this.rateLimits.move = {
      perSecond: config.MOVE_RATE_LIMIT_PER_SECOND,
      burst: config.MOVE_RATE_LIMIT_BURST,
      reportEvery: false,
    };

    this.handle("MOVE", null, (client, payload) => this.move(client, payload), { bucket: "move" });

    this.handle("ACTION", ActionMessage, (client, { action }) => {
      const user = this.userOf(client);
      user.action = action;
      this.broadcastEvent("ACTION", { spaceId: this.spaceId, userId: user.userId, username: user.username, action });
    });

    this.handle("CHAT", chatMessage(config.CHAT_MAX_CHARS), (client, { text }) => {
      const { id: userId, username } = authOf(client);
      this.broadcastEvent("CHAT", { spaceId: this.spaceId, userId, username, text, timestamp: new Date().toISOString() });
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
    this.handle("GET_USERS", GetUsersMessage, (client, { spaceId, q, limit }) => {
      this.requireThisSpace(spaceId);
      return spaces.invitableUsers(authOf(client).id, this.spaceId, { q, limit });
    });
    this.handle("GET_INVITES", GetInvitesMessage, (client, { includeExpired }) =>
      spaces.myInvites(authOf(client).id, { includeExpired }),
    );
  }

  /** Validate and move: nothing else happens here (see the class comment). */
  private move(client: RallyClient, payload: unknown): void {
    const problem = moveError(payload, this.bounds);
    if (problem !== null) throw new AppError("INVALID_MESSAGE", problem);
    const user = this.state.users.get(authOf(client).id);
    if (!user) return;
    const { x, y, direction } = payload as MovePayload;
    user.x = x;
    user.y = y;
    user.direction = direction;
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
    const position = options.initialPosition ?? defaultPosition(this.bounds);
    this.state.users.set(
      userId,
      new SpaceUser({ userId, username, x: position.x, y: position.y, direction: position.direction, action: "" }),
    );
    const announced = { x: position.x, y: position.y, direction: position.direction };
    this.broadcastEvent("USER_JOINED", { spaceId: this.spaceId, userId, username, position: announced }, client);
  }

  onLeave(client: RallyClient): void {
    const userId = authOf(client).id;
    this.state.users.delete(userId);
    this.broadcastEvent("USER_LEFT", { spaceId: this.spaceId, userId }, client);
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
