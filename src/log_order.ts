/**
 * The order of a job's log, as every store's `logs` returns it: oldest first by `time`,
 * lines of equal time in the order they were appended. @module
 */

import type { LogLine } from "./job.ts";

/**
 * Puts log lines, given in the order they were appended, into time order (in place), keeping
 * the append order among lines of equal time.
 *
 * Append order alone is not time order: a run buffers its lines and hands them to the store
 * when it ends, so when a running job is cancelled, the store's "Cancelled" line is appended
 * before the run's "Started" and the action's lines, which are older. Sorting on read (rather
 * than inserting in place) keeps every store's append a plain append: an RPUSH, a `$push`, a
 * text concatenation. `Array.prototype.sort` is stable, and most logs are already in order,
 * which the first loop finds in one pass.
 *
 * @param lines the lines in append order
 * @returns the same array, sorted
 */
export function inTimeOrder(lines: LogLine[]): LogLine[] {
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].time < lines[i - 1].time) return lines.sort((a, b) => a.time - b.time);
  }
  return lines;
}
