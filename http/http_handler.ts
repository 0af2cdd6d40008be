/**
 * `httpHandler(queue, options)`: the whole HTTP API as one Web-standard fetch handler.
 *
 * Routing is Hono's (npm `hono`), chosen over a hand-written router: it runs on Web standards
 * unchanged in Deno and Bun, and gives routing, path parameters, middleware and CORS that
 * would otherwise be ours to maintain. Measured with wrk on this project's shared 2-core VM
 * (Deno 2.9, `GET /api/stats` of a memory queue, `bench/http.ts`): one run gave 14,400 req/s
 * through this handler and 27,200 through a bare `switch` on the path; alternating runs gave
 * 9,500–27,100 and 16,700–29,100, the order flipping. The router and the checks cost tens of
 * microseconds a request at most, against milliseconds of store work on every real route.
 *
 * Each route group lives in `_routes/` and only parses the request, calls the library and
 * renders the answer; errors become `application/problem+json` here, in one place. @module
 */

import { Hono } from "hono";
import { cors } from "hono/cors";
import { type Duration, parseDuration } from "../src/duration.ts";
import type { Queue } from "../src/queue.ts";
import type { ApiContext } from "./_context.ts";
import { assertHost, assertMayWrite, assertSameOrigin, bearerCheck } from "./_guard.ts";
import { problemOf, problemResponse } from "./_problem.ts";
import { bulkRoutes } from "./_routes/bulk.ts";
import { controlRoutes } from "./_routes/control.ts";
import { eventRoutes } from "./_routes/events.ts";
import { jobActionRoutes } from "./_routes/job_actions.ts";
import { jobRoutes } from "./_routes/jobs.ts";
import { metricsRoutes } from "./_routes/metrics.ts";
import { OPENAPI_PATH, openApiRoutes } from "./_routes/openapi.ts";
import { queueInfoRoutes } from "./_routes/queue_info.ts";
import { dashboardRoutes } from "./dashboard/dashboard_routes.ts";

/** Which other origins may call the API from a browser (CORS). */
export interface CorsOptions {
  /** Allowed origins, like `"https://ops.example.com"`, or `"*"` for any. */
  origin: string | string[];
  /**
   * How long a browser may cache a preflight answer, in seconds.
   * @default {600}
   */
  maxAge?: number;
}

/** Options of {@linkcode httpHandler}. */
export interface HttpOptions {
  /**
   * Every route but `/api/openapi.json` then needs `Authorization: Bearer <token>` (compared
   * in constant time) and answers 401 without it. Unset: no authentication.
   */
  token?: string;
  /**
   * Answer 403 to every write (POST, PUT, DELETE): the API only reads.
   * @default {false}
   */
  readOnly?: boolean;
  /**
   * The prefix of every route, like `"/kinetik"` (routes are then `/kinetik/api/...`).
   * @default {""}
   */
  basePath?: string;
  /** Answer CORS preflights and add CORS headers for these origins. Unset: no CORS at all. */
  cors?: CorsOptions;
  /**
   * How often an event stream sends a heartbeat comment (ms or a string like `"15s"`).
   * @default {"15s"}
   */
  heartbeat?: Duration;
  /**
   * Answer only requests whose `Host` names one of these (403 otherwise), against DNS
   * rebinding. `kinetik serve` without a token sets `["127.0.0.1", "localhost", "::1"]`.
   * Unset: any host.
   */
  hosts?: string[];
  /**
   * Serve the dashboard at `/` (below `basePath`): overview, jobs, one job, tasks and workers,
   * schedules and pauses, live over `/api/events`. `false` serves the API alone.
   * @default {true}
   */
  dashboard?: boolean;
  /**
   * Ends every open event stream when it aborts, so a server can shut down gracefully (its
   * other requests finish by themselves).
   */
  signal?: AbortSignal;
}

/** A Web-standard request handler, as `Deno.serve`, `Bun.serve` and Hono mount them. */
export type FetchHandler = (request: Request) => Promise<Response>;

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function resolveBasePath(basePath: unknown): string {
  if (basePath === undefined || basePath === "" || basePath === "/") return "";
  if (typeof basePath !== "string" || !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new TypeError(
      `Cannot serve the HTTP API as basePath must be like "/kinetik" (no trailing slash): current value is ${
        show(basePath)
      }`,
    );
  }
  return basePath;
}

/**
 * The HTTP API of `queue` as one fetch handler: routes of DESIGN §6.3 (`/api/jobs`,
 * `/api/events`, `/api/openapi.json`, …), JSON in and out, errors as
 * `application/problem+json` with the library's own messages.
 *
 * It starts listening to the store's messages at once, so an event stream opened later
 * misses nothing other processes publish after that.
 *
 * @param queue the queue the API drives
 * @param options token, read-only mode, base path, CORS, heartbeat, hosts
 * @returns a handler for `Deno.serve`, `Bun.serve`, `app.mount()` of Hono, or any fetch server
 * @throws {TypeError} for a malformed `token`, `basePath`, `cors` or `hosts`
 * @throws {TypeError | RangeError} for an unreadable `heartbeat`
 *
 * @example Serving a queue's API with Deno.serve
 * ```ts ignore
 * import { kinetik } from "@kinetik/kinetik";
 * import { httpHandler } from "@kinetik/kinetik/http";
 *
 * const queue = kinetik();
 * Deno.serve({ port: 8080, hostname: "127.0.0.1" }, httpHandler(queue, { token: "s3cret" }));
 * ```
 *
 * @example Calling the handler directly
 * ```ts
 * import { kinetik } from "../mod.ts";
 * import { httpHandler } from "./mod.ts";
 *
 * const queue = kinetik();
 * const handle = httpHandler(queue);
 * const created = await handle(
 *   new Request("http://localhost/api/jobs", {
 *     method: "POST",
 *     headers: { "content-type": "application/json" },
 *     body: JSON.stringify({ task: "send email", data: { to: "ford@example.com" } }),
 *   }),
 * );
 * const { job } = await created.json();
 * if (created.status !== 201 || job.status !== "queued") throw new Error("not created");
 * await queue.close();
 * ```
 */
export function httpHandler(queue: Queue, options: HttpOptions = {}): FetchHandler {
  const context: ApiContext = {
    queue,
    basePath: resolveBasePath(options.basePath),
    heartbeatMs: Math.max(1, parseDuration(options.heartbeat ?? "15s", "heartbeat")),
    closing: options.signal,
  };
  const checkToken = options.token === undefined ? undefined : bearerCheck(options.token);
  const hosts = hostsOf(options.hosts);
  const origins = originsOf(options.cors);
  const root = new Hono({ strict: false });
  const app = context.basePath === "" ? root : root.basePath(context.basePath);

  app.use("*", async (c, next) => {
    assertHost(c.req.raw, hosts);
    assertSameOrigin(c.req.raw, origins);
    await next();
  });
  if (options.cors) {
    app.use(
      "/api/*",
      cors({
        origin: origins.includes("*") ? "*" : origins,
        allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allowHeaders: ["authorization", "content-type"],
        exposeHeaders: ["location"],
        maxAge: options.cors.maxAge ?? 600,
      }),
    );
  }
  app.use("/api/*", async (c, next) => {
    if (c.req.path !== `${context.basePath}${OPENAPI_PATH}`) await checkToken?.(c.req.raw);
    assertMayWrite(c.req.raw, options.readOnly === true);
    await next();
  });

  jobRoutes(app, context);
  jobActionRoutes(app, context);
  bulkRoutes(app, context);
  queueInfoRoutes(app, context);
  metricsRoutes(app, context);
  controlRoutes(app, context);
  eventRoutes(app, context);
  openApiRoutes(app, context);
  if (options.dashboard !== false) dashboardRoutes(app, context, options.readOnly === true);

  app.onError((error) => problemOf(error, (e) => queue.reportError(e)));
  app.notFound((c) =>
    problemResponse(404, `Cannot ${c.req.method} ${c.req.path} as there is no such route`)
  );

  // Listen to other processes now (a stream opened and closed at once keeps the bus connected).
  queue.events().cancel().catch(() => {});
  return async (request) => await app.fetch(request);
}

function hostsOf(hosts: unknown): string[] | undefined {
  if (hosts === undefined) return undefined;
  if (!Array.isArray(hosts) || hosts.some((host) => typeof host !== "string" || host === "")) {
    throw new TypeError(
      `Cannot serve the HTTP API as hosts must be an array of host names: current value is ${
        show(hosts)
      }`,
    );
  }
  return hosts;
}

function originsOf(options: CorsOptions | undefined): string[] {
  if (options === undefined) return [];
  const origins = [options?.origin].flat();
  if (origins.length === 0 || origins.some((o) => typeof o !== "string" || o === "")) {
    throw new TypeError(
      `Cannot serve the HTTP API as cors.origin must be an origin or a list of them: current value is ${
        show(options?.origin)
      }`,
    );
  }
  return origins as string[];
}
