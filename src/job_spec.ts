/**
 * Turns what a caller passes to `create` into a job the store can save, checking everything
 * first: a bad argument throws at the call site and nothing is saved. @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import { assertJsonData } from "./json_data.ts";
import type { NewJob } from "./store.ts";

/** The third argument of `create`: a delay, or options. */
export interface CreateOptions {
  /** Run no earlier than this long after now (ms or a string like `"1d"`). */
  delay?: Duration;
  /** Lower runs first within a tag (default 0). */
  priority?: number;
  /** Deduplication key: while a job with this key is unfinished, `create` returns it instead. */
  key?: string;
  /**
   * A transaction of the store's own client (for the PostgreSQL store, `tx` of
   * `sql.begin(async (tx) => …)`): the job is saved inside it and exists exactly when it
   * commits. No `job:define` or `created` event is emitted for it, as the queue cannot see the
   * commit; processors hear of the job from the store when it commits. A store that cannot
   * join transactions makes `create` reject with a `TypeError`.
   */
  tx?: unknown;
}

/** One job for `createMany` (a transaction is given to `createMany` itself, for all of them). */
export interface JobSpec extends Omit<CreateOptions, "tx"> {
  task: string | { name: string };
  data?: unknown;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Checks a task name for `define`.
 * @throws {TypeError} when it is not a non-empty string, or contains ":" (reserved by the seed
 * for event namespacing)
 */
export function assertTaskName(name: unknown, action: string): asserts name is string {
  if (typeof name !== "string" || name.trim() === "" || name.includes(":")) {
    throw new TypeError(
      `Cannot ${action} as a task name must be a non-empty string without ":": current value is ${
        show(name)
      }`,
    );
  }
}

/** Builds the job to save; `now` is the creation time. */
export function buildJob(
  task: string | { name: string },
  data: unknown,
  options: Duration | CreateOptions | undefined,
  now: number,
): NewJob {
  const name = typeof task === "object" && task !== null ? task.name : task;
  assertTaskName(name, "create job");
  const what = `create job for ${JSON.stringify(name)}`;
  const payload = data === undefined ? {} : data;
  assertJsonData(payload, what);
  const opts: CreateOptions = typeof options === "object" && options !== null
    ? options
    : { delay: options ?? undefined };
  const delay = opts.delay === undefined ? 0 : parseDuration(opts.delay, "delay");
  const priority = opts.priority ?? 0;
  if (typeof priority !== "number" || !Number.isInteger(priority)) {
    throw new TypeError(
      `Cannot ${what} as priority must be an integer: current value is ${show(priority)}`,
    );
  }
  if (opts.key !== undefined && (typeof opts.key !== "string" || opts.key === "")) {
    throw new TypeError(
      `Cannot ${what} as key must be a non-empty string: current value is ${show(opts.key)}`,
    );
  }
  const job: NewJob = {
    task: name,
    data: payload,
    created: now,
    priority,
    log: {
      time: now,
      message: delay > 0
        ? `Created, delayed until ${new Date(now + delay).toISOString()}`
        : "Created",
    },
  };
  if (delay > 0) job.runAt = now + delay;
  if (opts.key !== undefined) job.key = opts.key;
  return job;
}
