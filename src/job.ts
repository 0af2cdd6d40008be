/**
 * The job record: the data half of Kinetik (a {@linkcode Task} is the code half).
 *
 * A record is plain JSON so that every store can keep it as it is and every process can
 * read it back. @module
 */

/** Where a job is in its life. `completed`, `failed`, `cancelled` and `timeout` are final. */
export type JobStatus =
  | "queued"
  | "delayed"
  | "processing"
  | "completed"
  | "failed"
  | "cancelled"
  | "timeout";

/** Every status, in life order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  "queued",
  "delayed",
  "processing",
  "completed",
  "failed",
  "cancelled",
  "timeout",
];

/** A count of 0 for every status. */
export function zeroStatusCounts(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
}

/** The statuses a job never leaves on its own. */
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled", "timeout"];

/** Whether `status` is final: nothing will run the job again unless someone retries it. */
export function isFinalStatus(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Why a job failed, as stored: the error's message and, when it had one, its code. */
export interface JobError {
  /** The error's message (or the string the action failed with). */
  message: string;
  /** The error's `code` when it had one (a number is stored as a string). */
  code?: string;
}

/** The latest `job.progress(current, total)` of a job. */
export interface JobProgress {
  /** How far the job got. */
  current: number;
  /** Where it ends (> 0). */
  total: number;
}

/** One line of a job's log; Kinetik writes its own lines beside the action's. */
export interface LogLine {
  /** Epoch milliseconds. */
  time: number;
  /** What happened. */
  message: string;
  /** JSON detail given with `job.log(message, data)`. */
  data?: unknown;
}

/**
 * How a failed job is re-run: the task's `retry()` policy, or a per-job override given to
 * `create(task, data, { retry })` and stored with the job.
 */
export interface RetryPolicy {
  /** Milliseconds before the first retry. */
  delay: number;
  /** Retries after the first run; unset means no limit. */
  max?: number;
  /** `fixed` waits `delay` every time; `exponential` doubles it per attempt, with jitter. */
  backoff: "fixed" | "exponential";
}

/** A stored job, as `create`, `get` and `fetch` return it. */
export interface Job {
  /** Chosen by the store; unique within it. */
  id: string;
  /** The name of the task that runs it. */
  task: string;
  /** The JSON data given at creation. */
  data: unknown;
  /** Where the job is in its life. */
  status: JobStatus;
  /** Epoch milliseconds of creation. */
  created: number;
  /** When a delayed job becomes ready (epoch milliseconds). */
  runAt?: number;
  /** How many times the job has been claimed. */
  attempts: number;
  /** Lower runs first within a tag; default 0. */
  priority: number;
  /** Deduplication key: no two unfinished jobs share one. */
  key?: string;
  /** Why the latest attempt failed or timed out. */
  error?: JobError;
  /** Epoch milliseconds of the latest start. */
  started?: number;
  /** Epoch milliseconds of reaching a final status. */
  finished?: number;
  /** The latest `job.progress()` of the action. */
  progress?: JobProgress;
  /** The worker holding the lease while `processing`. */
  worker?: string;
  /** Lease expiry while `processing` (epoch milliseconds). */
  leaseUntil?: number;
  /** Attempts after which a stalled job fails instead of being requeued; 0 means never. */
  maxAttempts?: number;
  /** What the action returned (JSON), on a `completed` job; absent when it returned nothing. */
  result?: unknown;
  /** Per-job retry policy given at creation; it wins over the task's. */
  retry?: RetryPolicy;
  /** Per-job timeout in ms given at creation; it wins over the task's. */
  timeout?: number;
  /**
   * The trace context active when the job was created (W3C `traceparent`, `tracestate`),
   * carried so a run's span can name its parent (see the `otel()` middleware).
   */
  trace?: Record<string, string>;
}
