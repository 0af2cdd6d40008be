/**
 * What every store writes the same way and how the core reads records back: the shared log
 * texts, the record of a new job, and the query, paging and removal filters. Part of the
 * store contract (see `store.ts`, which re-exports every name).
 *
 * @module
 */

import type { Job, JobError, JobStatus } from "./job.ts";
import type { NewJob } from "./store_claims.ts";

/** The log line texts stores write themselves, shared so every store writes the same. */
export const STORE_MESSAGES = {
  stalledRequeued: "Stalled: lease expired, back to the queue",
  stalledFailed: "Stalled: lease expired and no attempts left",
  cancelled: "Cancelled",
  requeued: "Requeued by hand",
  promoted: "Promoted by hand",
} as const;

/** The error a stalled job fails with once its attempts are spent. */
export const STALLED_ERROR: JobError = {
  message: "Lease expired too many times",
  code: "ESTALLED",
};

/**
 * The record `add` saves for a new job: what a store returns without reading it back. `data`
 * is the store's own copy of `job.data`.
 */
export function newJobRecord(id: string, job: NewJob, data: unknown): Job {
  const record: Job = {
    id,
    task: job.task,
    data,
    status: job.runAt === undefined ? "queued" : "delayed",
    created: job.created,
    attempts: 0,
    priority: job.priority,
  };
  if (job.runAt !== undefined) record.runAt = job.runAt;
  if (job.key !== undefined) record.key = job.key;
  return record;
}

/** A Mongo-style query on job records, validated by the core (see `src/query.ts`). */
export type JobQuery = Record<string, unknown>;

/** Paging and order for `find`. */
export interface FindOptions {
  /** Skip this many matches (after `after`, when both are given). */
  offset: number;
  /**
   * Keyset paging: only jobs strictly after this one in the sort order (the last job of the
   * previous page, as `find` returned it). A store reads only its sort field, `created` and
   * `id` (an HTTP cursor keeps just those; the job may be gone since), and should serve it
   * from an index, without reading the jobs before it, at least for the `created` and `id`
   * orders.
   */
  after?: Job;
  /** Return at most this many. */
  limit: number;
  /**
   * One top-level field and a direction (1 ascending, -1 descending). Default `created`
   * ascending. Every store orders the same way (`compareJobs` in `src/query.ts` is the
   * reference):
   * - `id`: ids that are decimal strings (every built-in store's, assigned in creation order)
   *   compare as numbers, so `2` comes before `10`; they go before any other ids, which
   *   compare as strings.
   * - `status`: in life order, as `JOB_STATUSES` lists them: queued, delayed, processing,
   *   completed, failed, cancelled, timeout.
   * - `task` and other strings: by Unicode code point, which is the order of their UTF-8
   *   bytes (what SQLite, MongoDB and Redis compare natively); no locale, so `"B"` comes
   *   before `"a"`, and `"é"` after `"f"`.
   * - numbers by value; jobs without the field come last in both directions.
   * - ties break by creation order (`created`, then id) in the same direction, so a
   *   descending sort is the exact reverse of the ascending one (but for missing values),
   *   and paging with `offset` never skips or repeats a job.
   */
  sort?: { field: keyof Job; direction: 1 | -1 };
}

/**
 * What `remove` deletes: jobs of these statuses and (when given) these tasks, with their logs.
 * `before`, `keep` and `limit` narrow it to the oldest finished jobs, for `clean({ before })`
 * and retention sweeps.
 */
export interface RemoveFilter {
  /** Only jobs in one of these statuses. */
  status: readonly JobStatus[];
  /** Only jobs of these tasks; unset means every task. */
  tasks?: readonly string[];
  /** Only jobs whose `finished` is earlier than this (epoch ms); jobs without one are kept. */
  before?: number;
  /** Spare the newest `keep` matching jobs by `finished` (then id); remove only older ones. */
  keep?: number;
  /** Remove at most this many, oldest `finished` first, so one call stays short. */
  limit?: number;
}
