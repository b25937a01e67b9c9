import { ServerError } from "@colyseus/core";
import { toAppError } from "../errors";
import { logger } from "../logger";

/** An AppError as the matchmaker's ServerError (the SDK's join rejects with its code). */
export function toServerError(e: unknown): ServerError {
  if (e instanceof ServerError) return e;
  const err = toAppError(e);
  if (err.code === "INTERNAL") logger.error({ err: e }, "join failed");
  return new ServerError(err.status, err.message);
}
