/**
 * The `job` an action receives: the record's fields plus the run's tools (`signal`,
 * `attempt`, `log`, `progress`). @module
 */

import type { JobStatus } from "./job.ts";
import type { LeasedJob } from "./store.ts";

/** Where a context sends what the action reports, and where its signal comes from. */
export interface RunReporter {
  readonly signal: AbortSignal;
  log(message: string, data?: unknown): void;
  report(current: number, total: number): void;
}

/** The job as its action sees it. */
export class JobContext {
  /** The job's id. */
  readonly id: string;
  /** The name of the task running it. */
  readonly task: string;
  /** The JSON data given at creation. */
  readonly data: unknown;
  /** The status when claimed: `processing`. */
  readonly status: JobStatus;
  /** Epoch milliseconds of creation. */
  readonly created: number;
  /** When a delayed job became ready (epoch milliseconds). */
  readonly runAt?: number;
  /** How many times the job has been claimed, this run included. */
  readonly attempts: number;
  /** Lower runs first within a tag. */
  readonly priority: number;
  /** The deduplication key given at creation. */
  readonly key?: string;
  /** Epoch milliseconds of this run's start. */
  readonly started?: number;
  /** Which run this is: 1 for the first, 2 for the first retry, … */
  readonly attempt: number;
  readonly #reporter: RunReporter;

  /** Built by the processor for each run. */
  constructor(record: LeasedJob, reporter: RunReporter) {
    this.id = record.id;
    this.task = record.task;
    this.data = record.data;
    this.status = record.status;
    this.created = record.created;
    if (record.runAt !== undefined) this.runAt = record.runAt;
    this.attempts = record.attempts;
    this.priority = record.priority;
    if (record.key !== undefined) this.key = record.key;
    this.started = record.started;
    this.attempt = record.attempts;
    this.#reporter = reporter;
  }

  /** Aborted on timeout, on cancel and when the worker stops for good. */
  get signal(): AbortSignal {
    return this.#reporter.signal;
  }

  /**
   * Logs a line: emitted as `log` at once, stored with the next lease renewal (every third
   * of a lease) or when the run ends, whichever is first. Ignored once the run is over (timed
   * out, cancelled).
   * @throws {TypeError} when `data` is not JSON-serialisable
   */
  log(message: string, data?: unknown): void {
    this.#reporter.log(message, data);
  }

  /**
   * Reports progress: emitted as `progress`, the latest kept on the record.
   * @throws {RangeError} when the numbers are not finite, or `total` is not positive
   */
  progress(current: number, total: number): void {
    this.#reporter.report(current, total);
  }
}
