/**
 * `find` and `count`. A query of only plain `status`/`task` conditions is counted from the
 * index sets' sizes. Otherwise the query's status and task hints pick the index sets to read
 * (never a scan of every key), the records are fetched in pipelined batches, and the full
 * query is matched here. @module
 */

import { JOB_STATUSES } from "../../src/job.ts";
import type { Job } from "../../src/job.ts";
import { compileQuery, queryHints } from "../../src/query.ts";
import type { JobQuery } from "../../src/store.ts";
import type { RedisScript } from "./_script.ts";
import { SCRIPTS } from "./_scripts.ts";
import { type Arg, decodeJob, publicJob, selectionArgs } from "./_codec.ts";

/** Runs one of the store's scripts (the store's own `#run`, with its error handling). */
export type ScriptRunner = (
  what: string,
  script: RedisScript,
  args: readonly Arg[],
) => Promise<unknown>;

/** Records per fetch script. */
const BATCH = 1000;

/** Every job matching `query`, in no particular order. */
export async function matchJobs(run: ScriptRunner, query: JobQuery): Promise<Job[]> {
  const hints = queryHints(query);
  const args = selectionArgs(hints.status ?? JOB_STATUSES, hints.task);
  const ids = [...new Set(await run("find jobs", SCRIPTS.ids, args) as string[])];
  const batches: Promise<unknown>[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    batches.push(run("find jobs", SCRIPTS.fetch, ids.slice(i, i + BATCH)));
  }
  const matches = compileQuery(query);
  const jobs: Job[] = [];
  for (const reply of await Promise.all(batches)) {
    for (const record of reply as unknown[]) {
      const job = decodeJob(record);
      if (job && matches(job)) jobs.push(publicJob(job));
    }
  }
  return jobs;
}

/** How many jobs match `query`: from the index sizes alone when it only names statuses and tasks. */
export async function countJobs(run: ScriptRunner, query: JobQuery): Promise<number> {
  const hints = queryHints(query);
  const indexed = Object.keys(query).every((key) =>
    (key === "status" && hints.status) || (key === "task" && hints.task)
  );
  if (!indexed) return (await matchJobs(run, query)).length;
  const args = selectionArgs(hints.status ?? JOB_STATUSES, hints.task);
  return await run("count jobs", SCRIPTS.count, args) as number;
}
