/**
 * What the queue holds and who works on it: counts, task definitions, live workers. @module
 */

import type { TaskRecord } from "../../src/store.ts";
import type { ApiContext, App } from "../_context.ts";

/** A task as `GET /api/tasks` lists it (what `kinetik tasks --json` prints). */
export interface TaskListing extends TaskRecord {
  /** Ids of the live workers that run it. */
  workers: string[];
}

/** Tasks defined in this process and those the live workers recorded, by tag then name. */
async function taskListings(context: ApiContext): Promise<TaskListing[]> {
  const { queue } = context;
  const listings = new Map<string, TaskListing>();
  for (const task of queue.tasks.values()) {
    listings.set(task.name, { name: task.name, ...task.config, workers: [] });
  }
  const workers = await queue.workers();
  for (const worker of workers) {
    for (const record of worker.tasks) {
      const listing = listings.get(record.name) ?? { ...record, workers: [] };
      listing.workers.push(worker.id);
      listings.set(record.name, listing);
    }
  }
  return [...listings.values()].sort((a, b) =>
    a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
}

/** Adds the routes that describe the queue. */
export function queueInfoRoutes(app: App, context: ApiContext): void {
  app.get("/api/stats", async (c) => c.json(await context.queue.stats()));
  app.get("/api/tasks", async (c) => c.json(await taskListings(context)));
  app.get("/api/workers", async (c) => c.json(await context.queue.workers()));
}
