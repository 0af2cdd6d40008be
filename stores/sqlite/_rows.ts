/**
 * Rows to records and back: JSON fields are text, missing fields are NULL, and a NULL column
 * is an absent property on the record. @module
 */

import type { Job, JobStatus, LogLine } from "../../src/job.ts";

/** A `jobs` row as `SELECT *` returns it. */
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
}

/** A `logs` row. */
export interface LogRow {
  time: number;
  message: string;
  data: string | null;
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
  return job;
}

/** The log line a row holds. */
export function toLogLine(row: LogRow): LogLine {
  const line: LogLine = { time: row.time, message: row.message };
  if (row.data !== null) line.data = JSON.parse(row.data);
  return line;
}

/** Job fields that map to a sortable column, for `ORDER BY` in SQL. */
export const SORT_COLUMNS: Readonly<Partial<Record<keyof Job, string>>> = {
  id: "id",
  task: "task",
  status: "status",
  created: "created",
  runAt: "run_at",
  attempts: "attempts",
  priority: "priority",
  key: "key",
  started: "started",
  finished: "finished",
  worker: "worker",
  leaseUntil: "lease_until",
  maxAttempts: "max_attempts",
};
