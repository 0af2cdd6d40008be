/**
 * How a job may run: its retry policy and its timeout, checked the same way whether they come
 * from `task.retry()` / `task.timeout()` or from a per-job override given to `create()`.
 * @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import type { RetryPolicy } from "./job.ts";

/** What `retry({ … })` and `create(…, { retry })` accept. */
export interface RetryOptions {
  /** Before the first retry (ms or a string like `"10s"`). */
  delay: Duration;
  /** Retries after the first run; unset or `Infinity` means no limit. */
  max?: number;
  /**
   * `fixed` waits `delay` every time; `exponential` doubles it per attempt, with jitter.
   * @default "fixed"
   */
  backoff?: "fixed" | "exponential";
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * A checked retry policy (`max` present and `undefined` when there is no limit).
 *
 * @param options a delay with `max`, or the options object
 * @param action what the error message says could not be done, e.g. `"retry"`
 * @throws {TypeError | RangeError} for an unreadable delay, a bad `max` or `backoff`
 */
export function parseRetryPolicy(
  options: Duration | RetryOptions,
  max: number | undefined,
  action: string,
): RetryPolicy {
  const opts: RetryOptions = typeof options === "object" && options !== null
    ? options
    : { delay: options, max };
  const backoff = opts.backoff ?? "fixed";
  if (backoff !== "fixed" && backoff !== "exponential") {
    throw new TypeError(
      `Cannot ${action} as backoff must be "fixed" or "exponential": current value is ${
        show(backoff)
      }`,
    );
  }
  const limit = opts.max === undefined || opts.max === Infinity ? undefined : Number(opts.max);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(
      `Cannot ${action} as max must be an integer >= 0: current value is ${show(opts.max)}`,
    );
  }
  return { delay: parseDuration(opts.delay, "retry delay"), max: limit, backoff };
}

/**
 * A checked run-time limit in ms.
 *
 * @param duration ms or a string like `"30s"`
 * @throws {TypeError | RangeError} for a duration that cannot be read or is not positive
 */
export function parseTimeout(duration: Duration): number {
  const millis = parseDuration(duration, "timeout");
  if (millis === 0) {
    throw new RangeError(
      `Cannot use timeout as it must be > 0: current value is ${show(duration)}`,
    );
  }
  return millis;
}
