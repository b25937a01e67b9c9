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
