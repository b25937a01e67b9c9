import type { Handle } from "../../realtime/RallyRoom";
import { authOf } from "../../realtime/RallyRoom";
import { AppError } from "../../errors";
import { GetInvitesMessage, GetUsersMessage, InviteIdMessage, SendInviteMessage, SpaceMessage } from "./protocol";
import type { SpaceInvitesService } from "./spaceInvites";
import type { SpaceInviteAnswersService } from "./spaceInviteAnswers";

/**
 * Space invites as room messages (docs/PROTOCOL.md §3 `space`), the same service calls as
 * `/metaverse/invites/*`. Invites from inside the room are for the room's own space.
 */
export function handleInviteMessages(
  handle: Handle,
  invites: SpaceInvitesService,
  answers: SpaceInviteAnswersService,
  spaceId: string,
): void {
  /** A message may name the space (the source client does); it must be this room's. */
  const requireThisSpace = (named: string | undefined) => {
    if (named !== undefined && named !== spaceId)
      throw new AppError("INVALID_MESSAGE", "spaceId: must be this room's space");
  };
  handle(SpaceMessage.sendInvite, SendInviteMessage, (client, { toUserId, spaceId: named }) => {
    requireThisSpace(named);
    return invites.sendInvite(authOf(client).id, { toUserId, spaceId });
  });
  handle(SpaceMessage.acceptInvite, InviteIdMessage, (client, { notificationId }) =>
    answers.acceptInvite(authOf(client).id, notificationId),
  );
  handle(SpaceMessage.declineInvite, InviteIdMessage, (client, { notificationId }) =>
    answers.declineInvite(authOf(client).id, notificationId),
  );
  handle(SpaceMessage.getUsers, GetUsersMessage, (client, { spaceId: named, ...filter }) => {
    requireThisSpace(named);
    return invites.invitableUsers(authOf(client).id, spaceId, filter);
  });
  handle(SpaceMessage.getInvites, GetInvitesMessage, (client, page) => invites.myInvites(authOf(client).id, page));
}
