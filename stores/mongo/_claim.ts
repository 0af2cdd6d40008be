/**
 * The claim: one `findOneAndUpdate` per job, over the ready jobs of each priority group in
 * turn, past paused tags and tasks and within the tasks' limits. @module
 */

import type { ClaimRequest, ClaimResult, LeasedJob, PauseTarget } from "../../src/store.ts";
import { claimLimited, isLimited } from "./_claim_limited.ts";
import { paused } from "./_control.ts";
import { type JobDocument, toJob } from "./_documents.ts";
import { leaseOne } from "./_lease.ts";
import type { Collections } from "./_schema.ts";

/** Claims in flight at once for one request (each is one round trip). */
const PARALLEL = 16;

/*
 * Why one `findOneAndUpdate` per job, and why it is safe.
 *
 * MongoDB has no "UPDATE … LIMIT n RETURNING" and no row locks to hold across statements,
 * but every single-document write is atomic, and `findOneAndUpdate` makes the read part of
 * that write: the server picks the first document that matches the filter in the given
 * sort, and modifies it under the storage engine's document-level concurrency control. When
 * two claimers pick the same document, one update commits first; the other hits a write
 * conflict, and the server retries its whole find-and-modify, re-evaluating the filter. The
 * filter demands a waiting status, which the winner just changed to `processing`, so the
 * loser moves on to the next job. A job is thus handed out at most once, with no
 * transaction, no replica set and no lock of our own: the same reasoning as a
 * compare-and-set loop, carried out by the server.
 *
 * The price is one round trip per job. A request for `limit` jobs sends up to `PARALLEL`
 * claims of one group at once (they take distinct jobs, for the reason above), and moves to
 * the next group only when one comes back empty, so the groups are still emptied in order.
 * The results are put back in claim order: group, priority, ready time, id.
 *
 * Every claim walks the `claim` index: its filter is "this group's tasks, queued, or delayed
 * and due", its sort (priority, ready time, id) is the index order after task and status. A
 * queued job is ready whatever its `created` says (another process's clock may run ahead).
 *
 * Pause and limits. The claim first reads the paused set (one small document; `settle` reads
 * it alongside its writes, so a settle-and-claim costs no extra round trip), drops the groups
 * of paused tags the request names and the paused tasks, and claims as above from every group
 * without limited tasks, so unlimited work takes the same path as before. A group with a
 * limited task goes job by job instead (`_claim_limited.ts`).
 */

/** The request's groups without paused tags and tasks; a task named twice stays in its first. */
function openGroups(request: ClaimRequest, pausedSet: PauseTarget): string[][] {
  const tags = new Set(pausedSet.tags);
  const tasks = new Set(pausedSet.tasks);
  const seen = new Set<string>();
  const groups: string[][] = [];
  request.groups.forEach((group, g) => {
    const tag = request.tags?.[g];
    if (tag !== undefined && tags.has(tag)) return;
    const open = group.filter((task) => !tasks.has(task) && !seen.has(task));
    for (const task of open) seen.add(task);
    if (open.length > 0) groups.push(open);
  });
  return groups;
}

/** Leases up to `room` ready jobs of `group`, `PARALLEL` at a time, until it runs dry. */
async function claimGroup(
  collections: Collections,
  request: ClaimRequest,
  group: readonly string[],
  room: number,
): Promise<JobDocument[]> {
  const claimed: JobDocument[] = [];
  let isEmpty = false;
  while (!isEmpty && claimed.length < room) {
    const wave = Math.min(PARALLEL, room - claimed.length);
    const found = await Promise.all(
      Array.from({ length: wave }, () => leaseOne(collections, request, group)),
    );
    for (const document of found) {
      if (document === null) isEmpty = true;
      else claimed.push(document);
    }
  }
  return claimed;
}

/**
 * Runs a claim.
 *
 * @param pausedSet the paused set when the caller read it already (else it is read first)
 * @returns the leased jobs in claim order, and when fewer than `limit` were ready the next
 * time more may be: the earliest due time of a delayed job of an open task, or the time a
 * held-back task's rate window reopens
 * @throws {RangeError} when `limit` is below 1
 */
export async function claim(
  collections: Collections,
  request: ClaimRequest,
  pausedSet?: PauseTarget,
): Promise<ClaimResult> {
  if (!(request.limit >= 1)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be at least 1: current value is ${request.limit}`,
    );
  }
  const limit = Math.trunc(request.limit);
  const groups = openGroups(request, pausedSet ?? await paused(collections));
  if (groups.length === 0) return { jobs: [] };
  const rank = new Map(groups.flatMap((group, g) => group.map((task) => [task, g])));

  const claimed: JobDocument[] = [];
  const held = new Set<string>();
  let reopens: number | undefined;
  for (const group of groups) {
    const room = limit - claimed.length;
    if (!group.some((task) => isLimited(request.limits?.[task]))) {
      claimed.push(...await claimGroup(collections, request, group, room));
    } else {
      const limited = await claimLimited(collections, request, group, room);
      claimed.push(...limited.jobs);
      for (const task of limited.held) held.add(task);
      if (limited.reopens !== undefined && !(limited.reopens >= (reopens ?? Infinity))) {
        reopens = limited.reopens;
      }
    }
    if (claimed.length >= limit) break;
  }

  claimed.sort((a, b) =>
    rank.get(a.task)! - rank.get(b.task)! || a.priority - b.priority ||
    a._readyAt - b._readyAt || a._id - b._id
  );
  const jobs: LeasedJob[] = claimed.map((document) => ({
    ...toJob(document),
    token: document._token!,
  }));
  if (jobs.length >= limit) return { jobs };

  // Held-back tasks are woken by their window (`reopens`) or by a settle's wake-up instead.
  const waiting = [...rank.keys()].filter((task) => !held.has(task));
  const delayed = waiting.length === 0 ? null : await collections.jobs.findOne(
    { task: { $in: waiting }, status: "delayed", _readyAt: { $gt: request.now } },
    { sort: { _readyAt: 1 }, projection: { _readyAt: 1 } },
  );
  const next = Math.min(delayed?._readyAt ?? Infinity, reopens ?? Infinity);
  return next === Infinity ? { jobs } : { jobs, next };
}
