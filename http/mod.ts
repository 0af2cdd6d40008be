/**
 * The HTTP API of a Kinetik queue: `httpHandler(queue, options)` returns a Web-standard
 * `(request: Request) => Promise<Response>`, so it mounts in `Deno.serve`, `Bun.serve`, Hono
 * or any fetch-style server. JSON in and out; errors as `application/problem+json`; job lists
 * paged by an opaque cursor; live events as Server-Sent Events; an OpenAPI 3.1 document at
 * `/api/openapi.json`. `kinetik serve` runs it from the command line.
 *
 * @example Creating a job over HTTP
 * ```ts
 * import { kinetik } from "@kinetik/kinetik";
 * import { httpHandler } from "@kinetik/kinetik/http";
 *
 * const queue = kinetik();
 * const api = httpHandler(queue, { token: "s3cret" });
 * const response = await api(
 *   new Request("http://localhost/api/jobs", {
 *     method: "POST",
 *     headers: { authorization: "Bearer s3cret", "content-type": "application/json" },
 *     body: JSON.stringify({ task: "send email", data: { to: "ford@example.com" } }),
 *   }),
 * );
 * if (response.status !== 201) throw new Error(await response.text());
 * await queue.close();
 * ```
 *
 * @module
 */

export {
  type CorsOptions,
  type FetchHandler,
  httpHandler,
  type HttpOptions,
} from "./http_handler.ts";
export type { Problem } from "./_problem.ts";
export type { TaskListing } from "./_routes/queue_info.ts";
