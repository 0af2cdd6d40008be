/**
 * Retention: how long finished jobs stay in the store, and the sweep that removes the rest.
 *
 * The `retention` queue option gives, per final status, an age (`"7d"`: finished more than a
 * week ago) and/or a count (keep the newest N). Every processor of the queue shares one
 * {@linkcode Sweeper}, which its maintenance calls: at most once per `interval` it asks the
 * store to remove what has expired, in calls of at most {@linkcode SWEEP_LIMIT} jobs in all,
 * so one sweep never holds the store (and the claims waiting on it) for long. A sweep that
 * used its whole budget is behind: the next one is due at once, after the processor's next
 * claim, until it catches up. Processes sharing a store each sweep; removing is idempotent.
 * @module
 */

import type { Clock } from "./clock.ts";
import { type Duration, parseDuration } from "./duration.ts";
import type { JobStatus } from "./job.ts";
import type { Store } from "./store.ts";

/** The statuses retention applies to. */
export type FinishedStatus = "completed" | "failed" | "timeout" | "cancelled";

/** One status's rule: an age, or `{ age?, count? }`; `false` keeps every job of the status. */
export type RetentionRule = Duration | { age?: Duration; count?: number } | false;

/**
 * The `retention` queue option. Statuses left out keep their default; `false` keeps every
 * finished job.
 */
export type RetentionOptions = false | Partial<Record<FinishedStatus, RetentionRule>>;

/** What finished jobs are kept for unless told otherwise. */
export const DEFAULT_RETENTION: Readonly<Record<FinishedStatus, Duration>> = {
  completed: "7d",
  failed: "30d",
  timeout: "30d",
  cancelled: "30d",
};

/** The most jobs one sweep removes, over all its store calls. */
export const SWEEP_LIMIT = 1_000;

/** A checked rule: remove jobs of `status` finished more than `age` ms ago / beyond `count`. */
export interface RetentionLimit {
  status: FinishedStatus;
  age?: number;
  count?: number;
}

function show(value: unknown): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value);
}

function resolveRule(status: FinishedStatus, rule: RetentionRule): RetentionLimit | undefined {
  if (rule === false) return undefined;
  if (typeof rule !== "object" || rule === null) {
    return { status, age: parseDuration(rule, `retention of ${status} jobs`) };
  }
  const limit: RetentionLimit = { status };
  if (rule.age !== undefined) limit.age = parseDuration(rule.age, `retention of ${status} jobs`);
  if (rule.count !== undefined) {
    if (!Number.isInteger(rule.count) || rule.count < 0) {
      throw new RangeError(
        `Cannot keep ${status} jobs as the retention count must be an integer >= 0: current value is ${
          show(rule.count)
        }`,
      );
    }
    limit.count = rule.count;
  }
  return limit.age === undefined && limit.count === undefined ? undefined : limit;
}

/**
 * The checked limits of a `retention` option (none for `false`).
 * @throws {TypeError | RangeError} for an unknown status, an unreadable age or a bad count
 */
export function resolveRetention(option: RetentionOptions | undefined): RetentionLimit[] {
  if (option === false) return [];
  if (option !== undefined && (typeof option !== "object" || option === null)) {
    throw new TypeError(
      `Cannot use retention as it must be false or an object of statuses: current value is ${
        show(option)
      }`,
    );
  }
  const given = option ?? {};
  for (const status of Object.keys(given)) {
    if (!(status in DEFAULT_RETENTION)) {
      throw new TypeError(
        `Cannot use retention as its keys must be completed, failed, timeout or cancelled: current value is ${
          show(status)
        }`,
      );
    }
  }
  const limits: RetentionLimit[] = [];
  for (const status of Object.keys(DEFAULT_RETENTION) as FinishedStatus[]) {
    const rule = given[status] === undefined ? DEFAULT_RETENTION[status] : given[status]!;
    const limit = resolveRule(status, rule);
    if (limit) limits.push(limit);
  }
  return limits;
}

/**
 * Whether `store` honours `RemoveFilter.before`, `keep` and `limit`. A store written before
 * they existed ignores them and would remove every finished job, so the core only narrows
 * removes on stores with the other lifecycle verbs of the same contract version (`removeJob`).
 */
export function canNarrowRemoves(store: Store): boolean {
  return typeof store.removeJob === "function";
}

/** Options of a {@linkcode Sweeper}. */
export interface SweeperOptions {
  clock: Clock;
  /** At most one sweep per this many ms, unless the last one was behind. */
  interval: number;
  reportError(error: unknown): void;
}

/** The retention sweep of one queue, shared by its processors. */
export class Sweeper {
  #store: Store;
  #limits: readonly RetentionLimit[];
  #options: SweeperOptions;
  #next = -Infinity;
  #first = 0;
  #sweeping?: Promise<void>;

  constructor(store: Store, limits: readonly RetentionLimit[], options: SweeperOptions) {
    this.#store = store;
    this.#limits = canNarrowRemoves(store) ? limits : [];
    this.#options = options;
  }

  /** How long until a sweep is due (`Infinity` when there is nothing to sweep). */
  due(now: number): number {
    if (this.#limits.length === 0) return Infinity;
    return Math.max(0, this.#next - now);
  }

  /**
   * Sweeps when one is due and none is going on; never rejects (a store error is reported
   * and the next sweep waits an interval).
   */
  sweep(): Promise<void> {
    const now = this.#options.clock.now();
    if (this.#sweeping || this.due(now) > 0) return this.#sweeping ?? Promise.resolve();
    this.#next = now + this.#options.interval;
    this.#sweeping = this.#sweepOnce(now).then((isBehind) => {
      if (isBehind) this.#next = this.#options.clock.now();
    }, (error) => this.#options.reportError(error)).finally(() => this.#sweeping = undefined);
    return this.#sweeping;
  }

  /** One sweep; resolves to whether it used its whole budget. */
  async #sweepOnce(now: number): Promise<boolean> {
    let budget = SWEEP_LIMIT;
    const limits = this.#limits;
    // Start with the next status each time, so a backlog of one never starves the others.
    const first = this.#first++ % limits.length;
    for (let i = 0; i < limits.length && budget > 0; i++) {
      const { status, age, count } = limits[(first + i) % limits.length];
      const statuses: JobStatus[] = [status];
      if (age !== undefined) {
        budget -= await this.#store.remove({ status: statuses, before: now - age, limit: budget });
      }
      if (count !== undefined && budget > 0) {
        budget -= await this.#store.remove({ status: statuses, keep: count, limit: budget });
      }
    }
    return budget <= 0;
  }
}
