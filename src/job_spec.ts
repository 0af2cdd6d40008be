/**
 * Turns what a caller passes to `create` into a job the store can save, checking everything
 * first: a bad argument throws at the call site and nothing is saved. @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import { assertJsonData } from "./json_data.ts";
import { stallLimit } from "./outcome.ts";
import { parseRetryPolicy, parseTimeout, type RetryOptions } from "./run_policy.ts";
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
   * This job's retry policy, over the task's: a delay (retries without limit) or
   * `{ delay, max, backoff }`. Stored with the job, so a producer without the task's
   * definition can set it.
   */
  retry?: Duration | RetryOptions;
  /** This job's run-time limit, over the task's (ms or a string like `"30s"`). */
  timeout?: Duration;
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
  /** The task's name, or the task itself. */
  task: string | { name: string };
  /** The job's JSON data. */
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

/**
 * Builds the jobs of `createMany`; `now` is their creation time.
 * @throws {TypeError | RangeError} when `specs` is not an array, or for any bad spec
 */
export function buildJobs(specs: readonly JobSpec[], now: number): NewJob[] {
  if (!Array.isArray(specs)) {
    throw new TypeError(
      `Cannot create jobs as specs must be an array: current value is ${show(specs)}`,
    );
  }
  return specs.map((spec) => buildJob(spec?.task, spec?.data, spec, now));
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
  const payload = data === undefined ? {} : data;
  // Named only when a check fails: building the text per job was a share of a bulk create.
  const what = () => `create job for ${JSON.stringify(name)}`;
  assertJsonData(payload, what);
  const opts: CreateOptions = typeof options === "object" && options !== null
    ? options
    : { delay: options ?? undefined };
  const delay = opts.delay === undefined ? 0 : parseDuration(opts.delay, "delay");
  const priority = opts.priority ?? 0;
  if (typeof priority !== "number" || !Number.isInteger(priority)) {
    throw new TypeError(
      `Cannot ${what()} as priority must be an integer: current value is ${show(priority)}`,
    );
  }
  if (opts.key !== undefined && (typeof opts.key !== "string" || opts.key === "")) {
    throw new TypeError(
      `Cannot ${what()} as key must be a non-empty string: current value is ${show(opts.key)}`,
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
  if (opts.retry !== undefined) {
    const { delay, max, backoff } = parseRetryPolicy(opts.retry, undefined, what());
    job.retry = max === undefined ? { delay, backoff } : { delay, max, backoff };
    // A claim records the stall limit of the task's policy; this job carries its own.
    job.maxAttempts = stallLimit({ retry: job.retry });
  }
  if (opts.timeout !== undefined) job.timeout = parseTimeout(opts.timeout);
  return job;
}
