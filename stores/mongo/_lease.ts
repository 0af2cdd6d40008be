/**
 * Leasing one job: the `findOneAndUpdate` every claim is made of. @module
 */

import type { ClaimRequest } from "../../src/store.ts";
import { type JobDocument, RECORD_PROJECTION } from "./_documents.ts";
import type { Collections } from "./_schema.ts";

/** The claim order within a group: priority, then the time a job became ready, then id. */
export const CLAIM_SORT = { priority: 1, _readyAt: 1, _id: 1 } as const;

/** Jobs of `tasks` that are ready at `now`: queued, or delayed and due. */
export function readyFilter(tasks: readonly string[], now: number): Record<string, unknown> {
  return {
    task: { $in: [...tasks] },
    $or: [{ status: "queued" }, { status: "delayed", _readyAt: { $lte: now } }],
  };
}

/**
 * The `$set` stage that leases one job. `maxAttempts` is the job's own when it was saved with
 * one (`_ownMaxAttempts`), else comes from the request's map through a `$switch` on the task,
 * with names and values as `$literal`s so no task name is ever read as a field path. `_slot`
 * is the concurrency slot the claim took, else removed (see `_control.ts`).
 */
function leaseStage(
  request: ClaimRequest,
  tasks: readonly string[],
  token: string,
  slot: number | undefined,
) {
  const limits = request.maxAttempts ?? {};
  const branches = tasks
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
      _slot: slot ?? "$$REMOVE",
    },
  };
}

/**
 * Leases the first ready job of `tasks` (holding concurrency slot `slot` when given), or
 * resolves to `null` when there is none. The token is drawn here, one per job.
 */
export function leaseOne(
  collections: Collections,
  request: ClaimRequest,
  tasks: readonly string[],
  slot?: number,
): Promise<JobDocument | null> {
  return collections.jobs.findOneAndUpdate(
    readyFilter(tasks, request.now),
    [leaseStage(request, tasks, crypto.randomUUID(), slot)],
    { sort: CLAIM_SORT, projection: RECORD_PROJECTION, returnDocument: "after" },
  ) as Promise<JobDocument | null>;
}
