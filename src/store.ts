/**
 * The store contract: the one interface between Kinetik's core and persistence.
 *
 * This is the most important file of the project. The core (queue, processor, streams)
 * speaks only to this interface; every store (memory, SQLite, Redis, MongoDB, yours) is
 * judged by the conformance suite in `testing.ts`.
 *
 * The verbs are queue verbs, not storage verbs: each one is a single atomic step of a job's
 * life, so a store can implement it as one statement, one Lua script or one locked section,
 * and the core never needs a transaction of its own.
 *
 * ```
 *          add ─▶ queued ─────────┐           ┌─▶ completed | failed | timeout   (settle)
 *          add ─▶ delayed ─(due)──┴─ claim ─▶ processing ─┼─▶ delayed  (settle "retry")
 *                                              │  ▲ renew  └─▶ queued   (settle "release", recover)
 *   cancel: queued | delayed | processing ─▶ cancelled
 * ```
 *
 * Rules every store keeps:
 * - **Time comes from the caller.** Every verb that looks at the clock takes `now` (epoch
 *   ms). Stores never read their own clock, so tests can fake time and Redis scripts stay
 *   deterministic.
 * - **Claims are exclusive.** A job is returned by at most one `claim` until it leaves
 *   `processing`. `claim` sets status `processing`, increments `attempts`, sets `started`,
 *   `worker`, `leaseUntil = now + leaseMs` and a fresh opaque `token`, in one atomic step.
 * - **Outcomes are fenced.** `settle`, `renew` and `appendLogs`-after-settle need the token of
 *   the current claim; a stale token is refused by a return value, never an exception.
 * - **Records are JSON.** What goes in comes back equal (a deep copy, never a live object).
 * - **Errors name the store.** Failures throw a {@linkcode StoreError} (or subclass) whose
 *   message starts with the store's name.
 *
 * @module
 */

import type { Job, JobError, JobProgress, JobStatus, LogLine } from "./job.ts";

/** A job to save, as the core built it. */
export interface NewJob {
  task: string;
  data: unknown;
  /** Epoch ms. */
  created: number;
  /** Present and later than `created` for a delayed job. */
  runAt?: number;
  priority: number;
  key?: string;
  /** Kinetik's "created" log line. */
  log: LogLine;
}

/** What `claim` asks for. */
export interface ClaimRequest {
  /**
   * Task names grouped by priority: every ready job of `groups[0]` goes before any of
   * `groups[1]`. Within a group, order is `priority` ascending, then the time the job became
   * ready (`runAt` for delayed jobs, else `created`), then creation order.
   */
  groups: readonly (readonly string[])[];
  /** At most this many jobs; at least 1. */
  limit: number;
  /** Recorded as the job's `worker`. */
  worker: string;
  /** Lease length in ms. */
  leaseMs: number;
  now: number;
  /** `maxAttempts` to record per task (see {@linkcode Job.maxAttempts}); absent means 0. */
  maxAttempts?: Readonly<Record<string, number>>;
}

/** A claimed job with the token that proves the claim. */
export interface LeasedJob extends Job {
  token: string;
}

/** What `claim` found. */
export interface ClaimResult {
  jobs: LeasedJob[];
  /**
   * When nothing more is ready: the earliest `runAt` of a delayed job of the requested tasks,
   * so the processor can sleep exactly until then. Optional for stores.
   */
  next?: number;
}

/** The outcome of one run. */
export type SettleOutcome =
  /** Status `completed`, `finished = now`. */
  | "completed"
  /** Status `failed` with `error`, `finished = now`. */
  | "failed"
  /** Status `timeout` with `error`, `finished = now`. */
  | "timeout"
  /** Status `delayed` with `error` and `runAt`; the job runs again. */
  | "retry"
  /** Status `queued`, `attempts - 1`: the worker gave the job back unrun (graceful stop). */
  | "release";

/** One finished run, reported to `settle`. */
export interface Settlement {
  id: string;
  token: string;
  outcome: SettleOutcome;
  now: number;
  error?: JobError;
  /** For `retry`. */
  runAt?: number;
  progress?: JobProgress;
  /** Log lines buffered during the run, appended in the same atomic step. */
  logs: LogLine[];
}

/** What `settle` did. */
export interface SettleResult {
  /**
   * Per settlement, in order: the job as stored afterwards, or `undefined` when refused
   * (stale token, or the job is no longer `processing`, e.g. cancelled or recovered).
   */
  jobs: (Job | undefined)[];
  /** Jobs claimed by the optional `next` request, in the same round trip where possible. */
  claimed: ClaimResult;
}

/** A lease to extend. */
export interface Lease {
  id: string;
  token: string;
}

/** The log line texts stores write themselves, shared so every store writes the same. */
export const STORE_MESSAGES = {
  stalledRequeued: "Stalled: lease expired, back to the queue",
  stalledFailed: "Stalled: lease expired and no attempts left",
  cancelled: "Cancelled",
  requeued: "Requeued by hand",
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
  /** Skip this many matches. */
  offset: number;
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

/** What `remove` deletes: jobs of these statuses and (when given) these tasks, with their logs. */
export interface RemoveFilter {
  status: readonly JobStatus[];
  tasks?: readonly string[];
}

/** Counts by task, then status. */
export type JobStats = Record<string, Partial<Record<JobStatus, number>>>;

/** A message between processes sharing a store. */
export type StoreMessage =
  /** New ready work for `task` (sent by the store itself from `add`, `settle` and `recover`). */
  | { type: "wake"; task?: string }
  /** A job event from the process `origin`. */
  | { type: "event"; origin: string; event: unknown }
  /** Abort the run of job `id` wherever it runs. */
  | { type: "cancel"; id: string };

/** A task definition recorded by a worker, so tools on other machines know it. */
export interface TaskRecord {
  name: string;
  tag: string;
  description?: string;
  timeout?: number;
  retry?: { delay: number; max?: number; backoff: string };
}

/** Options of `Store.subscribe`. */
export interface SubscribeOptions {
  /** The `origin` of the event messages this subscriber publishes itself. */
  origin?: string;
}

/** A live worker, as recorded by its heartbeat. */
export interface WorkerRecord {
  id: string;
  tags: string[];
  tasks: TaskRecord[];
  host?: string;
  pid?: number;
  started: number;
  seen: number;
}

/**
 * A Kinetik store. Required verbs first, then optional capabilities the core falls back from.
 */
export interface Store {
  /** Short name used in error messages: "memory", "sqlite", "redis", "mongo". */
  readonly name: string;
  /**
   * How many settle or claim calls a processor may keep in flight at once (default 1). A
   * store behind a network gains from 2: the server runs one call while the client handles
   * the other's jobs. A store that works in the caller's thread gains nothing.
   */
  readonly maxInFlight?: number;

  /**
   * Save jobs. A job whose `key` matches an unfinished job's is not saved; that job is
   * returned in its place. Resolves to the stored records, in order.
   */
  add(jobs: readonly NewJob[]): Promise<Job[]>;
  /** Atomically lease ready jobs (delayed jobs whose `runAt <= now` count as ready). */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Extend leases to `now + leaseMs`; per lease, `false` when it was lost. */
  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]>;
  /** Record outcomes (token-fenced), then claim `next` when given. */
  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult>;
  /**
   * Requeue jobs whose lease expired before `now` (status `queued`, log line
   * `STORE_MESSAGES.stalledRequeued`), or fail them with `STALLED_ERROR` when
   * `maxAttempts > 0 && attempts >= maxAttempts`. Resolves to the recovered records.
   */
  recover(now: number): Promise<Job[]>;
  /** One job, or `undefined`. */
  get(id: string): Promise<Job | undefined>;
  /** Jobs matching a validated query, ordered and paged. */
  find(query: JobQuery, options: FindOptions): Promise<Job[]>;
  /** How many jobs match. */
  count(query: JobQuery): Promise<number>;
  /** Counts of every job by task and status. */
  stats(): Promise<JobStats>;
  /** Delete jobs and their logs; resolves to how many were deleted. */
  remove(filter: RemoveFilter): Promise<number>;
  /**
   * Cancel a `queued`, `delayed` or `processing` job: status `cancelled`, `finished = now`,
   * lease dropped, log line `STORE_MESSAGES.cancelled`. Resolves to the record, or
   * `undefined` when the job is unknown or already final.
   */
  cancel(id: string, now: number): Promise<Job | undefined>;
  /** Append log lines to a job whatever its status (no-op for an unknown job). */
  appendLogs(id: string, lines: readonly LogLine[]): Promise<void>;
  /**
   * A job's log lines, oldest first by `time`; lines of equal time in the order they were
   * appended. (Append order alone is not enough: a cancelled run's buffered lines arrive
   * after the cancel line. `inTimeOrder` in `src/log_order.ts` does the sorting.)
   */
  logs(id: string): Promise<LogLine[]>;
  /** Release the connection; further calls reject. */
  close(): Promise<void>;

  /**
   * Messages from every process sharing the store, until `signal` aborts. `options.origin`
   * names the `origin` of the event messages the subscriber itself publishes (it ignores
   * their echo), so a store may tell whether anyone else listens.
   */
  subscribe?(signal: AbortSignal, options?: SubscribeOptions): ReadableStream<StoreMessage>;
  /**
   * Send a message to every subscriber, this process's included. A store may drop an
   * `event` message when it knows that no subscriber but the one of the message's origin
   * would receive it (nobody else listens), as long as a subscriber that reads a job after
   * its subscription started never misses that job's later events.
   */
  publish?(message: StoreMessage): Promise<void>;
  /**
   * Put a `failed`, `timeout` or `cancelled` job back to `queued` (error, finished and runAt
   * cleared, attempts kept, log line `STORE_MESSAGES.requeued`). Resolves to the record, or
   * `undefined` when the job is unknown or not in one of those statuses.
   */
  requeue?(id: string, now: number): Promise<Job | undefined>;
  /** Record a worker's tasks and heartbeat (expires when not refreshed within `ttlMs`). */
  heartbeat?(worker: WorkerRecord, ttlMs: number): Promise<void>;
  /** Live workers and every task definition recorded. */
  workers?(now: number): Promise<WorkerRecord[]>;
}

/** A store failure: the backend is unreachable, refused a command, or returned garbage. */
export class StoreError extends Error {
  /** Creates the error; `store` prefixes the message. */
  constructor(store: string, message: string, options?: ErrorOptions) {
    super(`${store}: ${message}`, options);
    this.name = "StoreError";
  }
}
