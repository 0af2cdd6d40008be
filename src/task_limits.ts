/**
 * Rate limits and global concurrency of tasks: `task.rate(max, per)` and
 * `task.concurrency(n)`, checked here, carried by every claim as `ClaimRequest.limits` and
 * enforced by the store inside the claim, so they hold across every worker on the store.
 * @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import type { TaskLimits } from "./store.ts";

export type { TaskLimits } from "./store.ts";

/** A task's rate limit: at most `max` starts in any window of `per` ms. */
export interface RateLimit {
  /** Starts allowed in one window. */
  max: number;
  /** The window's length in ms. */
  per: number;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot limit task as ${what} must be an integer >= 1: current value is ${show(value)}`,
    );
  }
  return value;
}

/**
 * Checks `task.rate(max, per)`.
 * @throws {RangeError} when `max` is not an integer >= 1 or `per` is not a duration > 0
 * @throws {TypeError} when `per` cannot be read as a duration
 */
export function parseRate(max: unknown, per: unknown): RateLimit {
  const window = parseDuration(per as Duration, "rate window");
  if (window < 1) {
    throw new RangeError(
      `Cannot limit task as the rate window must be at least 1ms: current value is ${show(per)}`,
    );
  }
  return { max: positiveInteger(max, "the rate's max"), per: window };
}

/**
 * Checks `task.concurrency(n)`.
 * @throws {RangeError} when `n` is not an integer >= 1
 */
export function parseConcurrency(n: unknown): number {
  return positiveInteger(n, "concurrency");
}

/** The limits of tasks, by name, for a claim; `undefined` when none has any (the hot path). */
export function claimLimits(
  tasks: Iterable<{ name: string; settings: { rate?: RateLimit; concurrency?: number } }>,
): Record<string, TaskLimits> | undefined {
  let limits: Record<string, TaskLimits> | undefined;
  for (const { name, settings: { rate, concurrency } } of tasks) {
    if (!rate && concurrency === undefined) continue;
    const limit: TaskLimits = {};
    if (rate) limit.rate = { ...rate };
    if (concurrency !== undefined) limit.concurrency = concurrency;
    (limits ??= {})[name] = limit;
  }
  return limits;
}
