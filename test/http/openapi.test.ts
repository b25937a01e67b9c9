import assert from "node:assert/strict";
import express from "express";
import { Validator } from "@seriousme/openapi-schema-validator";
import { api } from "../helpers/http";
import { specChecker } from "../helpers/openapi";
import { BASE_URL, h } from "../helpers/server";
import { createUser } from "../helpers/users";
import { ERROR_CODES } from "../../src/errors";
import { openApiPath } from "../../src/http/openapi";

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  /** Router 2 marks a layer mounted at the root (`app.use(router)`). */
  slash?: boolean;
}

/** Every `METHOD path` the app's Express router answers, through nested routers (Express 5 layers). */
function routesOf(stack: Layer[], out = new Set<string>()): Set<string> {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const method of Object.keys(layer.route.methods).filter((m) => m !== "_all"))
        for (const path of paths) out.add(`${method.toUpperCase()} ${openApiPath(path)}`);
    } else if (layer.handle.stack) {
      // Every router of the API is mounted at the root; a prefixed one would need its prefix here.
      assert.ok(layer.slash, "a router mounted below a path: teach this walk its prefix");
      routesOf(layer.handle.stack, out);
    }
  }
  return out;
}

async function getDocument(): Promise<any> {
  const res = await api("GET", "/api/openapi.json");
  assert.equal(res.status, 200);
  return res.body;
}

describe("OpenAPI (/api/openapi.json, /api/docs)", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await getDocument();
    assert.equal(doc.openapi, "3.1.0");
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it("describes exactly the routes the app's Express router answers", async () => {
    // The running server's own wiring (app.config.ts' initializeExpress), on a fresh app.
    const app = express();
    h().app.options.initializeExpress!(app);
    const routed = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
    const documented = new Set<string>();
    for (const [path, item] of Object.entries((await getDocument()).paths as Record<string, object>))
      for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`);
    assert.ok(routed.size > 50, `only ${routed.size} routes found: is the walk still reaching the routers?`);
    assert.deepEqual(
      [...routed].filter((r) => !documented.has(r)),
      [],
      "routes missing from /api/openapi.json",
    );
    assert.deepEqual(
      [...documented].filter((r) => !routed.has(r)),
      [],
      "documented routes that the app does not answer",
    );
  });

  it("declares bearer auth, marks public routes with security: [], and every refusal as the error envelope", async () => {
    const doc = await getDocument();
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, "bearer");
    const security = (path: string, method: string) => doc.paths[path][method].security;
    for (const path of ["/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout"])
      assert.deepEqual(security(path, "post"), [], path);
    for (const path of ["/healthz", "/readyz", "/api/openapi.json", "/api/docs"])
      assert.deepEqual(security(path, "get"), [], path);
    assert.deepEqual(security("/api/friends", "get"), [{ bearerAuth: [] }]);
    assert.deepEqual(security("/api/admin/reports", "get"), [{ operatorBasic: [] }, { bearerAuth: [] }]);
    assert.deepEqual(security("/metrics", "get"), [{ metricsToken: [] }]);

    const envelope = doc.components.schemas.Error;
    assert.deepEqual([...envelope.properties.code.enum].sort(), Object.keys(ERROR_CODES).sort());
    assert.deepEqual(envelope.required.sort(), ["code", "error", "status"]);
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        assert.ok(op.summary, `${method} ${path}: a summary`);
        assert.deepEqual(op.responses["4XX"], { $ref: "#/components/responses/Error" }, `${method} ${path}`);
        if (path.includes("{"))
          assert.ok(
            op.parameters?.some((p: any) => p.in === "path"),
            `${method} ${path}`,
          );
      }
    }
  });

  it("documents the bodies and queries the routes validate", async () => {
    const doc = await getDocument();
    const register = doc.paths["/api/auth/register"].post;
    const body = register.requestBody.content["application/json"].schema;
    assert.deepEqual(Object.keys(body.properties).sort(), [
      "avatarUrl",
      "displayName",
      "inviteCode",
      "orgId",
      "password",
      "username",
    ]);
    assert.equal(body.additionalProperties, false);
    const limit = doc.paths["/api/friends"].get.parameters.find((p: any) => p.name === "limit");
    assert.equal(limit.in, "query");
    assert.equal(limit.schema.maximum, 100);
  });

  it("the response check fails a body that drifts from the document", async () => {
    const checker = await specChecker();
    assert.throws(
      () => checker.check("GET", "/healthz", 200, "application/json", { status: "fine" }),
      /does not match/,
    );
    assert.throws(
      () => checker.check("GET", "/api/friends", 200, "application/json", { items: [{ id: 1 }], nextCursor: null }),
      /does not match/,
    );
    assert.throws(
      () =>
        checker.check("GET", "/api/friends", 401, "application/json", { status: "failed", error: "x", code: "NOPE" }),
      /does not match/,
    );
    assert.throws(() => checker.check("GET", "/api/friends", 302, "text/html", ""), /not documented/);
    checker.check("GET", "/api/friends", 200, "application/json", { items: [], nextCursor: null });
  });

  it("validates after the access guard and a route's `before` check, as the routes did by hand", async () => {
    // No token: 401 before a malformed body is read.
    const anonymous = await api("POST", "/api/spaces", { body: { capacity: "lots" } });
    assert.equal(anonymous.status, 401);
    // Trivia refuses a caller without an org before reading their input (403, not 400).
    const loner = await createUser();
    const create = await api("POST", "/api/trivia/sessions", { token: loner.token, body: { title: 7 } });
    assert.equal(create.status, 403, JSON.stringify(create.body));
    const list = await api("GET", "/api/trivia/sessions?status=nope", { token: loner.token });
    assert.equal(list.status, 403, JSON.stringify(list.body));
    const results = await api("GET", `/api/trivia/sessions/${"x".repeat(101)}/results`, { token: loner.token });
    assert.equal(results.status, 403, JSON.stringify(results.body));
  });

  it("/api/docs is Swagger UI served from this origin only: no CDN, no inline script", async () => {
    const res = await fetch(`${BASE_URL}/api/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 2, html);
    for (const [, attrs, inline] of scripts) {
      assert.equal(inline.trim(), "", "no inline script (the CSP would refuse it)");
      assert.match(attrs, /src="\/[^/]/, "a same-origin script");
    }
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    for (const url of urls) {
      assert.match(url, /^\/[^/]/, `${url}: same origin`);
      const asset = await fetch(`${BASE_URL}${url}`);
      assert.equal(asset.status, 200, url);
      await asset.arrayBuffer();
    }
    // Only what the page loads is served from the package.
    assert.equal((await fetch(`${BASE_URL}/api/docs/assets/package.json`)).status, 404);
  });
});
