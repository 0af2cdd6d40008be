/**
 * Claiming from a group with rate- or concurrency-limited tasks: job by job, in the group's
 * order, each limited start passing its task's limits first. @module
 */

import type { ClaimRequest, TaskLimits } from "../../src/store.ts";
import { freeSlots, releaseStart, reserveStart } from "./_control.ts";
import { isDuplicateKey, type JobDocument } from "./_documents.ts";
import { CLAIM_SORT, leaseOne, readyFilter } from "./_lease.ts";
import type { Collections } from "./_schema.ts";

/** What a limited group gave. */
export interface LimitedClaim {
  jobs: JobDocument[];
  /** Tasks held back by a limit: their delayed jobs do not make `next`. */
  held: Set<string>;
  /** The earliest time a held-back task's rate window reopens. */
  reopens?: number;
}

/** Whether `limits` limit anything. */
export function isLimited(limits: TaskLimits | undefined): limits is TaskLimits {
  return limits !== undefined && (limits.rate !== undefined || limits.concurrency !== undefined);
}

/*
 * Why job by job. The next job a group should start depends on the order of all its tasks'
 * ready jobs, but whether a limited task may start one is decided outside the job document
 * (its rate window, its slots; see `_control.ts`). So each step reads the best ready job of
 * the tasks still open (one index probe, no write), and then:
 * - for a task without limits, leases the best job of the open unlimited tasks, as the fast
 *   path does (the job just read, or the next one if another claim took it);
 * - for a limited task, finds a free slot and reserves a start, then leases that task's best
 *   job; a task at its limit is closed for this claim and the others go on (a limited task
 *   never holds up the rest of its group). A reserved start no job used is given back.
 * Losing a race (the job taken, the slot taken) just means reading again. The steps are
 * bounded, so a claim under heavy contention returns what it has rather than spin.
 */
export async function claimLimited(
  collections: Collections,
  request: ClaimRequest,
  group: readonly string[],
  room: number,
): Promise<LimitedClaim> {
  const limitsOf = (task: string) => request.limits?.[task];
  const open = new Set(group);
  const result: LimitedClaim = { jobs: [], held: new Set() };
  const close = (task: string, reopens?: number) => {
    open.delete(task);
    result.held.add(task);
    if (reopens !== undefined && !(reopens >= (result.reopens ?? Infinity))) {
      result.reopens = reopens;
    }
  };
  for (let steps = 0; steps < 4 * room + 16 && result.jobs.length < room && open.size > 0;) {
    steps++;
    const candidate = await collections.jobs.findOne(readyFilter([...open], request.now), {
      sort: CLAIM_SORT,
      projection: { _id: 1, task: 1 },
    });
    if (candidate === null) break;
    const task = candidate.task;
    const limits = limitsOf(task);
    if (!isLimited(limits)) {
      const unlimited = [...open].filter((name) => !isLimited(limitsOf(name)));
      const job = await leaseOne(collections, request, unlimited);
      if (job) result.jobs.push(job);
      continue;
    }
    let slot: number | undefined;
    if (limits.concurrency !== undefined) {
      const free = await freeSlots(collections, task, limits.concurrency);
      if (free.length === 0) {
        close(task);
        continue;
      }
      // Claims racing for one task rarely pick the same number.
      slot = free[Math.floor(Math.random() * free.length)];
    }
    let token: string | undefined;
    if (limits.rate !== undefined) {
      const reservation = await reserveStart(collections, task, limits.rate, request.now);
      if ("reopens" in reservation) {
        close(task, reservation.reopens);
        continue;
      }
      token = reservation.token;
    }
    let job: JobDocument | null = null;
    try {
      job = await leaseOne(collections, request, [task], slot);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    if (job) result.jobs.push(job);
    else if (token !== undefined) await releaseStart(collections, task, token);
  }
  return result;
}
