/**
 * `remove`: the loop of remove script calls (`_scripts/remove.ts`) that deletes what a filter
 * selects. Private to the Redis store. @module
 */

import type { RemoveFilter } from "../../src/store.ts";
import { type Arg, selectionArgs } from "./_codec.ts";
import type { ScriptRunner } from "./_match.ts";
import { SCRIPTS } from "./_scripts.ts";

/**
 * Jobs per remove script: a call of 100 holds Redis for a few milliseconds, so the claims of
 * busy processors slip in between the calls of a large clean or retention sweep.
 */
const REMOVE_BATCH = 100;

/**
 * Deletes the jobs `filter` selects, with their logs; resolves to how many. With `before`,
 * `keep` or `limit` the oldest finished go first, read from the per-status finished sets;
 * each call hands the next the entries it skipped (jobs of other tasks), so none is read twice.
 */
export async function removeJobs(run: ScriptRunner, filter: RemoveFilter): Promise<number> {
  if (filter.status.length === 0 || filter.tasks?.length === 0) return 0;
  const { before, keep, limit = Infinity } = filter;
  const ordered = before !== undefined || keep !== undefined || limit !== Infinity;
  const selection = selectionArgs(filter.status, filter.tasks);
  let removed = 0;
  let skips: Arg[] = [];
  while (removed < limit) {
    const batch = Math.min(REMOVE_BATCH, limit - removed);
    const args = [batch, before ?? "", keep ?? "", ordered ? 1 : 0, ...selection, ...skips];
    const [count, more, ...next] = await run("remove jobs", SCRIPTS.remove, args) as number[];
    removed += count;
    if (more !== 1) break;
    skips = next;
  }
  return removed;
}
