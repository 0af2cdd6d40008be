/**
 * Job documents and records: what the `jobs` collection holds, and the record each document
 * gives back. @module
 */

import type { Job, JobError, JobProgress, JobStatus, LogLine, RetryPolicy } from "../../src/job.ts";
import type { NewJob } from "../../src/store.ts";
import { MAX_DOCUMENT_DATA_DEPTH, MAX_LOG_DATA_DEPTH, nestsDeeper } from "./_depth.ts";

/**
 * A job as stored. Record fields keep their record names (so a query needs no renaming but
 * `id` → `_id`); fields only the store uses start with `_`, and no record field does.
 */
export interface JobDocument {
  /** The job id as a number, so ids sort numerically; records show it as a string. */
  _id: number;
  task: string;
  data?: unknown;
  status: JobStatus;
  created: number;
  runAt?: number;
  priority: number;
  key?: string;
  attempts: number;
  maxAttempts?: number;
  error?: JobError;
  started?: number;
  finished?: number;
  progress?: JobProgress;
  worker?: string;
  leaseUntil?: number;
  result?: unknown;
  retry?: RetryPolicy;
  timeout?: number;
  trace?: Record<string, string>;
  /** The current claim's token, while `processing`. */
  _token?: string;
  /** When the job became ready (`runAt`, else `created`): the claim order after priority. */
  _readyAt: number;
  /** The dedupe key while the job is unfinished and holds it (unique index). */
  _activeKey?: string;
  /** The job's log, in append order; appended to with `$push`, never rewritten. */
  _logs: StoredLine[];
  /** `maxAttempts` as the job was saved with it: a claim keeps it (see `_claim.ts`). */
  _ownMaxAttempts?: number;
  /** A result nested too deep for a document, as JSON text (see `_depth.ts`). */
  _resultJson?: string;
  /** The concurrency slot a processing job holds (see `_control.ts`). */
  _slot?: number;
  /** The key of a job a schedule fired, kept for good (see `_schedules.ts`). */
  _fireKey?: string;
}

/** The record fields, in the order records list them. */
export const RECORD_FIELDS: readonly (keyof Job)[] = [
  "id",
  "task",
  "data",
  "status",
  "created",
  "runAt",
  "attempts",
  "priority",
  "key",
  "error",
  "started",
  "finished",
  "progress",
  "worker",
  "leaseUntil",
  "maxAttempts",
  "result",
  "retry",
  "timeout",
  "trace",
];

/** The statuses of a job that is not finished: it holds its dedupe key. */
export const UNFINISHED: readonly JobStatus[] = ["queued", "delayed", "processing"];

/** Whether `error` is MongoDB's unique index violation (code 11000). */
export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 11000;
}

/** Reads every field but the log, which can be long and is read only by `logs()`. */
export const RECORD_PROJECTION = { _logs: 0 } as const;

/** A JSON copy (`undefined` stays `undefined`): records never share objects with callers. */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** A log line as `_logs` keeps it: data too deep for a document is JSON text (`_json`). */
export interface StoredLine extends LogLine {
  _json?: string;
}

/**
 * A log line as stored: `data` only when it has some, always a JSON copy, or as `_json` text
 * when it nests deeper than a document may (see `_depth.ts`).
 */
export function toLogLine(line: LogLine): StoredLine {
  if (line.data === undefined) return { time: line.time, message: line.message };
  if (nestsDeeper(line.data, MAX_LOG_DATA_DEPTH)) {
    return { time: line.time, message: line.message, _json: JSON.stringify(line.data) };
  }
  return { time: line.time, message: line.message, data: jsonCopy(line.data) };
}

/** The log line a stored one holds. */
export function fromLogLine(line: StoredLine): LogLine {
  if (line._json === undefined) return line;
  return { time: line.time, message: line.message, data: JSON.parse(line._json) };
}

/** The job id as the `_id`, or `undefined` for an id this store never made. */
export function documentId(id: string): number | undefined {
  return typeof id === "string" && /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : undefined;
}

/** The document for a new job with id `_id`. */
export function toDocument(_id: number, job: NewJob): JobDocument {
  const document: JobDocument = {
    _id,
    task: job.task,
    status: job.runAt !== undefined ? "delayed" : "queued",
    created: job.created,
    priority: job.priority,
    attempts: 0,
    _readyAt: job.runAt ?? job.created,
    _logs: [toLogLine(job.log)],
  };
  const data = jsonCopy(job.data);
  if (data !== undefined) document.data = data;
  if (job.runAt !== undefined) document.runAt = job.runAt;
  if (job.key !== undefined) {
    document.key = job.key;
    document._activeKey = job.key;
  }
  if (job.retry !== undefined) document.retry = jsonCopy(job.retry);
  if (job.timeout !== undefined) document.timeout = job.timeout;
  if (job.maxAttempts !== undefined) {
    document.maxAttempts = document._ownMaxAttempts = job.maxAttempts;
  }
  if (job.trace !== undefined) document.trace = jsonCopy(job.trace);
  return document;
}

/**
 * The fields a completed run's result is stored in: `result` as a document, or `_resultJson`
 * as JSON text when it nests deeper than a document may (see `_depth.ts`); both cleared for
 * a run that returned nothing.
 */
export function resultFields(
  result: unknown,
): { set: Record<string, unknown>; unset: Record<string, ""> } {
  if (result === undefined) return { set: {}, unset: { result: "", _resultJson: "" } };
  if (nestsDeeper(result, MAX_DOCUMENT_DATA_DEPTH)) {
    return { set: { _resultJson: JSON.stringify(result) }, unset: { result: "" } };
  }
  return { set: { result: jsonCopy(result) }, unset: { _resultJson: "" } };
}

/** The record a document holds: the record fields that are set, `_id` as a string id. */
export function toJob(document: Partial<JobDocument> & { _id: number }): Job {
  const job: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    const value = field === "id"
      ? String(document._id)
      : (document as Record<string, unknown>)[field];
    // The driver hands out fresh objects per read, so nested values need no copy here.
    if (value !== undefined && value !== null) job[field] = value;
    else if ((field === "data" || field === "result") && value === null) job[field] = null;
  }
  if (document._resultJson !== undefined) job.result = JSON.parse(document._resultJson);
  return job as unknown as Job;
}
