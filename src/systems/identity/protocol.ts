import { topic } from "../../realtime/delivery";

/** Events on a user's sessions topic: revocations that reach every seat they hold, on any process. */
export const SessionEvent = {
  /** Every session of the user was signed out. */
  signedOut: "signed_out",
  /** The user is no longer a member of `orgId`. */
  orgMembershipEnded: "org_membership_ended",
} as const;

export interface SessionEvents {
  [SessionEvent.signedOut]: Record<string, never>;
  [SessionEvent.orgMembershipEnded]: { orgId: string };
}

/** The delivery topic of one user's sessions. */
export const userSessionsTopic = (userId: string) => topic<SessionEvents>(`sessions:${userId}`);
