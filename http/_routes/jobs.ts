/**
 * Jobs: list a page (keyset cursor), create one or many, read one and its log. @module
 */

import type { Job } from "../../src/job.ts";
import type { CreateOptions, JobSpec } from "../../src/job_spec.ts";
import { type FetchOptions, knownTags } from "../../src/queue_reads.ts";
import { readJson } from "../_body.ts";
import type { ApiContext, App } from "../_context.ts";
import { decodeCursor, encodeCursor, type ListSort } from "../_cursor.ts";
import {
  assertFields,
  choiceParam,
  idParam,
  intParam,
  listParam,
  queryParam,
  statusParam,
} from "../_params.ts";
import { HttpProblem } from "../_problem.ts";

/** The fields of a job to create (the library's `create` options, plus task and data). */
const JOB_FIELDS = ["task", "data", "delay", "priority", "key", "retry", "timeout"] as const;

/** A page holds 50 jobs unless `limit` says otherwise, at most 500. */
const PAGE = { min: 1, max: 500, fallback: 50 };

/** The record of job `id`, or a 404. */
export async function jobOr404(context: ApiContext, id: string): Promise<Job> {
  const job = await context.queue.get(id);
  if (!job) {
    throw new HttpProblem(
      404,
      `Cannot find job as there is none with this id: current value is ${JSON.stringify(id)}`,
    );
  }
  return job;
}

/** The names of the tasks in `tags`, as this process and the live workers know them. */
async function tasksOfTags(context: ApiContext, tags: readonly string[]): Promise<string[]> {
  const { queue } = context;
  const local = new Map([...queue.tasks.values()].map((task) => [task.name, task.config.tag]));
  const tagOf = await knownTags(queue.store, local, queue.clock.now());
  return [...tagOf].filter(([, tag]) => tags.includes(tag)).map(([task]) => task);
}

/**
 * The query of a job list: `query` (JSON) with `status`, `task` and `tag` on top. A list
 * parameter becomes an `$in` beside the query's own conditions, so a store still answers
 * plain status and task filters from its indexes.
 */
async function listQuery(context: ApiContext, url: URL): Promise<Record<string, unknown> | null> {
  const query = queryParam(url) ?? {};
  const conditions: Record<string, unknown>[] = [];
  const status = statusParam(url);
  if (status) conditions.push({ status: { $in: status } });
  let tasks = listParam(url, "task");
  const tags = listParam(url, "tag");
  if (tags) {
    const ofTags = await tasksOfTags(context, tags);
    tasks = tasks ? tasks.filter((task) => ofTags.includes(task)) : ofTags;
    if (tasks.length === 0) return null; // no known task has one of the tags
  }
  if (tasks) conditions.push({ task: { $in: tasks } });
  for (const condition of conditions) {
    const [key] = Object.keys(condition);
    if (key in query) query.$and = [...(query.$and as unknown[] ?? []), condition];
    else Object.assign(query, condition);
  }
  return query;
}

/** Adds the job routes. */
export function jobRoutes(app: App, context: ApiContext): void {
  const { queue } = context;

  app.get("/api/jobs", async (c) => {
    const url = new URL(c.req.url);
    const [sort = "created"] = choiceParam<ListSort>(url, "sort", ["created", "-created"]) ?? [];
    const limit = intParam(url, "limit", PAGE);
    const cursor = url.searchParams.get("cursor");
    const after = cursor ? decodeCursor(cursor, sort) : undefined;
    const query = await listQuery(context, url);
    if (query === null) return c.json({ jobs: [] });
    const jobs: Job[] = [];
    // One more than the page: a `next` cursor only when there is a next page.
    const options: FetchOptions = {
      limit: limit + 1,
      sort: { created: sort === "created" ? 1 : -1 },
      after,
    };
    for await (const job of queue.fetch(query, options)) jobs.push(job);
    if (jobs.length <= limit) return c.json({ jobs });
    jobs.length = limit;
    return c.json({ jobs, next: encodeCursor(sort, jobs[limit - 1]) });
  });

  app.post("/api/jobs", async (c) => {
    const body = await readJson(c.req.raw);
    if (Array.isArray(body)) {
      for (const spec of body) assertFields(spec, JOB_FIELDS, "create jobs");
      const jobs = await queue.createMany(body as JobSpec[]);
      return c.json({ jobs }, 201);
    }
    assertFields(body, JOB_FIELDS, "create job");
    const { task, data, ...options } = body;
    const job = await queue.create(task as string, data, options as CreateOptions);
    c.header("location", `${context.basePath}/api/jobs/${encodeURIComponent(job.id)}`);
    return c.json({ job }, 201);
  });

  app.get("/api/jobs/:id", async (c) => {
    return c.json(await jobOr404(context, idParam(c.req.param("id"), "job id")));
  });

  app.get("/api/jobs/:id/logs", async (c) => {
    const id = idParam(c.req.param("id"), "job id");
    await jobOr404(context, id);
    return c.json(await queue.logs(id));
  });
}
