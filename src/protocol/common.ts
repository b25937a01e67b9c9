import { z } from "zod";

/** "field: problem" for the first issues of a failed parse, so errors name the field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "payload"}: ${i.message}`)
    .join("; ");
}

export const uuid = () => z.string().uuid();
/** Trimmed, non-empty text of at most `max` characters. */
export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, "must not be empty");
