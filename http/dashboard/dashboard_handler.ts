/**
 * `dashboardHandler(options)`: the dashboard's page at `<basePath>/` and its files at
 * `<basePath>/dashboard/…`, each with a strict Content-Security-Policy. `httpHandler` mounts
 * it beside the API; the page itself holds no data and needs no token (the API calls it makes
 * do). @module
 */

import { type Asset, ASSETS } from "./_assets.ts";
import { dashboardPage } from "./_page.ts";

/**
 * The policy of every dashboard response. Only this origin's files run or style the page, it
 * talks only to this origin, and nothing can frame it. `require-trusted-types-for 'script'`
 * with no policy allowed makes any `innerHTML`-like assignment of a string throw, so even a
 * mistake in the client (or a library) cannot turn job data into markup.
 */
export const DASHBOARD_CSP: string = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** Headers on every dashboard response. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** Where the dashboard's files are served, below the base path. */
export const ASSET_PREFIX = "/dashboard/";

/** Options of {@linkcode dashboardHandler}. */
export interface DashboardOptions {
  /**
   * The prefix the dashboard is served under, as `httpHandler`'s `basePath`.
   * @default {""}
   */
  basePath?: string;
  /**
   * Hide every action button: the API refuses writes.
   * @default {false}
   */
  readOnly?: boolean;
  /**
   * The event stream's heartbeat period in ms: a stream silent for three of them is replaced.
   * @default {15000}
   */
  heartbeatMs?: number;
}

/** A body ready to send: its bytes, gzipped bytes when worth it, and its entity tag. */
interface Prepared {
  type: string;
  bytes: Uint8Array<ArrayBuffer>;
  gzip?: Uint8Array<ArrayBuffer>;
  etag: string;
}

/** Bodies smaller than this are sent as they are: compressing them saves nothing. */
const COMPRESS_FROM = 1024;

async function prepare({ type, body }: Asset): Promise<Prepared> {
  const bytes = new TextEncoder().encode(body);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const etag = `"${
    Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")
  }"`;
  if (bytes.length < COMPRESS_FROM) return { type, bytes, etag };
  const gzip = new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  return { type, bytes, gzip, etag };
}

/** Whether `If-None-Match` names `etag` (or is `*`). */
function isFresh(request: Request, etag: string): boolean {
  const header = request.headers.get("if-none-match");
  if (header === null) return false;
  return header.trim() === "*" ||
    header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

function respond(request: Request, body: Prepared): Response {
  const headers = new Headers(SECURITY_HEADERS);
  headers.set("etag", body.etag);
  // Revalidate every time (a 304 is cheap): an upgraded server never meets a stale module.
  headers.set("cache-control", "no-cache");
  headers.set("vary", "accept-encoding");
  if (isFresh(request, body.etag)) return new Response(null, { status: 304, headers });
  headers.set("content-type", body.type);
  const isGzip = body.gzip !== undefined &&
    /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  if (isGzip) headers.set("content-encoding", "gzip");
  const bytes = isGzip ? body.gzip! : body.bytes;
  headers.set("content-length", String(bytes.length));
  return new Response(request.method === "HEAD" ? null : bytes, { status: 200, headers });
}

/**
 * A handler for the dashboard's page and files. It answers `GET` and `HEAD` of
 * `<basePath>/` (and `<basePath>` itself, redirected there so relative links resolve) and of
 * `<basePath>/dashboard/<file>`; for any other request it resolves to `undefined`, so the
 * caller's router answers (the API's routes, its 404).
 *
 * @param options the base path, read-only mode and heartbeat the page is told about
 * @returns a function from a request to the dashboard's response, or `undefined`
 *
 * @example Serving the dashboard beside your own routes
 * ```ts
 * import { dashboardHandler } from "./dashboard_handler.ts";
 *
 * const dashboard = dashboardHandler({ readOnly: true });
 * const response = await dashboard(new Request("http://localhost/"));
 * if (!response?.headers.get("content-security-policy")?.includes("default-src 'self'")) {
 *   throw new Error("no CSP");
 * }
 * ```
 */
export function dashboardHandler(
  options: DashboardOptions = {},
): (request: Request) => Promise<Response | undefined> {
  const basePath = options.basePath ?? "";
  const page: Asset = {
    type: "text/html; charset=utf-8",
    body: dashboardPage({
      isReadOnly: options.readOnly === true,
      heartbeatMs: options.heartbeatMs ?? 15_000,
    }),
  };
  const prepared = new Map<string, Promise<Prepared>>();
  const preparedOf = (key: string, asset: Asset) => {
    let body = prepared.get(key);
    if (body === undefined) prepared.set(key, body = prepare(asset));
    return body;
  };
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const path = new URL(request.url).pathname;
    if (!path.startsWith(basePath)) return undefined;
    const rest = path.slice(basePath.length);
    if (rest === "" && basePath !== "") {
      return new Response(null, {
        status: 308,
        headers: { ...SECURITY_HEADERS, location: `${basePath}/` },
      });
    }
    if (rest === "/" || rest === "/index.html") {
      // The browser asks for every file next: have them hashed and compressed by then.
      for (const [name, asset] of ASSETS) void preparedOf(name, asset);
      return respond(request, await preparedOf("/", page));
    }
    if (!rest.startsWith(ASSET_PREFIX)) return undefined;
    const name = rest.slice(ASSET_PREFIX.length);
    const asset = ASSETS.get(name);
    if (asset === undefined) {
      return new Response(`Cannot find ${path} as the dashboard has no such file`, {
        status: 404,
        headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" },
      });
    }
    return respond(request, await preparedOf(name, asset));
  };
}
