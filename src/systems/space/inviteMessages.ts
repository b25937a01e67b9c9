import type { Handle } from "../../realtime/RallyRoom";
import { authOf } from "../../realtime/RallyRoom";
import { AppError } from "../../errors";
import { GetInvitesMessage, GetUsersMessage, InviteIdMessage, SendInviteMessage, SpaceMessage } from "./protocol";
import type { SpacesService } from "./spaces";

/**
 * Space invites as room messages (docs/PROTOCOL.md §3 `space`), the same service calls as
 * `/metaverse/invites/*`. Invites from inside the room are for the room's own space.
 */
export function handleInviteMessages(handle: Handle, spaces: SpacesService, spaceId: string): void {
  /** A message may name the space (the source client does); it must be this room's. */
  const requireThisSpace = (named: string | undefined) => {
    if (named !== undefined && named !== spaceId)
      throw new AppError("INVALID_MESSAGE", "spaceId: must be this room's space");
  };
  handle(SpaceMessage.sendInvite, SendInviteMessage, (client, { toUserId, spaceId: named }) => {
    requireThisSpace(named);
    return spaces.sendInvite(authOf(client).id, { toUserId, spaceId });
  });
  handle(SpaceMessage.acceptInvite, InviteIdMessage, (client, { notificationId }) =>
    spaces.acceptInvite(authOf(client).id, notificationId),
  );
  handle(SpaceMessage.declineInvite, InviteIdMessage, (client, { notificationId }) =>
    spaces.declineInvite(authOf(client).id, notificationId),
  );
  handle(SpaceMessage.getUsers, GetUsersMessage, (client, { spaceId: named, ...filter }) => {
    requireThisSpace(named);
    return spaces.invitableUsers(authOf(client).id, spaceId, filter);
  });
  handle(SpaceMessage.getInvites, GetInvitesMessage, (client, page) => spaces.myInvites(authOf(client).id, page));
}
