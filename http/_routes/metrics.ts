/**
 * `GET /api/metrics?since=1h&bucket=1m`: `queue.metrics()` (completed and failed runs and
 * run-time p50/p95 per bucket, per task and in total), what the dashboard charts. @module
 */

import type { ApiContext, App } from "../_context.ts";

/** `since` as the library takes it: digits are epoch ms, anything else a duration ("1h"). */
function sinceParam(text: string | null): string | number | undefined {
  if (text === null || text.trim() === "") return undefined;
  return /^\d+$/.test(text.trim()) ? Number(text) : text;
}

/** Adds the metrics route. */
export function metricsRoutes(app: App, context: ApiContext): void {
  app.get("/api/metrics", async (c) => {
    const url = new URL(c.req.url);
    const bucket = url.searchParams.get("bucket") ?? undefined;
    return c.json(
      await context.queue.metrics({ since: sinceParam(url.searchParams.get("since")), bucket }),
    );
  });
}
