/**
 * When a schedule fires: pure functions of (timing, epoch ms), so every process computes the
 * same fire times and tests need no clock at all.
 *
 * Cron expressions go through `croner` (npm, MIT, no dependencies, runs unchanged on Deno and
 * Bun). Chosen over `cron-parser` and `cron` because it is the one maintained library that
 * reads 5- and 6-field expressions in an IANA time zone with the Vixie-cron rules for
 * daylight-saving changes that users expect (and that Bull got wrong, #2207): a fixed-time job
 * (`30 2 * * *`) runs once on a fall-back day, at the first 02:30, and at the first valid time
 * after the gap (03:00) on a spring-forward day; an interval job (`0,30 * * * *`) keeps its
 * rhythm through both. It also walks backwards (`previousRuns`), which the `missed` policy
 * needs without enumerating a week of one-second fire times.
 *
 * `every` schedules fire at the multiples of their period since the Unix epoch, as BullMQ's
 * `every` does: the fire times follow from the period alone, not from which process stored the
 * schedule first, and `every: "1h"` fires on the hour (UTC). Use `cron` with `tz` for
 * wall-clock times. @module
 */

import { Cron } from "croner";

/** What decides a schedule's fire times. */
export interface ScheduleTiming {
  /** A cron expression, 5 fields or 6 with seconds (or a nickname such as `@daily`). */
  cron?: string;
  /** Or a fixed period in ms. */
  every?: number;
  /** The IANA time zone of `cron`. */
  tz: string;
}

/** Compiled expressions by time zone and text; croner parses once, evaluation is cheap. */
const compiled = new Map<string, Cron>();

/**
 * The croner job for a cron timing (compiled once per expression and time zone).
 * @throws {Error} croner's error for an expression it cannot read
 */
export function compileCron(cron: string, tz: string): Cron {
  const key = `${tz}\0${cron}`;
  let job = compiled.get(key);
  if (!job) {
    // No function is given, so croner schedules no timer: the job only computes times.
    job = new Cron(cron, { timezone: tz, mode: "5-or-6-parts" });
    if (compiled.size >= 1_000) compiled.clear();
    compiled.set(key, job);
  }
  return job;
}

/**
 * The first fire time strictly after `after`.
 *
 * @param timing the schedule's cron (with its time zone) or period
 * @param after epoch ms
 * @returns epoch ms, or `undefined` when the expression never fires again
 *
 * @example A daily 02:30 in Berlin on the day the clocks spring forward
 * ```ts
 * import { nextFire } from "./next_fire.ts";
 * const next = nextFire({ cron: "30 2 * * *", tz: "Europe/Berlin" }, Date.UTC(2024, 2, 30, 12));
 * // 02:30 does not exist on 31 March 2024: it runs at 03:00 CEST, 01:00 UTC.
 * if (next !== Date.UTC(2024, 2, 31, 1)) throw new Error(new Date(next!).toISOString());
 * ```
 */
export function nextFire(timing: ScheduleTiming, after: number): number | undefined {
  if (timing.every !== undefined) return (Math.floor(after / timing.every) + 1) * timing.every;
  return compileCron(timing.cron!, timing.tz).nextRun(new Date(after))?.getTime();
}

/**
 * The fire times in `(from, to]`, oldest first, at most the latest `cap` of them.
 *
 * @param timing the schedule's cron (with its time zone) or period
 * @param from epoch ms, excluded
 * @param to epoch ms, included
 * @param cap how many of the latest fire times to return at most
 */
export function firesBetween(
  timing: ScheduleTiming,
  from: number,
  to: number,
  cap: number,
): number[] {
  const times: number[] = [];
  if (!(to > from) || cap < 1) return times;
  if (timing.every !== undefined) {
    const every = timing.every;
    const first = (Math.floor(from / every) + 1) * every;
    for (let time = Math.floor(to / every) * every; time >= first && times.length < cap;) {
      times.push(time);
      time -= every;
    }
    return times.reverse();
  }
  // Walk back from `to` one fire time at a time, so a long outage costs `cap` steps at most.
  const job = compileCron(timing.cron!, timing.tz);
  let before = to + 1;
  while (times.length < cap) {
    const [previous] = job.previousRuns(1, new Date(before));
    if (!previous || previous.getTime() <= from) break;
    times.push(before = previous.getTime());
  }
  return times.reverse();
}
