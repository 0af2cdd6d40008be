/**
 * What firing a due schedule writes: the jobs of its fire times (by its `missed` policy) and
 * its new `next`, as one {@linkcode ScheduleFire} for `store.fire`. Pure: the same record and
 * time give the same fire in every process, so whichever process wins the store's
 * compare-and-set writes exactly what any other would have. @module
 */

import type { NewJob, ScheduleFire, ScheduleRecord } from "../store.ts";
import { firesBetween, nextFire } from "./next_fire.ts";

/** The most fire times one fire creates jobs for (policy `"all"` after a long outage). */
export const MISSED_CAP = 100;

/** The store-unique key of the job of a schedule's fire time: one job per fire time. */
export function scheduleJobKey(id: string, time: number): string {
  return `schedule:${id}:${time}`;
}

/** The job a schedule creates for fire time `time`, created at `now`. */
function scheduledJob(record: ScheduleRecord, time: number, now: number): NewJob {
  return {
    task: record.task,
    data: record.data,
    created: now,
    priority: record.priority,
    key: scheduleJobKey(record.id, time),
    log: {
      time: now,
      message: `Created by schedule ${JSON.stringify(record.id)} for ${
        new Date(time).toISOString()
      }`,
    },
  };
}

/**
 * The fire of `record` at `now`, or `undefined` when it is not due (`next > now`).
 *
 * The fire times due are those in `[next, now]`. `"latest"` runs the latest of them, `"all"`
 * every one (the latest {@linkcode MISSED_CAP}), and `"skip"` only the latest when it is on
 * time, that is no more than `tolerance` ms ago: older ones passed while no processor ran.
 * The new `next` is the first fire time after `now`, so a processor that was away for a week
 * does not walk through the week.
 *
 * @param record the schedule as the store returned it
 * @param now the processor's time, epoch ms
 * @param tolerance how late a fire time may be and still count as on time for `"skip"`
 */
export function planFire(
  record: ScheduleRecord,
  now: number,
  tolerance: number,
): ScheduleFire | undefined {
  if (record.next > now) return undefined;
  const times = firesBetween(record, record.next - 1, now, MISSED_CAP);
  const latest = times.at(-1);
  let fired: number[];
  if (latest === undefined) fired = [];
  else if (record.missed === "all") fired = times;
  else if (record.missed === "skip") fired = now - latest <= tolerance ? [latest] : [];
  else fired = [latest];
  return {
    id: record.id,
    spec: record.spec,
    expected: record.next,
    // A 5- or 6-field expression that fired once fires again; "never" stays a finite number.
    next: nextFire(record, now) ?? Number.MAX_SAFE_INTEGER,
    jobs: fired.map((time) => scheduledJob(record, time, now)),
  };
}
