/**
 * Schedules and pauses: list, store and delete schedules; what is paused, pause, resume.
 * @module
 */

import type { PauseInput } from "../../src/queue_control.ts";
import type { ScheduleSpec } from "../../src/schedules/schedule_spec.ts";
import { readJson } from "../_body.ts";
import type { ApiContext, App } from "../_context.ts";
import { assertFields, idParam } from "../_params.ts";
import { HttpProblem } from "../_problem.ts";

/** The fields of a schedule's spec (`queue.schedule(id, spec)`). */
const SPEC_FIELDS = ["cron", "every", "task", "data", "tz", "missed", "priority"] as const;

/** Adds the schedule and pause routes. */
export function controlRoutes(app: App, context: ApiContext): void {
  const { queue } = context;

  app.get("/api/schedules", async (c) => c.json(await queue.schedules()));

  app.put("/api/schedules/:id", async (c) => {
    const id = idParam(c.req.param("id"), "schedule id");
    const spec = await readJson(c.req.raw);
    assertFields(spec, SPEC_FIELDS, "schedule");
    return c.json({ schedule: await queue.schedule(id, spec as ScheduleSpec) });
  });

  app.delete("/api/schedules/:id", async (c) => {
    const id = idParam(c.req.param("id"), "schedule id");
    if (!await queue.unschedule(id)) {
      throw new HttpProblem(
        404,
        `Cannot find schedule as there is none with this id: current value is ${
          JSON.stringify(id)
        }`,
      );
    }
    return c.body(null, 204);
  });

  app.get("/api/paused", async (c) => c.json(await queue.paused()));

  for (const action of ["pause", "resume"] as const) {
    // Body: a tag (a JSON string) or { tags, tasks }; answers what is paused afterwards.
    app.post(`/api/${action}`, async (c) => {
      const target = await readJson(c.req.raw);
      await queue[action](target as PauseInput);
      return c.json(await queue.paused());
    });
  }
}
