import { z } from "zod";

/** "field: problem" for the first issues of a failed parse, so errors name the field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "payload"}: ${i.message}`)
    .join("; ");
}

export const uuid = () => z.string().uuid();

/**
 * Characters no honest text needs and spoofing does: C0/C1 controls, bidi embeddings,
 * overrides and isolates (which can make "gpj.exe" read "exe.jpg"), and other invisible
 * format characters. ZWJ (U+200D) stays: emoji sequences use it.
 */
// Matching control characters is the point of these two (no-control-regex guards against it by accident).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/;
const FORMAT = /[\u00AD\u061C\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/;
/** At least one character that draws something (not space, not a format mark, not a blank filler). */
const VISIBLE = /[^\s\p{Cc}\p{Cf}\p{M}\p{Z}\u115F\u1160\u2800\u3164\uFFA0]/u;

export interface TextOptions {
  /** Chat and descriptions may hold line breaks and tabs; names may not. Default true. */
  multiline?: boolean;
}

/** Trimmed text of at most `max` characters, with something visible and no control or bidi characters. */
export const text = (max: number, { multiline = true }: TextOptions = {}) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, "must not be empty")
    .refine(
      (s) => !(multiline ? CONTROL : CONTROL_SINGLE_LINE).test(s) && !FORMAT.test(s),
      "must not contain control or bidi characters",
    )
    .refine((s) => VISIBLE.test(s), "must contain a visible character");

/** A name shown to others (display name, team, space, map): single line, see `text`. */
export const name = (max: number) => text(max, { multiline: false });

/** An http(s) URL of at most 2,048 characters (avatars): no javascript:, data: or file: URLs. */
export const httpUrl = () =>
  z
    .string()
    .max(2048, "must be at most 2048 characters")
    .url("must be a URL")
    .refine((s) => /^https?:\/\//i.test(s), "must be an http(s) URL");
