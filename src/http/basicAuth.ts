import crypto from "node:crypto";
import type { RequestHandler } from "express";

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

/** Whether an Authorization header carries exactly these basic credentials (compared in constant time). */
export function basicCredentialsMatch(header: string | undefined, user: string, password: string): boolean {
  const [scheme, encoded] = (header ?? "").split(" ");
  if (scheme !== "Basic" || !encoded) return false;
  const [u, ...rest] = Buffer.from(encoded, "base64").toString("utf8").split(":");
  return same(u ?? "", user) && same(rest.join(":"), password);
}

/** HTTP basic auth for operator pages (the Colyseus monitor). */
export function basicAuth(user: string, password: string): RequestHandler {
  return (req, res, next) => {
    if (basicCredentialsMatch(req.header("authorization"), user, password)) return next();
    res.setHeader("WWW-Authenticate", 'Basic realm="rally monitor"');
    res.status(401).json({ status: "failed", error: "monitor credentials required", code: "UNAUTHORIZED" });
  };
}
