/**
 * Rows to records and back: times are bigint columns (which the `postgres` client returns as
 * strings unless told otherwise), JSON fields are text, and a NULL column is an absent
 * property on the record. @module
 */

import type { Job, JobStatus } from "../../src/job.ts";
import { type NewJob, newJobRecord } from "../../src/store.ts";
import type { Connection, Row } from "./_connection.ts";

/** The columns of a record: every column but `logs`, `held_key` and `ready_at`. */
export const JOB_COLUMNS = [
  "id",
  "task",
  "data",
  "status",
  "created",
  "run_at",
  "priority",
  "key",
  "attempts",
  "max_attempts",
  "error",
  "started",
  "finished",
  "progress",
  "worker",
  "lease_until",
  "result",
  "retry",
  "timeout",
  "trace",
];

/** `JOB_COLUMNS` as a select list, each column qualified by `table`. */
export function jobColumns(table: string): string {
  return JOB_COLUMNS.map((column) => `${table}.${column}`).join(", ");
}

/** JSON text for a value, or NULL for `undefined`. */
export function toText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** A bigint or integer column as a number (NULL stays `undefined`). */
function int(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/** A JSON text column as its value (a client set to parse JSON itself hands objects over). */
function json(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? JSON.parse(value) : value;
}

/** The record a row holds (the token stays in the store). */
export function toJob(row: Row): Job {
  const job: Job = {
    id: String(row.id),
    task: row.task as string,
    data: json(row.data),
    status: row.status as JobStatus,
    created: Number(row.created),
    attempts: Number(row.attempts),
    priority: Number(row.priority),
  };
  const runAt = int(row.run_at);
  if (runAt !== undefined) job.runAt = runAt;
  if (row.key !== null) job.key = row.key as string;
  if (row.error !== null) job.error = json(row.error) as Job["error"];
  const started = int(row.started);
  if (started !== undefined) job.started = started;
  const finished = int(row.finished);
  if (finished !== undefined) job.finished = finished;
  if (row.progress !== null) job.progress = json(row.progress) as Job["progress"];
  if (row.worker !== null) job.worker = row.worker as string;
  const leaseUntil = int(row.lease_until);
  if (leaseUntil !== undefined) job.leaseUntil = leaseUntil;
  const maxAttempts = int(row.max_attempts);
  if (maxAttempts !== undefined) job.maxAttempts = maxAttempts;
  if (row.result !== null) job.result = json(row.result);
  if (row.retry !== null) job.retry = json(row.retry) as Job["retry"];
  const timeout = int(row.timeout);
  if (timeout !== undefined) job.timeout = timeout;
  if (row.trace !== null) job.trace = json(row.trace) as Job["trace"];
  return job;
}

/**
 * The record `add` saved, built without reading it back: what {@linkcode toJob} would make of
 * the inserted row. `dataText` is the JSON text sent for `job.data`.
 */
export function addedJob(id: string, job: NewJob, dataText: string | null): Job {
  const record = newJobRecord(id, job, dataText === null ? undefined : JSON.parse(dataText));
  if (job.maxAttempts !== undefined) record.maxAttempts = job.maxAttempts;
  if (job.retry !== undefined) record.retry = structuredClone(job.retry);
  if (job.timeout !== undefined) record.timeout = job.timeout;
  if (job.trace !== undefined) record.trace = { ...job.trace };
  return record;
}

/** A job id as the bigint key, or `undefined` for an id this store never made. */
export function rowId(id: string): string | undefined {
  return /^[1-9][0-9]{0,17}$/.test(id) ? id : undefined;
}

/**
 * Runs `sql` on one job, its id bound as `$1` and `params` after it, and returns the row it
 * returns as a job; `undefined` when there is none, or for an id no row can have.
 */
export async function queryJob(
  connection: Connection,
  what: string,
  id: string,
  sql: string,
  params: unknown[] = [],
): Promise<Job | undefined> {
  const key = rowId(id);
  if (key === undefined) return undefined;
  const [row] = await connection.query(what, sql, [key, ...params]);
  return row && toJob(row);
}
