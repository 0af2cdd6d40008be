/**
 * The memory store's schedules: the records by id and the compare-and-set that fires one.
 * Private to `stores/memory.ts`. @module
 */

import type { Job } from "../src/job.ts";
import type { NewJob, ScheduleFire, ScheduleRecord } from "../src/store.ts";
import { copyValue } from "./_copy.ts";

/** Stored schedules, by id. */
export class ScheduleTable {
  #schedules = new Map<string, ScheduleRecord>();

  /** Upserts: an unchanged spec keeps the stored record (and its `next`). */
  save(schedule: ScheduleRecord): ScheduleRecord {
    const stored = this.#schedules.get(schedule.id);
    if (stored?.spec === schedule.spec) return copyValue(stored);
    this.#schedules.set(schedule.id, copyValue(schedule));
    return copyValue(schedule);
  }

  /** Deletes one; `false` when there was none. */
  delete(id: string): boolean {
    return this.#schedules.delete(id);
  }

  /** Copies of every schedule, by id. */
  list(): ScheduleRecord[] {
    return [...this.#schedules.values()]
      .sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      .map((schedule) => copyValue(schedule));
  }

  /**
   * Fires a schedule when it is still stored with the spec and `next` the caller read: adds
   * the jobs through `add` and moves `next`. `undefined` (and nothing written) otherwise.
   */
  fire(fire: ScheduleFire, add: (jobs: readonly NewJob[]) => Job[]): Job[] | undefined {
    const stored = this.#schedules.get(fire.id);
    if (!stored || stored.spec !== fire.spec || stored.next !== fire.expected) return undefined;
    const jobs = add(fire.jobs);
    stored.next = fire.next;
    return jobs;
  }
}
