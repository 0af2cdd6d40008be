/**
 * Time, injectable. The core reads the clock and sets every timer through a {@linkcode Clock},
 * so tests can move time forward by a day without waiting (see `ManualClock` in
 * `testing.ts`). @module
 */

/** A handle returned by {@linkcode Clock.setTimeout}. */
export type TimerHandle = unknown;

/** The source of time and timers for a queue. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `ms`; the timer never keeps the process alive on its own. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired yet; a fired or unknown handle is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    return setTimeout(fn, ms);
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Resolves after `ms` on `clock`, or at once when `signal` aborts (it never rejects).
 *
 * @param clock the clock whose timer to use
 * @param ms how long to wait
 * @param signal ends the wait early
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = clock.setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}
