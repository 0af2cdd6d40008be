/**
 * `GET /api/events`: the queue's job events as Server-Sent Events, from every process on the
 * store when it carries events, filtered by type, task and job. @module
 */

import { QUEUE_EVENT_TYPES } from "../../src/events.ts";
import type { ApiContext, App } from "../_context.ts";
import { choiceParam, idParam, listParam } from "../_params.ts";
import { sseResponse } from "../_sse.ts";

/** Adds the event stream route. */
export function eventRoutes(app: App, context: ApiContext): void {
  app.get("/api/events", (c) => {
    const url = new URL(c.req.url);
    const type = choiceParam(url, "type", QUEUE_EVENT_TYPES);
    const task = listParam(url, "task");
    const job = url.searchParams.get("job");
    const id = job === null ? undefined : idParam(job, "job");
    // Opened only once every parameter is read: a 400 leaves no subscription behind.
    const events = context.queue.events({ type, task, id });
    // A client that goes away cancels the body (Deno and Bun both do), which ends the stream;
    // `request.signal` is not needed, and Deno 2 warns about its legacy abort on listeners.
    return sseResponse(events, { heartbeatMs: context.heartbeatMs, signal: context.closing });
  });
}
