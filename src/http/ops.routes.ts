import { Router, type RequestHandler } from "express";
import type { AppContext } from "../context";
import { registry } from "../metrics";

/** Liveness and readiness (no authentication), and Prometheus metrics behind `metricsAuth`. */
export function opsRoutes(
  ctx: AppContext,
  checks: { redis?: () => Promise<void>; metricsAuth: RequestHandler },
): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
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
  router.get("/metrics", checks.metricsAuth, async (_req, res) => {
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
