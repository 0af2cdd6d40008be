/**
 * Bulk actions on what a filter selects: clean finished jobs. @module
 */

import type { CleanOptions } from "../../src/queue_reads.ts";
import { readJson } from "../_body.ts";
import type { ApiContext, App } from "../_context.ts";
import { assertFields } from "../_params.ts";

/** What `POST /api/clean` takes: the options of `queue.clean()`. */
const CLEAN_FIELDS = ["tags", "status"] as const;

/** Adds the bulk routes. */
export function bulkRoutes(app: App, context: ApiContext): void {
  app.post("/api/clean", async (c) => {
    const body = await readJson(c.req.raw, { isOptional: true }) ?? {};
    assertFields(body, CLEAN_FIELDS, "clean jobs");
    const count = await context.queue.clean(body as CleanOptions);
    return c.json({ count });
  });
}
