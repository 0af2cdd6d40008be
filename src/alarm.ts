/**
 * The processor loop's wait: it sleeps until a deadline or until something it waits for
 * happens (a run ends, a store call returns, new work is announced), whichever is first.
 * @module
 */

import type { Clock } from "./clock.ts";

/** A wait that `kick()` ends early; a kick while nobody waits ends the next wait at once. */
export class Alarm {
  #clock: Clock;
  #isKicked = false;
  #stopWaiting?: () => void;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Ends the current wait, or the next one if none is going on. */
  kick(): void {
    this.#isKicked = true;
    this.#stopWaiting?.();
  }

  /**
   * Waits up to `ms` (`Infinity`: until kicked, with no timer), or less when kicked.
   * Resolves to whether the whole time passed.
   */
  wait(ms: number): Promise<boolean> {
    if (this.#isKicked) {
      this.#isKicked = false;
      return Promise.resolve(false);
    }
    const clock = this.#clock;
    return new Promise((resolve) => {
      const end = (isTimeUp: boolean) => {
        if (timer !== undefined) clock.clearTimeout(timer);
        this.#isKicked = false;
        this.#stopWaiting = undefined;
        resolve(isTimeUp);
      };
      const timer = Number.isFinite(ms) ? clock.setTimeout(() => end(true), ms) : undefined;
      this.#stopWaiting = () => end(false);
    });
  }
}
