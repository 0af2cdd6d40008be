/**
 * The claim: one `findOneAndUpdate` per job, over the ready jobs of each priority group in
 * turn. @module
 */

import type { ClaimRequest, ClaimResult, LeasedJob } from "../../src/store.ts";
import { type JobDocument, RECORD_PROJECTION, toJob } from "./_documents.ts";
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
 * The token is drawn here, one per job; `maxAttempts` is the job's own when it was saved with
 * one (`_ownMaxAttempts`), else comes from the request's map through a `$switch` on the task,
 * with names and values as `$literal`s so no task name is ever read as a field path.
 */

/** The `$set` stage that leases one job. */
function leaseStage(request: ClaimRequest, group: readonly string[], token: string) {
  const limits = request.maxAttempts ?? {};
  const branches = group
    .filter((task) => Object.hasOwn(limits, task))
    .map((task) => ({ case: { $eq: ["$task", { $literal: task }] }, then: limits[task] }));
  return {
    $set: {
      status: "processing",
      attempts: { $add: ["$attempts", 1] },
      started: request.now,
      worker: { $literal: request.worker },
      leaseUntil: request.now + request.leaseMs,
      _token: { $literal: token },
      maxAttempts: {
        $ifNull: [
          "$_ownMaxAttempts",
          branches.length === 0 ? 0 : { $switch: { branches, default: 0 } },
        ],
      },
    },
  };
}

/** Leases the first ready job of `group`, or resolves to `null` when there is none. */
function claimOne(
  collections: Collections,
  request: ClaimRequest,
  group: readonly string[],
): Promise<JobDocument | null> {
  const token = crypto.randomUUID();
  return collections.jobs.findOneAndUpdate(
    {
      task: { $in: [...group] },
      $or: [
        { status: "queued" },
        { status: "delayed", _readyAt: { $lte: request.now } },
      ],
    },
    [leaseStage(request, group, token)],
    {
      sort: { priority: 1, _readyAt: 1, _id: 1 },
      projection: RECORD_PROJECTION,
      returnDocument: "after",
    },
  ) as Promise<JobDocument | null>;
}

/**
 * Runs a claim.
 *
 * @returns the leased jobs in claim order, and the next due time when fewer than `limit`
 * were ready
 * @throws {RangeError} when `limit` is below 1
 */
export async function claim(collections: Collections, request: ClaimRequest): Promise<ClaimResult> {
  if (!(request.limit >= 1)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be at least 1: current value is ${request.limit}`,
    );
  }
  const limit = Math.trunc(request.limit);
  // A task named in several groups belongs to the first.
  const rank = new Map<string, number>();
  request.groups.forEach((group, g) => {
    for (const task of group) if (!rank.has(task)) rank.set(task, g);
  });
  const groups = request.groups
    .map((_, g) => [...rank].filter(([, r]) => r === g).map(([task]) => task))
    .filter((group) => group.length > 0);
  if (groups.length === 0) return { jobs: [] };

  const claimed: JobDocument[] = [];
  for (const group of groups) {
    let isEmpty = false;
    while (!isEmpty && claimed.length < limit) {
      const wave = Math.min(PARALLEL, limit - claimed.length);
      const found = await Promise.all(
        Array.from({ length: wave }, () => claimOne(collections, request, group)),
      );
      for (const document of found) {
        if (document === null) isEmpty = true;
        else claimed.push(document);
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

  const next = await collections.jobs.findOne(
    { task: { $in: [...rank.keys()] }, status: "delayed" },
    { sort: { _readyAt: 1 }, projection: { _readyAt: 1 } },
  );
  return next === null ? { jobs } : { jobs, next: next._readyAt };
}
