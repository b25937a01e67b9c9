import type { UserSummary } from "../identity/users";
import type { InvitationStatus } from "./rules";

export interface GameInvitation {
  id: string;
  sender: UserSummary;
  receiver: UserSummary;
  /** Null once the friendship it was sent over has ended. */
  friendshipId: string | null;
  map: string;
  status: InvitationStatus;
  /** The private bigger_dice room, once accepted. */
  roomId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InvitationRow {
  id: string;
  sender_id: string;
  receiver_id: string;
  friendship_id: string | null;
  map: string;
  status: InvitationStatus;
  room_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  sender_username: string;
  sender_avatar: string | null;
  receiver_username: string;
  receiver_avatar: string | null;
}

/** An invitation with its two users' names and avatars. */
export const INVITATION_SELECT = `
  SELECT g.*, s.username AS sender_username, s.avatar_url AS sender_avatar,
         r.username AS receiver_username, r.avatar_url AS receiver_avatar
    FROM game_invitations g
    JOIN users s ON s.id = g.sender_id
    JOIN users r ON r.id = g.receiver_id`;

export const toInvitation = (r: InvitationRow): GameInvitation => ({
  id: r.id,
  sender: { id: r.sender_id, username: r.sender_username, avatarUrl: r.sender_avatar },
  receiver: { id: r.receiver_id, username: r.receiver_username, avatarUrl: r.receiver_avatar },
  friendshipId: r.friendship_id,
  map: r.map,
  status: r.status,
  roomId: r.room_id,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** An invitation just moved to `expired`, as announced. */
export interface ExpiredInvitation {
  id: string;
  sender_id: string;
  receiver_id: string;
}
