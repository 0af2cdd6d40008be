/**
 * `find` and `count`. A query of only plain `status`/`task` conditions is counted from the
 * index zsets' sizes, and paged in creation order from those zsets (the page script).
 * Otherwise the query's status and task hints pick the index zsets to read (never a scan of
 * every key), the records are fetched in pipelined batches (or, in creation order, read
 * ahead page by page), and the full query is matched here. @module
 */

import { JOB_STATUSES } from "../../src/job.ts";
import type { Job } from "../../src/job.ts";
import { compareJobs, compileQuery, type QueryHints, queryHints } from "../../src/query.ts";
import type { FindOptions, JobQuery } from "../../src/store.ts";
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

/** Whether a query has only plain `status` and `task` conditions, which the indexes answer. */
function isIndexed(query: JobQuery, hints: QueryHints): boolean {
  return Object.keys(query).every((key) =>
    (key === "status" && hints.status !== undefined) || (key === "task" && hints.task !== undefined)
  );
}

/**
 * The member of `job` in its status index zset (`indexMember` in the scripts): 16 digits
 * of creation time, 16 of id; `undefined` when the job does not fit (not one of this store's).
 */
function indexMember(job: Pick<Job, "id" | "created">): string | undefined {
  if (!/^[0-9]{1,16}$/.test(job.id) || !(job.created >= 0) || job.created >= 1e16) return undefined;
  return String(Math.floor(job.created)).padStart(16, "0") +
    String(Number(job.id)).padStart(16, "0");
}

/** The page script's first read when the query is matched here; it doubles up to the cap. */
const FIRST_READ = 200;
const MAX_READ = 5_000;

/**
 * Jobs matching `query`, ordered and paged. In creation order (the default) the page comes
 * from the index zsets (the page script), starting after `options.after`: exactly, for a
 * query the indexes answer, else read ahead in growing chunks and matched here until the page
 * is full. Other orders read every match and sort here.
 */
export async function findJobs(
  run: ScriptRunner,
  query: JobQuery,
  options: FindOptions,
): Promise<Job[]> {
  const offset = Math.max(0, Math.trunc(options.offset));
  const limit = Math.max(0, Math.trunc(options.limit));
  if (limit === 0) return [];
  const { after } = options;
  const place = after === undefined ? "" : indexMember(after);
  if ((options.sort?.field ?? "created") !== "created" || place === undefined) {
    const compare = compareJobs(options.sort);
    const jobs = await matchJobs(run, query);
    return jobs.filter((job) => after === undefined || compare(job, after) > 0).sort(compare)
      .slice(offset, offset + limit);
  }
  const hints = queryHints(query);
  const selection = selectionArgs(hints.status ?? JOB_STATUSES, hints.task);
  const direction = options.sort?.direction ?? 1;
  const wanted = offset + limit;
  const read = async (from: string, count: number) => {
    const [members, records] = await run("find jobs", SCRIPTS.page, [
      direction,
      count,
      from,
      ...selection,
    ]) as [string[], unknown[]];
    const jobs = records.flatMap((record) => {
      const job = decodeJob(record);
      return job ? [publicJob(job)] : [];
    });
    return { members, jobs };
  };
  if (isIndexed(query, hints)) return (await read(place, wanted)).jobs.slice(offset);

  const matches = compileQuery(query);
  const found: Job[] = [];
  let from = place;
  for (let count = Math.max(FIRST_READ, wanted * 2);; count = Math.min(count * 2, MAX_READ)) {
    const { members, jobs } = await read(from, count);
    for (const job of jobs) {
      if (matches(job) && found.push(job) === wanted) return found.slice(offset);
    }
    if (members.length < count) return found.slice(offset);
    from = members[members.length - 1];
  }
}

/** How many jobs match `query`: from the index sizes alone when it only names statuses and tasks. */
export async function countJobs(run: ScriptRunner, query: JobQuery): Promise<number> {
  const hints = queryHints(query);
  if (!isIndexed(query, hints)) return (await matchJobs(run, query)).length;
  const args = selectionArgs(hints.status ?? JOB_STATUSES, hints.task);
  return await run("count jobs", SCRIPTS.count, args) as number;
}
