/**
 * What the core hands a store and gets back on a job's hot path: the job to add, the claim
 * request and its leased jobs, the settlement of a run and the lease to renew. Part of the
 * store contract (see `store.ts`, which re-exports every name).
 *
 * @module
 */

import type { Job, JobError, JobProgress, LogLine, RetryPolicy } from "./job.ts";

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

/**
 * How many rate windows of starts a store keeps: a claim counts the starts after its
 * `now - per` (later claims' included) and drops only those older than this many windows.
 * Each claim carries its caller's `now`, and one made earlier (another process, a slow
 * link) can reach the store after one made later: had the later one dropped the starts
 * that left its own window, the earlier one would not count them although they are inside
 * its window, and would start one too many. Two windows keep the count exact for a claim
 * that arrives up to one window late.
 */
export const RATE_KEEP_WINDOWS = 2;

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
