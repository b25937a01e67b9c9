import path from "node:path";
import express, { Router } from "express";
import { z } from "zod";
import { createDocument, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { version } from "../../package.json";
import { ERROR_CODES, type ErrorCode } from "../errors";
import { apiRoutes, type Access, type ApiRouter, type Operation, type ResponseBody } from "./api";

/** The REST error envelope, the same on every route and at the HTTP edge (docs/PROTOCOL.md §2). */
export const ErrorEnvelope = z
  .object({
    status: z.literal("failed"),
    error: z.string().meta({ description: "A human-readable message." }),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
  })
  .meta({ id: "Error", description: "Every refusal: the HTTP status follows the code (src/errors.ts)." });

/** Each access level as the document's security requirement; `public` routes have none. */
const SECURITY: Record<Access, Array<Record<string, string[]>>> = {
  public: [],
  bearer: [{ bearerAuth: [] }],
  operator: [{ operatorBasic: [] }, { bearerAuth: [] }],
  metrics: [{ metricsToken: [] }],
};

const STATUS_TEXT: Record<number, string> = { 200: "OK", 201: "Created", 204: "No Content", 503: "Unavailable" };

/** Express `/a/:id` → OpenAPI `/a/{id}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, "{$1}");

const operationId = (op: Operation) =>
  op.method +
  openApiPath(op.path)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");

function responsesOf(op: Operation): ZodOpenApiResponsesObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, body] of Object.entries(op.doc.responses) as Array<[string, ResponseBody]>) {
    const description = STATUS_TEXT[Number(status)] ?? status;
    const content =
      body === null
        ? undefined
        : "contentType" in body
          ? { [body.contentType]: { schema: body.schema } }
          : { "application/json": { schema: body } };
    responses[status as `2${string}`] = { description, ...(content ? { content } : {}) };
  }
  responses["4XX"] = { $ref: "#/components/responses/Error" };
  responses["5XX"] = { $ref: "#/components/responses/Error" };
  return responses;
}

/** The OpenAPI 3.1 document of every route these routers declare. */
export function openApiDocument(routers: readonly ApiRouter[], version: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  const tags = new Set<string>();
  for (const op of routers.flatMap((r) => r.operations)) {
    tags.add(op.tag);
    const item = (paths[openApiPath(op.path)] ??= {});
    item[op.method] = {
      operationId: operationId(op),
      summary: op.doc.summary,
      ...(op.doc.description ? { description: op.doc.description } : {}),
      tags: [op.tag],
      security: SECURITY[op.access],
      requestParams: {
        ...(op.doc.params ? { path: op.doc.params as z.ZodObject } : {}),
        ...(op.doc.query ? { query: op.doc.query as z.ZodObject } : {}),
      },
      ...(op.doc.body
        ? { requestBody: { required: true, content: { "application/json": { schema: op.doc.body } } } }
        : {}),
      responses: responsesOf(op),
    };
  }
  return createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "rally REST API",
        version,
        description:
          "The REST half of rally's wire contract (docs/PROTOCOL.md §2); rooms are joined through Colyseus' matchmaker.",
      },
      tags: [...tags].map((name) => ({ name })),
      security: SECURITY.bearer,
      paths,
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An access token." },
          operatorBasic: { type: "http", scheme: "basic", description: "The monitor's credentials (operators)." },
          metricsToken: { type: "http", scheme: "bearer", description: "METRICS_TOKEN, required only when it is set." },
        },
        responses: {
          Error: {
            description: "Refused: the envelope, with the code's HTTP status.",
            content: { "application/json": { schema: ErrorEnvelope } },
          },
        },
      },
    },
    // zod writes the safe-integer range on every `.int()`: noise where no other bound was set.
    { override: ({ jsonSchema }) => dropSafeIntegerBounds(jsonSchema) },
  );
}

function dropSafeIntegerBounds(schema: { minimum?: number; maximum?: number }): void {
  if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
}

const SWAGGER_UI = path.dirname(require.resolve("swagger-ui-dist/package.json"));
/** Only what the page loads is served from the package. */
const DOCS_ASSETS = new Set(["/swagger-ui.css", "/swagger-ui-bundle.js", "/favicon-32x32.png"]);
const swaggerUiFiles = express.static(SWAGGER_UI, { index: false, maxAge: "1d" });

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rally REST API</title>
<link rel="icon" href="/api/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

// A file, not an inline script: the edge's CSP allows scripts from this origin only.
const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
`;

/**
 * `/api/openapi.json` (the document of `routers` and of these routes) and `/api/docs`
 * (Swagger UI, served from the swagger-ui-dist package: nothing from a CDN, no inline script).
 */
export function docsRoutes(routers: readonly ApiRouter[]): ApiRouter {
  const api = apiRoutes("operations");
  let document: ReturnType<typeof createDocument> | undefined;
  api.get(
    "/api/openapi.json",
    "public",
    {
      summary: "This document (OpenAPI 3.1)",
      responses: { 200: z.record(z.string(), z.unknown()).meta({ description: "An OpenAPI 3.1 document." }) },
    },
    (_req, res) => {
      document ??= openApiDocument([...routers, api.router], version);
      res.json(document);
    },
  );
  api.get(
    "/api/docs",
    "public",
    {
      summary: "Interactive documentation (Swagger UI)",
      responses: { 200: { contentType: "text/html", schema: z.string() } },
    },
    (_req, res) => {
      res.type("html").send(DOCS_PAGE);
    },
  );
  api.get(
    "/api/docs/init.js",
    "public",
    {
      summary: "The documentation page's script",
      responses: { 200: { contentType: "text/javascript", schema: z.string() } },
    },
    (_req, res) => {
      res.type("js").send(DOCS_INIT);
    },
  );
  const router = Router();
  router.use(api.router);
  router.use("/api/docs/assets", (req, res, next) => {
    if (!DOCS_ASSETS.has(req.path)) return next();
    swaggerUiFiles(req, res, next);
  });
  return Object.assign(router, { operations: api.router.operations }) as ApiRouter;
}
