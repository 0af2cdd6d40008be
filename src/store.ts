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

import type { Job, LogLine } from "./job.ts";
import type {
  AddOptions,
  ClaimRequest,
  ClaimResult,
  Lease,
  NewJob,
  Settlement,
  SettleResult,
} from "./store_claims.ts";
import type { FindOptions, JobQuery, RemoveFilter } from "./store_records.ts";
import type {
  JobStats,
  MetricsSample,
  PauseTarget,
  ScheduleFire,
  ScheduleRecord,
  StoreMessage,
  SubscribeOptions,
  WorkerRecord,
} from "./store_control.ts";

export type {
  AddOptions,
  ClaimRequest,
  ClaimResult,
  Lease,
  LeasedJob,
  NewJob,
  Settlement,
  SettleOutcome,
  SettleResult,
  TaskLimits,
} from "./store_claims.ts";
export type { FindOptions, JobQuery, RemoveFilter } from "./store_records.ts";
export { newJobRecord, STALLED_ERROR, STORE_MESSAGES } from "./store_records.ts";
export { RATE_KEEP_WINDOWS } from "./store_claims.ts";
export type {
  JobStats,
  MetricsSample,
  MissedPolicy,
  PauseTarget,
  ScheduleFire,
  ScheduleRecord,
  StoreMessage,
  SubscribeOptions,
  TaskRecord,
  WorkerRecord,
} from "./store_control.ts";

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
   * Whether `add` accepts `AddOptions.tx` (a transaction of the store's own client). The core
   * refuses a `tx` with a `TypeError` for a store without it, before calling `add`.
   */
  readonly canJoinTransaction?: boolean;

  /**
   * Save jobs. A job whose `key` matches an unfinished job's is not saved; that job is
   * returned in its place. Resolves to the stored records, in order.
   */
  add(jobs: readonly NewJob[], options?: AddOptions): Promise<Job[]>;
  /** Atomically lease ready jobs (delayed jobs whose `runAt <= now` count as ready). */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Extend leases to `now + leaseMs`, appending each lease's `logs` and keeping its
   * `progress`; per lease, `false` when it was lost (then nothing is written for it).
   */
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

  // Wave 2 (DESIGN §6): each one atomic step; the core says which store lacks one.

  /**
   * Delete one job in any status, with its logs and dedupe key. Resolves to the record as it
   * was, or `undefined` when there is no such job. (The core then aborts its run, if any.)
   */
  removeJob?(id: string): Promise<Job | undefined>;
  /**
   * Make a `delayed` job ready now: status `queued`, `runAt` cleared, log line
   * `STORE_MESSAGES.promoted`, a wake-up for its task. Resolves to the record, or `undefined`
   * when the job is unknown or not delayed.
   */
  promote?(id: string, now: number): Promise<Job | undefined>;
  /** Add tags and tasks to the paused set (stored, so every process sees it). */
  pause?(target: PauseTarget): Promise<void>;
  /** Remove tags and tasks from the paused set, and wake every processor. */
  resume?(target: PauseTarget): Promise<void>;
  /** The paused set. */
  paused?(): Promise<PauseTarget>;
  /**
   * Upsert a schedule: a new id is stored as given; an id whose stored `spec` equals
   * `schedule.spec` is left as stored (its `next` kept); another spec replaces it. Resolves
   * to the schedule as stored afterwards.
   */
  schedule?(schedule: ScheduleRecord): Promise<ScheduleRecord>;
  /** Delete a schedule; `false` when there was none. */
  unschedule?(id: string): Promise<boolean>;
  /** Every schedule, by id. */
  schedules?(): Promise<ScheduleRecord[]>;
  /**
   * Fire a schedule: only while it is stored with `fire.spec` and `next === fire.expected`,
   * add `fire.jobs` (as `add` would, keys deduplicating) and set `next = fire.next`, in one
   * atomic step. Resolves to the saved jobs, or `undefined` when the compare failed (another
   * process fired it first, or it changed), in which case nothing was written.
   */
  fire?(fire: ScheduleFire): Promise<Job[] | undefined>;
  /**
   * Add samples to the stored per-task, per-minute totals (summing counts and histograms of
   * the same task and minute) and drop minutes older than `now - 24 h`.
   */
  recordMetrics?(samples: readonly MetricsSample[], now: number): Promise<void>;
  /** The stored totals of minutes at or after `since`, one sample per task and minute. */
  metrics?(since: number): Promise<MetricsSample[]>;
}

/** A store failure: the backend is unreachable, refused a command, or returned garbage. */
export class StoreError extends Error {
  /** Creates the error; `store` prefixes the message. */
  constructor(store: string, message: string, options?: ErrorOptions) {
    super(`${store}: ${message}`, options);
    this.name = "StoreError";
  }
}
