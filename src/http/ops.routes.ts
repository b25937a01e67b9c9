import type { RequestHandler } from "express";
import { z } from "zod";
import type { AppContext } from "../context";
import { registry } from "../metrics";
import { apiRoutes, type ApiRouter } from "./api";

const Health = z.object({ status: z.literal("ok") });
const Readiness = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.record(z.string(), z.string()).meta({ description: '"ok" or why a dependency (db, redis) failed.' }),
});

/** Liveness and readiness (no authentication), and Prometheus metrics behind `metricsAuth`. */
export function opsRoutes(
  ctx: AppContext,
  checks: { redis?: () => Promise<void>; metricsAuth: RequestHandler },
): ApiRouter {
  const api = apiRoutes("operations", { metrics: checks.metricsAuth });
  api.get("/healthz", "public", { summary: "Liveness", responses: { 200: Health } }, (_req, res) => {
    res.json({ status: "ok" });
  });
  const readyz = {
    summary: "Readiness: the database (and Redis) answer",
    responses: { 200: Readiness, 503: Readiness },
  };
  api.get("/readyz", "public", readyz, async (_req, res) => {
    const result: Record<string, string> = {};
    let ok = true;
    const check = async (name: string, fn: () => Promise<void>) => {
      try {
        await withTimeout(fn(), 2000);
        result[name] = "ok";
      } catch (e) {
        ok = false;
        result[name] = (e as Error).message || "failed";
      }
    };
    await check("db", () => ctx.db.ping());
    if (checks.redis) await check("redis", checks.redis);
    res.status(ok ? 200 : 503).json({ status: ok ? "ok" : "unavailable", checks: result });
  });
  const metricsDoc = {
    summary: "Prometheus metrics",
    responses: { 200: { contentType: "text/plain", schema: z.string() } },
  };
  api.get("/metrics", "metrics", metricsDoc, async (_req, res) => {
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  });
  return api.router;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
