/**
 * What a claim passes its candidates through: the paused set, the rate windows of limited
 * tasks and their concurrency slots. Each is one document, or a unique index, so every worker
 * on the store counts against the same numbers without a lock or a transaction. @module
 */

import { type PauseTarget, RATE_KEEP_WINDOWS } from "../../src/store.ts";
import { isDuplicateKey } from "./_documents.ts";
import type { Collections } from "./_schema.ts";

/*
 * Where the numbers live.
 *
 * - Paused tags and tasks: one document (`_id: "paused"`) of the `control` collection, changed
 *   with `$addToSet` / `$pull`, read once at the start of every claim, so a claim that starts
 *   after a pause resolved never takes a paused job.
 * - Rate: one document per task (`_id: "rate:<task>"`) holding the starts of the window, each
 *   `{ at, token }`. A start is reserved before the job is claimed, in one update pipeline that
 *   drops the starts older than two windows (`RATE_KEEP_WINDOWS`) and appends this one only
 *   while fewer than `max` are after `now - per`, so concurrent claims anywhere never record more than `max` starts in a window. A
 *   claim that then finds no job to take gives its start back (`$pull` by token). A process
 *   that dies between the two steps leaves a start no job used: it counts until it leaves the
 *   window, so a crash can only make the limit stricter for a while, never looser.
 * - Concurrency: a job claimed under a concurrency limit takes a slot number `_slot` in
 *   `[0, n)`, and the unique `slot` index on `(task, _slot)` covers only `processing` jobs. Two
 *   claims can never hold one slot, and a job frees its slot by leaving `processing`, however
 *   it leaves (settle, cancel, recovery, removal): there is no counter to keep in step, so no
 *   crash can leak a slot. A claim picks a free number from the processing jobs it reads; one
 *   that lost the number to another claim meanwhile gets a duplicate key error and reads again.
 */

/** The control collection's document of paused tags and tasks. */
const PAUSED = "paused";

/** The paused set; empty arrays when nothing was ever paused. */
export async function paused(collections: Collections): Promise<PauseTarget> {
  const document = await collections.control.findOne({ _id: PAUSED });
  return { tags: [...document?.tags ?? []], tasks: [...document?.tasks ?? []] };
}

/** Adds tags and tasks to the paused set, each once. */
export async function pause(collections: Collections, target: PauseTarget): Promise<void> {
  await upserting(() =>
    collections.control.updateOne(
      { _id: PAUSED },
      { $addToSet: { tags: { $each: [...target.tags] }, tasks: { $each: [...target.tasks] } } },
      { upsert: true },
    )
  );
}

/** Removes tags and tasks from the paused set. */
export async function resume(collections: Collections, target: PauseTarget): Promise<void> {
  await collections.control.updateOne(
    { _id: PAUSED },
    { $pull: { tags: { $in: [...target.tags] }, tasks: { $in: [...target.tasks] } } },
  );
}

/** A start reserved in a task's rate window, or when the window reopens if it is full. */
export type Reservation = { token: string } | { reopens: number };

/**
 * Reserves one start of `task` at `now` in its window of `per` ms, when fewer than `max`
 * starts are in it (see above).
 */
export async function reserveStart(
  collections: Collections,
  task: string,
  rate: { max: number; per: number },
  now: number,
): Promise<Reservation> {
  const token = crypto.randomUUID();
  // Kept: the starts of the last RATE_KEEP_WINDOWS windows (a claim that arrives late may
  // need them); counted: those after `now - per`, a later claim's included.
  const after = (from: number) => ({
    $filter: {
      input: { $ifNull: ["$starts", []] },
      cond: { $gt: ["$$this.at", from] },
    },
  });
  const document = await upserting(() =>
    collections.control.findOneAndUpdate(
      { _id: `rate:${task}` },
      [
        { $set: { starts: after(now - RATE_KEEP_WINDOWS * rate.per) } },
        {
          $set: {
            starts: {
              $cond: [
                { $lt: [{ $size: after(now - rate.per) }, rate.max] },
                { $concatArrays: ["$starts", [{ at: now, token: { $literal: token } }]] },
                "$starts",
              ],
            },
          },
        },
      ],
      { upsert: true, returnDocument: "after", projection: { starts: 1 } },
    )
  );
  const starts = document?.starts ?? [];
  if (starts.some((start) => start.token === token)) return { token };
  // Full: it reopens when the start that makes it full leaves, `per` after it was made.
  const times = starts.map((start) => start.at).filter((at) => at > now - rate.per)
    .sort((a, b) => a - b);
  if (rate.max < 1 || times.length < rate.max) return { reopens: Infinity };
  return { reopens: times[times.length - rate.max] + rate.per };
}

/**
 * Runs an upsert by `_id` again when a concurrent one inserted the document first (a server
 * older than 4.2 does not retry that itself).
 */
async function upserting<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return await write();
  }
}

/** Gives back a start reserved by `reserveStart` that no job used. */
export async function releaseStart(
  collections: Collections,
  task: string,
  token: string,
): Promise<void> {
  await collections.control.updateOne({ _id: `rate:${task}` }, { $pull: { starts: { token } } });
}

/** The slot numbers in `[0, n)` no processing job of `task` holds, and how many may start. */
export async function freeSlots(
  collections: Collections,
  task: string,
  n: number,
): Promise<number[]> {
  const running = await collections.jobs.find(
    { task, status: "processing" },
    { projection: { _slot: 1 } },
  ).toArray();
  const taken = new Set(running.map((job) => job._slot));
  const free: number[] = [];
  for (let slot = 0; slot < n && free.length < n - running.length; slot++) {
    if (!taken.has(slot)) free.push(slot);
  }
  return free;
}
