/**
 * A clock that only moves when told to, for tests: `advance("1d")` fires every timer due in
 * that day, in order, letting promise chains settle between them. @module
 */

import type { Clock, TimerHandle } from "./clock.ts";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets pending promise callbacks run (a few rounds, for chains of awaits). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Lets pending promise callbacks and one real macrotask (e.g. I/O callbacks) run. */
function settleFully(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A fake {@linkcode Clock}.
 *
 * @example Moving time forward
 * ```ts
 * import { ManualClock } from "@kinetik/kinetik/testing";
 * const clock = new ManualClock(0);
 * let fired = false;
 * clock.setTimeout(() => fired = true, 1000);
 * await clock.advance(1000);
 * if (!fired) throw new Error("timer did not fire");
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;

  /**
   * A clock stopped at `start`.
   *
   * @param start the initial epoch ms (default: the real time now)
   */
  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  /** The clock's time, epoch ms: it changes only through `advance()` and `set()`. */
  now(): number {
    return this.#now;
  }

  /** Calls `fn` once `advance()` has moved the time `ms` past now. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  /** Drops a timer that has not fired yet. */
  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order and letting the work they
   * start run before the next one.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settleFully();
    for (;;) {
      const due = this.#timers
        .filter((timer) => timer.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
      await settle();
    }
    this.#now = end;
    await settleFully();
  }

  /** Sets the time without firing timers (for stores tested directly). */
  set(now: number): void {
    this.#now = now;
  }
}
