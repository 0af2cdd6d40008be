/**
 * The firing loop: while a queue has processors, it fires the store's due schedules.
 *
 * There is no leader to elect or lose (BullMQ's duplicate and silently stopped schedulers come
 * from there): every queue with a processor runs this loop, and the store's `fire` is a
 * compare-and-set on the schedule's `next`, so of several processes firing one fire time
 * exactly one writes its jobs and the others get `undefined` and re-read. The job of a fire
 * time is also keyed `schedule:<id>:<time>`, so even a store that lost the compare could not
 * create it twice while it is unfinished.
 *
 * ```
 *   read schedules (at start, after a lost fire, on a wake-up, at least once per interval)
 *     └─▶ fire every due one (next <= now) ─▶ sleep until the earliest next, at most interval
 * ```
 *
 * A store that carries messages announces schedule changes with a task-less wake-up, which
 * makes every loop re-read at once; on any other store a change is seen within the interval.
 * @module
 */

import { Alarm } from "../alarm.ts";
import type { Clock } from "../clock.ts";
import type { Job } from "../job.ts";
import type { ScheduleRecord, Store } from "../store.ts";
import { planFire } from "./fire_plan.ts";

/** What the loop needs from its queue. */
export interface SchedulerHost {
  readonly store: Store;
  readonly clock: Clock;
  /** Jobs a fire of this process saved: announce them as `create` would. */
  saved(jobs: Job[]): void;
  reportError(error: unknown): void;
}

/** Lost fires in a row after which the loop waits instead of re-reading at once. */
const MAX_LOST_IN_A_ROW = 3;

/** One queue's schedule-firing loop. */
export class Scheduler {
  #host: SchedulerHost;
  #interval: number;
  #alarm: Alarm;
  #records: ScheduleRecord[] = [];
  #readAt = -Infinity;
  #isDirty = true;
  #isStopping = false;
  #lostInARow = 0;
  #failures = 0;
  #loop: Promise<void>;

  /**
   * Starts the loop.
   *
   * @param host the store, clock and where fired jobs are announced
   * @param interval how often to re-read schedules without a wake-up, and how late a fire
   * time may be and still be on time for `missed: "skip"`
   */
  constructor(host: SchedulerHost, interval: number) {
    this.#host = host;
    this.#interval = Math.max(1, interval);
    this.#alarm = new Alarm(host.clock);
    this.#loop = this.#run();
  }

  /** Whether a store can hold schedules at all. */
  static supports(store: Store): boolean {
    return typeof store.schedules === "function" && typeof store.fire === "function";
  }

  /** Re-reads at most every `interval` ms from now on (the shortest of the processors'). */
  shorten(interval: number): void {
    if (interval >= this.#interval) return;
    this.#interval = Math.max(1, interval);
    this.#alarm.kick();
  }

  /** Schedules may have changed: re-read them now. */
  refresh(): void {
    this.#isDirty = true;
    this.#alarm.kick();
  }

  /** Ends the loop (a fire in progress completes first). */
  async stop(): Promise<void> {
    this.#isStopping = true;
    this.#alarm.kick();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { clock } = this.#host;
    while (!this.#isStopping) {
      let wait: number;
      try {
        const now = clock.now();
        if (this.#isDirty || now - this.#readAt >= this.#interval) await this.#read(now);
        if (this.#isStopping) break;
        const lost = await this.#fireDue();
        this.#failures = 0;
        this.#lostInARow = lost ? this.#lostInARow + 1 : 0;
        if (lost) {
          // Another process fired first (or the schedule changed): read what it stored. A
          // store that keeps refusing is not retried in a tight loop.
          if (this.#lostInARow < MAX_LOST_IN_A_ROW) continue;
          wait = this.#interval;
        } else {
          const after = clock.now();
          const earliest = Math.min(...this.#records.map((record) => record.next));
          wait = Math.min(earliest - after, this.#readAt + this.#interval - after);
          if (wait <= 0) continue;
        }
      } catch (error) {
        this.#host.reportError(error);
        this.#failures++;
        wait = Math.min(this.#interval, 100 * 2 ** Math.min(this.#failures, 6));
      }
      await this.#alarm.wait(wait);
    }
  }

  async #read(now: number): Promise<void> {
    this.#isDirty = false;
    this.#readAt = now;
    this.#records = await this.#host.store.schedules!();
  }

  /** Fires every due schedule; resolves to whether a fire was lost to another process. */
  async #fireDue(): Promise<boolean> {
    const { store, clock } = this.#host;
    let isLost = false;
    for (const record of this.#records) {
      if (this.#isStopping) break;
      const fire = planFire(record, clock.now(), this.#interval);
      if (!fire) continue;
      const jobs = await store.fire!(fire);
      if (jobs === undefined) {
        isLost = true;
        this.#isDirty = true;
        continue;
      }
      record.next = fire.next;
      if (jobs.length > 0) this.#host.saved(jobs);
    }
    return isLost;
  }
}
