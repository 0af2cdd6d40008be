/**
 * Bulk actions on what a filter selects: retry the failed jobs a query matches, clean
 * finished jobs. @module
 */

import type { CleanOptions } from "../../src/queue_reads.ts";
import { readJson } from "../_body.ts";
import type { ApiContext, App } from "../_context.ts";
import { assertFields } from "../_params.ts";

/** What `POST /api/clean` takes: the options of `queue.clean()`. */
const CLEAN_FIELDS = ["tags", "status", "before"] as const;

/** Adds the bulk routes. */
export function bulkRoutes(app: App, context: ApiContext): void {
  app.post("/api/retry", async (c) => {
    const query = await readJson(c.req.raw, { isOptional: true }) ?? {};
    if (typeof query !== "object" || query === null || Array.isArray(query)) {
      throw new TypeError(
        `Cannot retry jobs as the body must be a query object: current value is ${
          JSON.stringify(query).slice(0, 200)
        }`,
      );
    }
    const count = await context.queue.retry(query as Record<string, unknown>);
    return c.json({ count });
  });

  app.post("/api/clean", async (c) => {
    const body = await readJson(c.req.raw, { isOptional: true }) ?? {};
    assertFields(body, CLEAN_FIELDS, "clean jobs");
    const count = await context.queue.clean(body as CleanOptions);
    return c.json({ count });
  });
}
