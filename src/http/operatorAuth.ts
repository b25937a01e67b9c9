import type { Request, RequestHandler } from "express";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { basicCredentialsMatch } from "./basicAuth";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Who acts on an operator route: `monitor:<user>` or `admin:<username>`. */
      operator?: string;
    }
  }
}

/**
 * Operator routes (`/api/admin/*`): the monitor's basic credentials, or the token of a user
 * named in `ADMIN_USERNAMES` (the `admin` role). A normal user's token is 403, nothing 401.
 */
export function operatorAuth(ctx: AppContext): RequestHandler {
  return (req, _res, next) => {
    const header = req.header("authorization") ?? "";
    const { MONITOR_USER, MONITOR_PASSWORD, ADMIN_USERNAMES } = ctx.config;
    if (/^Basic\s/i.test(header)) {
      if (MONITOR_USER && MONITOR_PASSWORD && basicCredentialsMatch(header, MONITOR_USER, MONITOR_PASSWORD)) {
        req.operator = `monitor:${MONITOR_USER}`;
        return next();
      }
      throw new AppError("UNAUTHORIZED", "operator credentials required");
    }
    const user = ctx.tokens.verify(/^Bearer\s+(.+)$/i.exec(header)?.[1]);
    if (!ADMIN_USERNAMES.includes(user.username.toLowerCase())) throw new AppError("FORBIDDEN", "operators only");
    req.operator = `admin:${user.username}`;
    next();
  };
}

export const operatorOf = (req: Request): string => {
  if (!req.operator) throw new AppError("UNAUTHORIZED", "operator credentials required");
  return req.operator;
};
