import assert from "node:assert/strict";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { BASE_URL } from "./server";

/**
 * Every response `api()` reads is checked against the server's own `/api/openapi.json`: the
 * operation's schema for that status (or its `4XX`/`5XX` range), so a body that drifts from
 * the published contract fails the test that received it.
 */

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components?: { responses?: Record<string, ResponseObject> };
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema: unknown }>;
}
interface Route {
  template: string;
  pattern: RegExp;
  /** Literal segments: a literal match (`/members/me`) wins over a parameter (`/members/{userId}`). */
  literals: number;
}

export interface SpecChecker {
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): void;
}

const DOC_ID = "openapi.json";
const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

function build(doc: OpenApiDocument): SpecChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  const routes: Route[] = Object.keys(doc.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`),
    literals: template.split("/").filter((s) => s && !s.startsWith("{")).length,
  }));

  const operationOf = (method: string, path: string) => {
    const matches = routes
      .filter((r) => r.pattern.test(path) && doc.paths[r.template][method])
      .sort((a, b) => b.literals - a.literals);
    return matches[0] && { template: matches[0].template, op: doc.paths[matches[0].template][method] };
  };

  const validatorAt = (pointer: string): ValidateFunction => {
    let v = compiled.get(pointer);
    if (!v) compiled.set(pointer, (v = ajv.compile({ $ref: `${DOC_ID}#${pointer}` })));
    return v;
  };

  const errorSchema = "/components/responses/Error/content/application~1json/schema";

  return {
    check(method, path, status, contentType, body) {
      const m = method.toLowerCase();
      const found = operationOf(m, path);
      const where = `${method} ${path} → ${status}`;
      let pointer: string;
      let response: ResponseObject | undefined;
      if (!found) {
        // Not an operation of the document: the refusals of unknown routes and of the edge
        // are still the envelope; anything else (the monitor, the matchmaker, the demo) is not the API's.
        if (status >= 400 && (path.startsWith("/api/") || path.startsWith("/metaverse/"))) {
          pointer = errorSchema;
          response = doc.components!.responses!.Error;
        } else {
          assert.ok(
            !(path.startsWith("/api/") || path.startsWith("/metaverse/")),
            `${where}: a success from a route that /api/openapi.json does not describe`,
          );
          return;
        }
      } else {
        const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => found.op.responses[k]);
        assert.ok(key, `${where}: status not documented in /api/openapi.json`);
        response = found.op.responses[key];
        pointer = `/paths/${escapePointer(found.template)}/${m}/responses/${key}`;
        if (response.$ref) {
          pointer = response.$ref.slice(1);
          response = doc.components!.responses![response.$ref.split("/").pop()!];
        }
      }
      const media = Object.keys(response.content ?? {});
      if (media.length === 0) {
        assert.ok(
          body === undefined || body === "",
          `${where}: documented without a body, answered ${JSON.stringify(body)}`,
        );
        return;
      }
      const type = media.find((t) => contentType?.startsWith(t));
      assert.ok(type, `${where}: content-type ${contentType} not one of ${media.join(", ")}`);
      if (type !== "application/json") return;
      const schemaPointer = pointer.endsWith("/schema") ? pointer : `${pointer}/content/application~1json/schema`;
      const validate = validatorAt(schemaPointer);
      if (!validate(body)) {
        assert.fail(
          `${where}: body does not match /api/openapi.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
        );
      }
    },
  };
}

let checker: Promise<SpecChecker> | undefined;

/** The checker for the running server's document, fetched once per run. */
export function specChecker(): Promise<SpecChecker> {
  checker ??= (async () => {
    const res = await fetch(`${BASE_URL}/api/openapi.json`);
    assert.equal(res.status, 200, "GET /api/openapi.json");
    return build((await res.json()) as OpenApiDocument);
  })();
  checker.catch(() => (checker = undefined));
  return checker;
}
