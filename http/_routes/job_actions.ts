/**
 * What can be done to one job: cancel, retry, promote (each answers with the record
 * afterwards, 404 when there is no such job, 409 when the job is in a status the action does
 * not apply to), and remove (204, or 404). @module
 */

import type { Job, JobStatus } from "../../src/job.ts";
import type { ApiContext, App } from "../_context.ts";
import { idParam } from "../_params.ts";
import { HttpProblem } from "../_problem.ts";
import { jobOr404 } from "./jobs.ts";

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/**
 * The answer after an action: the record when it was done, else 404 or 409 for the status
 * the job is in (`allowed` names the statuses the action applies to).
 */
async function afterAction(
  context: ApiContext,
  id: string,
  action: string,
  isDone: boolean,
  allowed: readonly JobStatus[],
): Promise<Job> {
  const job = await jobOr404(context, id);
  if (isDone) return job;
  throw new HttpProblem(
    409,
    `Cannot ${action} job ${id} as it must be ${orList(allowed)}: current value is ${
      JSON.stringify(job.status)
    }`,
  );
}

/** Adds the routes of actions on one job. */
export function jobActionRoutes(app: App, context: ApiContext): void {
  const { queue } = context;

  app.post("/api/jobs/:id/cancel", async (c) => {
    const id = idParam(c.req.param("id"), "job id");
    const isCancelled = await queue.cancel(id);
    const job = await afterAction(context, id, "cancel", isCancelled, [
      "queued",
      "delayed",
      "processing",
    ]);
    return c.json({ job });
  });

  app.post("/api/jobs/:id/promote", async (c) => {
    const id = idParam(c.req.param("id"), "job id");
    const isPromoted = await queue.promote(id);
    const job = await afterAction(context, id, "promote", isPromoted, ["delayed"]);
    return c.json({ job });
  });

  app.delete("/api/jobs/:id", async (c) => {
    const id = idParam(c.req.param("id"), "job id");
    if (!await queue.remove(id)) await jobOr404(context, id);
    return c.body(null, 204);
  });

  app.post("/api/jobs/:id/retry", async (c) => {
    const id = idParam(c.req.param("id"), "job id");
    const retried = await queue.retry(id);
    const job = await afterAction(context, id, "retry", retried !== undefined, [
      "failed",
      "timeout",
      "cancelled",
    ]);
    return c.json({ job });
  });
}
