import { z } from "zod";

/** Why a user may be reported (docs/PROTOCOL.md §2 `POST /api/reports`); anything else is 400. */
export const REPORT_REASONS = [
  "spam",
  "harassment",
  "hate",
  "sexual_content",
  "scam",
  "impersonation",
  "underage",
  "self_harm",
  "other",
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** A user as the social lists show one (friends, blocks, game invitations). */
export const UserSummary = z
  .object({ id: z.string(), username: z.string(), avatarUrl: z.string().nullable() })
  .meta({ id: "UserSummary" });
