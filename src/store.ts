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

import type { Job, JobError, JobProgress, JobStatus, LogLine, RetryPolicy } from "./job.ts";

/** A job to save, as the core built it. */
export interface NewJob {
  /** The name of the task that runs it. */
  task: string;
  /** The job's JSON data, already checked. */
  data: unknown;
  /** Epoch ms. */
  created: number;
  /** Present and later than `created` for a delayed job. */
  runAt?: number;
  /** Lower runs first within a tag. */
  priority: number;
  /** Deduplication key: while an unfinished job has it, `add` returns that job instead. */
  key?: string;
  /** Kinetik's "created" log line. */
  log: LogLine;
  /** Per-job retry override, stored and returned as `Job.retry`. */
  retry?: RetryPolicy;
  /** Per-job timeout override in ms, stored and returned as `Job.timeout`. */
  timeout?: number;
  /**
   * The stall limit that follows from a per-job `retry` (see {@linkcode Job.maxAttempts}). A
   * job saved with it keeps it: `claim` records `ClaimRequest.maxAttempts` only on jobs saved
   * without one.
   */
  maxAttempts?: number;
  /** Trace context carried from `create()`, stored and returned as `Job.trace`. */
  trace?: Record<string, string>;
}

/** Options of `add`. */
export interface AddOptions {
  /**
   * A transaction of the store's own client (e.g. a `postgres` transaction): the jobs are saved
   * inside it, so they exist exactly when it commits. A store that cannot join the caller's
   * transaction rejects with a `TypeError` when one is given.
   */
  tx?: unknown;
}

/** Limits of one task, enforced inside the claim across every worker on the store. */
export interface TaskLimits {
  /** At most `max` starts in any window of `per` ms (a sliding window). */
  rate?: { max: number; per: number };
  /** At most this many jobs of the task `processing` at once. */
  concurrency?: number;
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
  /** The caller's time, epoch ms. */
  now: number;
  /** `maxAttempts` to record per task (see {@linkcode Job.maxAttempts}); absent means 0. */
  maxAttempts?: Readonly<Record<string, number>>;
  /**
   * The tag of each group (`tags[i]` names `groups[i]`), so the store can skip groups whose
   * tag is paused. Absent: no group is skipped for its tag.
   */
  tags?: readonly string[];
  /**
   * Limits by task. The claim takes no job that would make a task exceed them (counting every
   * worker on the store), skips that task, and goes on with the next ready jobs in order.
   */
  limits?: Readonly<Record<string, TaskLimits>>;
}

/** A claimed job with the token that proves the claim. */
export interface LeasedJob extends Job {
  /** Opaque and fresh per claim; `renew` and `settle` need it. */
  token: string;
}

/** What `claim` found. */
export interface ClaimResult {
  /** The claimed jobs, in claim order (at most `limit`). */
  jobs: LeasedJob[];
  /**
   * When fewer than `limit` jobs were leased: the earliest time more may become claimable —
   * the `runAt` of a delayed job of the requested tasks, or the time a task's rate window
   * reopens for a ready job held back by it — so the processor sleeps exactly until then.
   * Optional for stores.
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
  /** The job's id. */
  id: string;
  /** The token of the claim that ran it; a stale one makes `settle` refuse. */
  token: string;
  /** What the run's end makes of the job. */
  outcome: SettleOutcome;
  /** The caller's time, epoch ms; becomes `finished` for a final outcome. */
  now: number;
  /** For `failed`, `timeout` and `retry`: stored on the record. */
  error?: JobError;
  /** For `retry`. */
  runAt?: number;
  /** The run's latest progress, stored on the record when given. */
  progress?: JobProgress;
  /** Log lines buffered during the run (those not flushed by `renew`), appended in the same atomic step. */
  logs: LogLine[];
  /** For `completed`: the action's return value (JSON), stored as `Job.result`. */
  result?: unknown;
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
  /** The job's id. */
  id: string;
  /** The token of the claim to extend. */
  token: string;
  /**
   * Log lines written since the last flush, appended (in order, after the job's earlier
   * lines) in the same atomic step as the renewal and only when the token still holds, so a
   * crashed attempt keeps what it logged up to its last renewal.
   */
  logs?: LogLine[];
  /** The latest progress, kept on the record when the token holds. */
  progress?: JobProgress;
}

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
 * is the store's own copy of `job.data`; the per-job overrides and trace are copied here.
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
  if (job.maxAttempts !== undefined) record.maxAttempts = job.maxAttempts;
  if (job.retry !== undefined) record.retry = { ...job.retry };
  if (job.timeout !== undefined) record.timeout = job.timeout;
  if (job.trace !== undefined) record.trace = { ...job.trace };
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

/** Paused tags and tasks: no claim takes their jobs. */
export interface PauseTarget {
  /** Paused tags: no job of a task in one of them is claimed by a processor that knows the tag. */
  tags: string[];
  /** Paused task names. */
  tasks: string[];
}

/** How a schedule treats fire times that passed while no processor ran. */
export type MissedPolicy = "skip" | "latest" | "all";

/** A stored schedule: what it creates, when, and its next fire time. */
export interface ScheduleRecord {
  /** Chosen by the caller; unique within the store. */
  id: string;
  /** The task of the jobs it creates. */
  task: string;
  /** A cron expression (5 fields, or 6 with seconds). */
  cron?: string;
  /** Or a fixed period in ms. */
  every?: number;
  /** IANA time zone of `cron`. */
  tz: string;
  /** The data of every job it creates. */
  data: unknown;
  /** The priority of every job it creates. */
  priority: number;
  /** What to do with fire times that passed while no processor ran. */
  missed: MissedPolicy;
  /** The next fire time, epoch ms. */
  next: number;
  /**
   * The canonical text of the spec (every field above but `next`), built by the core: saving
   * a schedule whose `spec` equals the stored one keeps the stored `next`.
   */
  spec: string;
}

/** One firing of a schedule, as the core computed it. */
export interface ScheduleFire {
  /** The schedule's id. */
  id: string;
  /** The `spec` the core read; the fire happens only while it is still stored. */
  spec: string;
  /** The `next` the core read; the fire happens only while it is still stored. */
  expected: number;
  /** The new `next`. */
  next: number;
  /** One job per fire time to create, each keyed `schedule:<id>:<fire time ms>`. */
  jobs: NewJob[];
}

/** Per task and minute: outcomes and a run-time histogram (see `src/metrics.ts`). */
export interface MetricsSample {
  /** The task whose runs are counted. */
  task: string;
  /** Start of the minute, epoch ms (a multiple of 60,000). */
  minute: number;
  /** Runs that completed in the minute. */
  completed: number;
  /** Runs that ended failed or timed out in the minute (retries count too). */
  failed: number;
  /** Run-time histogram: bucket index (as a string) → runs. */
  runtimes: Record<string, number>;
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
  /** The task's name. */
  name: string;
  /** Its tag. */
  tag: string;
  /** What `desc()` set. */
  description?: string;
  /** Its timeout in ms; unset means no limit. */
  timeout?: number;
  /** Its retry policy (ms; `max` unset means no limit). */
  retry?: { delay: number; max?: number; backoff: string };
  /** Its rate limit: at most `max` starts in any window of `per` ms. */
  rate?: { max: number; per: number };
  /** Its global concurrency limit. */
  concurrency?: number;
}

/** Options of `Store.subscribe`. */
export interface SubscribeOptions {
  /** The `origin` of the event messages this subscriber publishes itself. */
  origin?: string;
}

/** A live worker, as recorded by its heartbeat. */
export interface WorkerRecord {
  /** The processor's worker id (`host:pid:random`), as recorded on the jobs it claims. */
  id: string;
  /** The tags it processes, in priority order. */
  tags: string[];
  /** The tasks it can run in those tags. */
  tasks: TaskRecord[];
  /** The host name of its machine. */
  host?: string;
  /** Its process id. */
  pid?: number;
  /** When the processor started (epoch ms). */
  started: number;
  /** The latest heartbeat (epoch ms). */
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
