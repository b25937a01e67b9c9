import crypto from "node:crypto";
import type { RequestHandler } from "express";

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

/** HTTP basic auth for operator pages (the Colyseus monitor). */
export function basicAuth(user: string, password: string): RequestHandler {
  return (req, res, next) => {
    const [scheme, encoded] = (req.header("authorization") ?? "").split(" ");
    if (scheme === "Basic" && encoded) {
      const [u, ...rest] = Buffer.from(encoded, "base64").toString("utf8").split(":");
      if (same(u ?? "", user) && same(rest.join(":"), password)) return next();
    }
    res.setHeader("WWW-Authenticate", 'Basic realm="rally monitor"');
    res.status(401).json({ status: "failed", error: "monitor credentials required", code: "UNAUTHORIZED" });
  };
}
