import { AppError } from "../../errors";
import { jsonColumn } from "../../db";
import type { Notification } from "../lobby/notifications";

/**
 * A space invite is a row of the one notifications table (type `invites`, kind
 * `space_invite`): pending while `is_active`; answering it sets `is_active = false`,
 * `status = 'read'` and `data.outcome` (accepted | declined). These are its shapes, shared
 * by sending (spaceInvites.ts) and answering (spaceInviteAnswers.ts).
 */
export const SPACE_INVITE = "space_invite";

export interface UserRef {
  id: string;
  username: string;
}
export interface SpaceRef {
  id: string;
  name: string;
}

/** The invite as the sender gets it back (the source product's shape). */
export interface SentInvite {
  id: string;
  toUser: UserRef;
  fromUser: UserRef;
  space: SpaceRef;
  expiresAt: string;
}

/** A pending invite in the invitee's list. */
export interface ReceivedInvite {
  id: string;
  fromUser: UserRef;
  space: SpaceRef;
  expiresAt: string | null;
  createdAt: string;
  status: Notification["status"];
  expired: boolean;
}

export interface InvitableUser {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
}

/** What a space invite keeps in its notification's `data`. */
export interface InviteData {
  spaceId: string;
  spaceName: string;
  fromUserId: string;
  fromUsername: string;
  /** Set when the invitee answers; the row's is_active turns false at the same time. */
  outcome?: "accepted" | "declined";
  answeredAt?: string;
}

export interface InviteRow {
  id: string;
  user_id: string;
  data: InviteData | string;
  status: Notification["status"];
  is_active: boolean;
  created_at: Date | string;
  expires_at: Date | string | null;
}

export const inviteData = (r: InviteRow): InviteData => jsonColumn(r.data);

export const inviteNotFound = () => new AppError("INVITATION_NOT_FOUND", "Invite not found");
