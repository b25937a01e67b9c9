import crypto from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { z } from "zod";
import { AppError, retryAfterOf, toAppError } from "../errors";
import { logger } from "../logger";
import { metrics } from "../metrics";
import type { AuthUser, TokenService } from "../auth/tokens";
import { describeZodError } from "../protocol/common";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      id: string;
      user?: AuthUser;
    }
  }
}

/** A request id (taken from X-Request-Id when sane), echoed back and put on every log line. */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.header("x-request-id");
  req.id = given && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
  res.setHeader("X-Request-Id", req.id);
  const end = metrics.httpDuration.startTimer({ method: req.method });
  const started = Date.now();
  res.on("finish", () => {
    const routePath = (req.route as { path?: string } | undefined)?.path;
    const route = routePath ? `${req.baseUrl}${routePath}` : "unmatched";
    end({ route, status: String(res.statusCode) });
    logger.debug(
      { reqId: req.id, method: req.method, url: req.originalUrl, status: res.statusCode, ms: Date.now() - started },
      "http",
    );
  });
  next();
};

/** Bearer-token authentication with the same verification as room joins. */
export function requireAuth(tokens: TokenService): RequestHandler {
  return (req, _res, next) => {
    const header = req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const user = tokens.authenticate(match?.[1]);
    // rally's own tokens verify synchronously: no extra tick on the REST hot path.
    if (!(user instanceof Promise)) {
      req.user = user;
      return next();
    }
    user.then((u) => {
      req.user = u;
      next();
    }, next);
  };
}

/** The authenticated user (routes behind requireAuth only). */
export const userOf = (req: Request): AuthUser => {
  if (!req.user) throw new AppError("UNAUTHORIZED");
  return req.user;
};

/** Validate with zod; failures are 400 INVALID_REQUEST naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new AppError("INVALID_REQUEST", describeZodError(parsed.error));
  return parsed.data;
}

export const body = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> => parse(schema, req.body);
export const query = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> => parse(schema, req.query);
export const params = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> => parse(schema, req.params);

/** 404 for unknown /api routes, in the envelope. */
export const notFound: RequestHandler = (_req, _res, next) => next(new AppError("NOT_FOUND", "Route not found"));

/**
 * The one error edge for REST: `{status:"failed", error, code}`. Body-parser failures
 * (malformed JSON, too large) become 400 INVALID_REQUEST; unexpected errors are logged with
 * their stack and answered as INTERNAL without one.
 */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  let appErr: AppError;
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === "entity.parse.failed") appErr = new AppError("INVALID_REQUEST", "body: malformed JSON");
  else if (e?.type === "entity.too.large") appErr = new AppError("PAYLOAD_TOO_LARGE", "body: too large");
  else if (e?.type && typeof e.status === "number" && e.status < 500)
    appErr = new AppError("INVALID_REQUEST", `body: ${e.message}`);
  else if (err instanceof URIError)
    appErr = new AppError("INVALID_REQUEST", "path: malformed percent-encoding"); // the router's decode
  else appErr = toAppError(err);
  if (appErr.code === "INTERNAL") logger.error({ err, reqId: req.id, url: req.originalUrl }, "request failed");
  metrics.errors.inc({ code: appErr.code, edge: "http" });
  if (res.headersSent) return;
  // Every 429 says when to retry; budgets that do not know (per-minute ones) say a minute.
  const retryAfter = retryAfterOf(appErr) ?? (appErr.code === "RATE_LIMITED" ? 60 : undefined);
  if (retryAfter !== undefined) res.setHeader("Retry-After", String(retryAfter));
  // A body refused for its size is not read to its end: close rather than drain it.
  if (appErr.code === "PAYLOAD_TOO_LARGE") res.setHeader("Connection", "close");
  res.status(appErr.status).json({ status: "failed", error: appErr.message, code: appErr.code });
}
