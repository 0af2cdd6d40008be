/**
 * Deleting jobs: `remove` (clean and retention sweeps, oldest finished first, bounded) and
 * `removeJob` (one job in any status). A job's log lives in its document, so deleting the
 * document deletes the log, and its dedupe key (`_activeKey`) goes with it. @module
 */

import type { Job } from "../../src/job.ts";
import type { RemoveFilter } from "../../src/store.ts";
import { documentId, RECORD_PROJECTION, toJob } from "./_documents.ts";
import type { Collections } from "./_schema.ts";

/** Jobs deleted per round of a bounded `remove`: the largest `$in` list it sends. */
const BATCH = 1000;

/*
 * How a bounded remove stays short and safe without a transaction.
 *
 * MongoDB's `deleteMany` has neither a sort nor a limit, so a sweep takes two steps per round:
 * read the `_id`s of the oldest matching jobs (the `finished` index: status, finished, _id,
 * so the read walks one ordered range per status and stops after `BATCH`), then delete those
 * `_id`s with a filter that repeats the status (and `before`) condition. Between the steps a
 * job may be requeued or retried by hand; the repeated condition is checked by the server on
 * each document as it deletes it, so such a job is spared (retention vs retry), and a job
 * that finished after the read is never among the `_id`s. A sweep of `limit` jobs is thus at
 * most `limit / BATCH` rounds, and the core asks for at most 1,000 a turn.
 *
 * `keep` counts the matching jobs first and removes only the oldest beyond `keep`. The count
 * and the deletes are separate steps: a job that finishes meanwhile only makes the sweep
 * spare more; one of the newest that is requeued meanwhile can make it spare one fewer than
 * `keep` for that call (the memory and SQL stores are exact here; retention does not need
 * to be).
 *
 * Age order is `finished` ascending, then creation (`_id`). Jobs without `finished` (only
 * unfinished ones, when a caller names such statuses) count as the newest, in creation order,
 * and never as finished before anything, as in the memory store.
 */

/** The `_id`s of up to `n` matching jobs, oldest first (see above). */
async function oldest(
  collections: Collections,
  match: Record<string, unknown>,
  before: number | undefined,
  n: number,
): Promise<number[]> {
  const finished = await collections.jobs.find(
    { ...match, finished: before === undefined ? { $exists: true } : { $lt: before } },
    { projection: { _id: 1 }, sort: { finished: 1, _id: 1 }, limit: n },
  ).toArray();
  const ids = finished.map((document) => document._id);
  if (ids.length === n || before !== undefined) return ids;
  const unfinished = await collections.jobs.find(
    { ...match, finished: { $exists: false } },
    { projection: { _id: 1 }, sort: { _id: 1 }, limit: n - ids.length },
  ).toArray();
  return ids.concat(unfinished.map((document) => document._id));
}

/** Deletes jobs of the filter's statuses (and tasks), narrowed by `before`, `keep`, `limit`. */
export async function remove(collections: Collections, filter: RemoveFilter): Promise<number> {
  const match: Record<string, unknown> = { status: { $in: [...filter.status] } };
  if (filter.tasks !== undefined) match.task = { $in: [...filter.tasks] };
  const { before, keep, limit } = filter;
  const aged = before === undefined ? match : { ...match, finished: { $lt: before } };
  if (keep === undefined && limit === undefined) {
    return (await collections.jobs.deleteMany(aged)).deletedCount;
  }
  let left = limit === undefined ? Infinity : Math.max(0, Math.trunc(limit));
  if (keep !== undefined && left > 0) {
    const total = await collections.jobs.countDocuments(match);
    left = Math.min(left, total - Math.max(0, Math.trunc(keep)));
  }
  let removed = 0;
  while (left > 0) {
    const ids = await oldest(collections, match, before, Math.min(left, BATCH));
    if (ids.length === 0) break;
    const { deletedCount } = await collections.jobs.deleteMany({ ...aged, _id: { $in: ids } });
    removed += deletedCount;
    left -= deletedCount;
    if (ids.length < BATCH || deletedCount === 0) break;
  }
  return removed;
}

/** Deletes one job in any status, in one `findOneAndDelete`; resolves to it as it was. */
export async function removeJob(collections: Collections, id: string): Promise<Job | undefined> {
  const _id = documentId(id);
  if (_id === undefined) return undefined;
  const document = await collections.jobs.findOneAndDelete({ _id }, {
    projection: RECORD_PROJECTION,
  });
  return document === null ? undefined : toJob(document);
}
