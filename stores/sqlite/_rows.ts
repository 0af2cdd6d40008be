/**
 * Rows to records and back: JSON fields are text, missing fields are NULL, and a NULL column
 * is an absent property on the record. @module
 */

import type { Job, JobStatus } from "../../src/job.ts";

/**
 * The columns of a record: every column but `logs`, `own_max_attempts` (kept in
 * `max_attempts` too) and the virtual `ready_at`.
 */
export const JOB_COLUMNS =
  "id, task, data, status, created, run_at, priority, key, attempts, max_attempts, error, " +
  "started, finished, progress, worker, lease_until, token, result, retry, timeout, trace";

/** A `jobs` row as `SELECT ${JOB_COLUMNS}` returns it. */
export interface JobRow {
  id: number;
  task: string;
  data: string | null;
  status: string;
  created: number;
  run_at: number | null;
  priority: number;
  key: string | null;
  attempts: number;
  max_attempts: number | null;
  error: string | null;
  started: number | null;
  finished: number | null;
  progress: string | null;
  worker: string | null;
  lease_until: number | null;
  token: string | null;
  result: string | null;
  retry: string | null;
  timeout: number | null;
  trace: string | null;
}

/**
 * A row of `SELECT ${JOB_COLUMNS}` read as an array (see `Statements.rows`), or already as an
 * object, as a {@linkcode JobRow}. Deno's `node:sqlite` builds a row object several times slower
 * than a row array (about 8 against 2 µs for these 21 columns, measured), and the claim and the
 * settle read a row per job; an object literal built here costs next to nothing.
 */
export function toRow(values: unknown): JobRow {
  if (!Array.isArray(values)) return values as JobRow;
  return {
    id: values[0],
    task: values[1],
    data: values[2],
    status: values[3],
    created: values[4],
    run_at: values[5],
    priority: values[6],
    key: values[7],
    attempts: values[8],
    max_attempts: values[9],
    error: values[10],
    started: values[11],
    finished: values[12],
    progress: values[13],
    worker: values[14],
    lease_until: values[15],
    token: values[16],
    result: values[17],
    retry: values[18],
    timeout: values[19],
    trace: values[20],
  };
}

/** JSON text for a value, or NULL for `undefined`. */
export function toText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** The record a row holds (the token stays in the store). */
export function toJob(row: JobRow): Job {
  const job: Job = {
    id: String(row.id),
    task: row.task,
    data: row.data === null ? undefined : JSON.parse(row.data),
    status: row.status as JobStatus,
    created: row.created,
    attempts: row.attempts,
    priority: row.priority,
  };
  if (row.run_at !== null) job.runAt = row.run_at;
  if (row.key !== null) job.key = row.key;
  if (row.error !== null) job.error = JSON.parse(row.error);
  if (row.started !== null) job.started = row.started;
  if (row.finished !== null) job.finished = row.finished;
  if (row.progress !== null) job.progress = JSON.parse(row.progress);
  if (row.worker !== null) job.worker = row.worker;
  if (row.lease_until !== null) job.leaseUntil = row.lease_until;
  if (row.max_attempts !== null) job.maxAttempts = row.max_attempts;
  if (row.result !== null) job.result = JSON.parse(row.result);
  if (row.retry !== null) job.retry = JSON.parse(row.retry);
  if (row.timeout !== null) job.timeout = row.timeout;
  if (row.trace !== null) job.trace = JSON.parse(row.trace);
  return job;
}
