import { Router, type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { parse } from "./middleware";

/**
 * The REST route registry. A route is declared once — method, path, who may call it, the zod
 * schemas of its params, query, body and responses — and that one declaration both registers
 * the Express handler (which validates with those schemas before the handler runs) and feeds
 * the OpenAPI document (src/http/openapi.ts). So the document cannot drift from validation.
 */

/** Who may call a route; each names a security scheme of the document. */
export type Access =
  | "public"
  /** `Authorization: Bearer <access token>` (writes spend the REST write budget too). */
  | "bearer"
  /** The monitor's basic credentials, or the token of a user in `ADMIN_USERNAMES`. */
  | "operator"
  /** `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
  | "metrics";

export type Method = "get" | "post" | "patch" | "put" | "delete";

/** A response body: a zod schema (JSON), `null` (no body, e.g. 204), or another media type. */
export type ResponseBody = z.ZodType | null | { contentType: string; schema: z.ZodType };

export interface RouteDoc<P, Q, B> {
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * A refusal that must come before the input is read (the caller's standing, e.g. trivia's
   * org membership): runs after the access guard, before validation.
   */
  before?: (req: Request) => unknown;
  /** Every success status the route answers, with its body. Errors are the shared envelope. */
  responses: Partial<Record<number, ResponseBody>>;
}

export interface Operation {
  method: Method;
  /** Express syntax (`/api/orgs/:id`). */
  path: string;
  access: Exclude<Access, never>;
  tag: string;
  doc: RouteDoc<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

export type Handler<P, Q, B> = (req: Request, res: Response, input: RouteInput<P, Q, B>) => unknown;

/** A Router that carries the declarations of its routes. */
export type ApiRouter = Router & { readonly operations: readonly Operation[] };

type Declare = <
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  path: string,
  access: Access,
  doc: RouteDoc<P, Q, B>,
  handler: Handler<P, Q, B>,
) => void;

export interface ApiRoutes extends Record<Method, Declare> {
  router: ApiRouter;
}

const pathParamsOf = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]);

/**
 * Routes of one part of the API (`tag` groups them in the document). `guards` are the
 * middleware behind each access level the routes use (`bearer` is the app's `auth`).
 */
export function apiRoutes(tag: string, guards: Partial<Record<Exclude<Access, "public">, RequestHandler>> = {}) {
  const operations: Operation[] = [];
  const router = Object.assign(Router(), { operations }) as ApiRouter;
  const declare =
    (method: Method): Declare =>
    (path, access, doc, handler) => {
      const declared = Object.keys((doc.params as z.ZodObject | undefined)?.shape ?? {}).sort();
      if (declared.join() !== pathParamsOf(path).sort().join()) {
        throw new Error(`${method.toUpperCase()} ${path}: params schema must declare exactly the path's parameters`);
      }
      const guard = access === "public" ? [] : [guards[access]];
      if (guard.includes(undefined)) throw new Error(`${method.toUpperCase()} ${path}: no guard for "${access}"`);
      operations.push({ method, path, access, tag, doc: doc });
      // Validated in this order (params, query, body), before the handler runs.
      router[method](path, ...(guard as RequestHandler[]), async (req, res) => {
        await doc.before?.(req);
        return handler(req, res, {
          params: (doc.params ? parse(doc.params, req.params) : undefined) as never,
          query: (doc.query ? parse(doc.query, req.query) : undefined) as never,
          body: (doc.body ? parse(doc.body, req.body) : undefined) as never,
        });
      });
    };
  return {
    router,
    get: declare("get"),
    post: declare("post"),
    patch: declare("patch"),
    put: declare("put"),
    delete: declare("delete"),
  } satisfies ApiRoutes;
}
