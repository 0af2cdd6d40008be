/**
 * The queue's reading and cleaning verbs over a store: paging `fetch`, `stats` by tag and
 * task, and `clean` by tags. Tags are not stored on jobs (a producer may not know them), so
 * they are resolved from the tasks defined in this process and those workers recorded in the
 * store. @module
 */

import { parseDuration } from "./duration.ts";
import { type Job, JOB_STATUSES, type JobStatus, zeroStatusCounts } from "./job.ts";
import { canNarrowRemoves } from "./retention.ts";
import type { FindOptions, JobQuery, RemoveFilter, Store } from "./store.ts";

/** Options of `queue.fetch()`. */
export interface FetchOptions {
  /** At most this many jobs. */
  limit?: number;
  /**
   * One field and a direction, Mongo style: `{ created: -1 }`. Default creation order. The
   * same order on every store: ids as numbers, statuses in life order (queued first), strings
   * by code point, missing values last, ties by creation order (see `FindOptions.sort`).
   */
  sort?: Partial<Record<keyof Job, 1 | -1>>;
  /**
   * Keyset paging: only jobs after this one in the sort order, typically the last job of the
   * previous page. Only its sort field, `created` and `id` are read, so a cursor that kept
   * those three is enough; the job need not exist any more. Stores serve it from an index
   * for the `created` and `id` orders, without reading the jobs before it.
   */
  after?: Pick<Job, "id" | "created"> & Partial<Job>;
}

/** What `queue.clean()` accepts besides tags. */
export interface CleanOptions {
  /** Only jobs of tasks in these tags; unset means every tag. */
  tags?: string | string[];
  /**
   * Only jobs in these statuses.
   * @default {"completed"}
   */
  status?: JobStatus | JobStatus[];
  /**
   * Only jobs that finished before this: an age as a duration string (`"7d"`: more than a
   * week ago), or a time as epoch ms or a `Date`.
   */
  before?: string | number | Date;
}

/** Counts of jobs, as `queue.stats()` returns them and `kinetik jobs` prints them. */
export interface QueueStats {
  /** Every job in the store. */
  total: number;
  /** Jobs by status. */
  status: Record<JobStatus, number>;
  /** By task: its tag when known, its total and counts by status. */
  tasks: Record<string, { tag?: string; total: number; status: Record<JobStatus, number> }>;
  /** By tag; tasks whose tag is unknown here count under "?". */
  tags: Record<string, { total: number; status: Record<JobStatus, number> }>;
}

const SORTABLE: ReadonlySet<string> = new Set([
  "id",
  "task",
  "status",
  "created",
  "runAt",
  "attempts",
  "priority",
  "started",
  "finished",
]);

const PAGE = 200;

function show(value: unknown): string {
  // JSON shows NaN and ±Infinity as null.
  return typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value);
}

function sortOf(sort: FetchOptions["sort"]): FindOptions["sort"] {
  if (sort === undefined) return undefined;
  const entries = Object.entries(sort ?? {});
  const [field, direction] = entries[0] ?? [];
  if (entries.length !== 1 || !SORTABLE.has(field) || (direction !== 1 && direction !== -1)) {
    throw new TypeError(
      `Cannot sort jobs as sort must be one field of ${
        [...SORTABLE].join(", ")
      } with 1 or -1: current value is ${show(sort)}`,
    );
  }
  return { field: field as keyof Job, direction };
}

/** `FetchOptions.after` checked: an object with a string `id` and a finite `created`. */
function afterOf(after: FetchOptions["after"]): Job | undefined {
  if (after === undefined) return undefined;
  if (
    typeof after !== "object" || after === null || typeof after.id !== "string" ||
    typeof after.created !== "number" || !Number.isFinite(after.created)
  ) {
    throw new TypeError(
      `Cannot fetch jobs as after must be a job with a string id and a number created: current value is ${
        show(after)
      }`,
    );
  }
  // Stores read only the sort field, `created` and `id` of `FindOptions.after`.
  return after as Job;
}

/** Pages through the jobs matching a validated query. */
export function fetchJobs(
  store: Store,
  query: JobQuery,
  options: FetchOptions = {},
): AsyncIterable<Job> {
  const sort = sortOf(options.sort);
  const limit = options.limit ?? Infinity;
  if (typeof limit !== "number" || !(limit >= 0)) {
    throw new RangeError(
      `Cannot fetch jobs as limit must be a number >= 0: current value is ${show(limit)}`,
    );
  }
  const after = afterOf(options.after);
  return (async function* () {
    let offset = 0;
    while (offset < limit) {
      const size = Math.min(PAGE, limit - offset);
      // Pages within one fetch go by offset from `after`: a store that ignores `after` still
      // pages correctly from the start (a keyset of its own would repeat the first page).
      const page: FindOptions = { offset, limit: size, sort };
      if (after) page.after = after;
      const jobs = await store.find(query, page);
      yield* jobs;
      if (jobs.length < size) return;
      offset += jobs.length;
    }
  })();
}

/**
 * Every task's tag known here or recorded in the store by workers alive at `now` (the queue's
 * clock, which is the one workers beat with).
 */
export async function knownTags(
  store: Store,
  local: Map<string, string>,
  now: number = Date.now(),
): Promise<Map<string, string>> {
  const tags = new Map<string, string>();
  if (store.workers) {
    for (const worker of await store.workers(now)) {
      for (const task of worker.tasks) tags.set(task.name, task.tag);
    }
  }
  for (const [task, tag] of local) tags.set(task, tag);
  return tags;
}

/** Counts by status, task and tag. */
export async function queueStats(
  store: Store,
  local: Map<string, string>,
  now?: number,
): Promise<QueueStats> {
  const [counts, tagOf] = await Promise.all([store.stats(), knownTags(store, local, now)]);
  const stats: QueueStats = { total: 0, status: zeroStatusCounts(), tasks: {}, tags: {} };
  for (const [task, byStatus] of Object.entries(counts)) {
    const tag = tagOf.get(task);
    const entry = stats.tasks[task] = { tag, total: 0, status: zeroStatusCounts() };
    const tagEntry = stats.tags[tag ?? "?"] ??= { total: 0, status: zeroStatusCounts() };
    for (const [status, n] of Object.entries(byStatus) as [JobStatus, number][]) {
      if (!n) continue;
      entry.status[status] += n;
      entry.total += n;
      tagEntry.status[status] += n;
      tagEntry.total += n;
      stats.status[status] += n;
      stats.total += n;
    }
  }
  return stats;
}

function listOf<T extends string>(
  value: T | T[] | undefined,
  what: string,
  allowed?: readonly string[],
): T[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.some((item) => typeof item !== "string" || (allowed && !allowed.includes(item)))) {
    const hint = allowed ? ` of ${allowed.join(", ")}` : "";
    throw new TypeError(
      `Cannot clean jobs as ${what} must be strings${hint}: current value is ${show(value)}`,
    );
  }
  return list;
}

/** `before` as epoch ms: a time as it is, an age counted back from `now`. */
function cutoff(before: CleanOptions["before"], now: number): number {
  if (before instanceof Date && !Number.isNaN(before.getTime())) return before.getTime();
  if (typeof before === "number" && Number.isFinite(before)) return before;
  if (typeof before === "string") return now - parseDuration(before, "clean before");
  throw new TypeError(
    `Cannot clean jobs as before must be a duration like "7d", epoch ms or a Date: current value is ${
      show(before)
    }`,
  );
}

/**
 * Removes jobs of the given statuses (default completed) and tags, with their logs; with
 * `before`, only those that finished before it.
 * @throws {Error} for `before` on a store that cannot remove jobs by finish time
 */
export async function cleanJobs(
  store: Store,
  tags: string | string[] | CleanOptions | undefined,
  local: Map<string, string>,
  now: number = Date.now(),
): Promise<number> {
  const options: CleanOptions = typeof tags === "object" && !Array.isArray(tags) ? tags : { tags };
  const tagList = listOf(options.tags, "tags");
  const status = listOf(options.status ?? "completed", "status", JOB_STATUSES) as JobStatus[];
  const filter: RemoveFilter = { status };
  if (options.before !== undefined) {
    filter.before = cutoff(options.before, now);
    if (!canNarrowRemoves(store)) {
      throw new Error(`Cannot clean jobs by age as the ${store.name} store cannot remove by time`);
    }
  }
  if (!tagList) return await store.remove(filter);
  const tagOf = await knownTags(store, local, now);
  const tasks = [...tagOf].filter(([, tag]) => tagList.includes(tag)).map(([task]) => task);
  if (tasks.length === 0) return 0;
  return await store.remove({ ...filter, tasks });
}
