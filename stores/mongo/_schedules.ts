/**
 * Schedules: stored one document each in the `schedules` collection, upserted by `schedule`,
 * and fired by a compare-and-set on the document that also records the fire's jobs, which are
 * then saved. @module
 */

import type { Job } from "../../src/job.ts";
import type { NewJob, ScheduleFire, ScheduleRecord } from "../../src/store.ts";
import { addFired, assertFit } from "./_add.ts";
import { MAX_DOCUMENT_DATA_DEPTH, nestsDeeper } from "./_depth.ts";
import { isDuplicateKey, jsonCopy } from "./_documents.ts";
import type { Collections, ScheduleDocument } from "./_schema.ts";
import { bsonSize, MAX_DATA_BYTES } from "./_size.ts";

/*
 * How a fire stays exactly-once without a transaction.
 *
 * A fire spans documents: the schedule's `next` and one job per fire time. It is done in
 * three single-document steps, ordered so that a crash between any two loses nothing and
 * duplicates nothing:
 *
 * 1. Compare-and-set on the schedule: only while it is stored with the fire's `spec` and
 *    `next === expected`, set the new `next` and push the fire onto `_pending` (its jobs as
 *    JSON text, with a fresh token), in one `updateOne`. Of several processes firing the
 *    same fire time, exactly one matches; the others write nothing and get `undefined`.
 * 2. Save the pending fire's jobs (`addFired`): each is keyed `schedule:<id>:<fire ms>`, and
 *    the key is kept for good under the unique `fire_key` index, so a job of a fire time is
 *    saved at most once, whoever writes it and however often.
 * 3. Pull the fire off `_pending` (by its token).
 *
 * A process that dies after step 1 leaves the fire pending: the next `schedules()` (every
 * processor reads them at least once per interval) writes it out, steps 2 and 3, so its jobs
 * are saved late but saved (no gap). One that dies after step 2 leaves a fire whose jobs exist:
 * writing it out again finds every key taken (no duplicate). A reader that writes out a fire
 * its firer is still saving races it harmlessly for the same reason. The jobs saved are the
 * compare's winner's, as the caller computed them.
 *
 * Saving the jobs first and moving `next` second would also be crash-safe, but then the jobs
 * of a fire time would be whichever contender saved first rather than the one whose
 * compare-and-set won, and a contender that lost the compare would still have written.
 */

/** A pending fire's jobs as text: the data of each job once per distinct value. */
interface PendingJobs {
  jobs: (Omit<NewJob, "data"> & { data?: number })[];
  data: string[];
}

/** The jobs of a fire as `_pending` keeps them (fires repeat one data; it is kept once). */
function pendingText(jobs: readonly NewJob[]): string {
  const pending: PendingJobs = { jobs: [], data: [] };
  const index = new Map<string, number>();
  for (const { data, ...job } of jobs) {
    const text = JSON.stringify(data);
    if (text === undefined) {
      pending.jobs.push(job);
      continue;
    }
    let at = index.get(text);
    if (at === undefined) index.set(text, at = pending.data.push(text) - 1);
    pending.jobs.push({ ...job, data: at });
  }
  return JSON.stringify(pending);
}

/** The jobs a pending fire keeps. */
function pendingJobs(text: string): NewJob[] {
  const pending = JSON.parse(text) as PendingJobs;
  return pending.jobs.map(({ data, ...job }) => ({
    ...job,
    data: data === undefined ? undefined : JSON.parse(pending.data[data]),
  }));
}

/** The record a document holds. */
function toRecord(document: ScheduleDocument): ScheduleRecord {
  const record: ScheduleRecord = {
    id: document._id,
    task: document.task,
    tz: document.tz,
    data: document.data,
    priority: document.priority,
    missed: document.missed,
    next: document.next,
    spec: document.spec,
  };
  if (document.cron !== undefined) record.cron = document.cron;
  if (document.every !== undefined) record.every = document.every;
  return record;
}

/**
 * Refuses a schedule whose data could not be the data of its jobs (see `_depth.ts`,
 * `_size.ts`), before anything is written.
 *
 * @throws {RangeError} naming the schedule and the limit
 */
function assertFits(schedule: ScheduleRecord): void {
  const fault = nestsDeeper(schedule.data, MAX_DOCUMENT_DATA_DEPTH)
    ? `nested at most ${MAX_DOCUMENT_DATA_DEPTH} levels deep: current value is nested deeper`
    : bsonSize(schedule.data ?? null) > MAX_DATA_BYTES
    ? `at most ${MAX_DATA_BYTES} bytes of BSON: current value is ${bsonSize(schedule.data)} bytes`
    : undefined;
  if (fault === undefined) return;
  throw new RangeError(
    `Cannot save schedule ${JSON.stringify(schedule.id)} as MongoDB keeps job data ${fault}`,
  );
}

/**
 * Upserts a schedule in one `findOneAndUpdate`: its filter matches the id only with another
 * spec, so a new id is inserted, another spec replaced, and the same spec (every worker calls
 * `schedule()` at start-up) hits the unique `_id` with its insert and is answered with the
 * stored schedule, `next` and all. Concurrent first saves race on the insert the same way.
 */
export async function schedule(
  collections: Collections,
  record: ScheduleRecord,
): Promise<ScheduleRecord> {
  assertFits(record);
  const { id, cron, every, ...fields } = jsonCopy(record);
  const set: Record<string, unknown> = { ...fields };
  const unset: Record<string, ""> = {};
  if (cron === undefined) unset.cron = "";
  else set.cron = cron;
  if (every === undefined) unset.every = "";
  else set.every = every;
  try {
    const stored = await collections.schedules.findOneAndUpdate(
      { _id: id, spec: { $ne: record.spec } },
      Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set },
      { upsert: true, returnDocument: "after", projection: { _pending: 0 } },
    );
    return toRecord(stored!);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  const stored = await collections.schedules.findOne({ _id: id }, { projection: { _pending: 0 } });
  // Deleted in between: the caller's schedule would have been saved a moment later.
  return stored === null ? await schedule(collections, record) : toRecord(stored);
}

/** Deletes a schedule; `false` when there was none. */
export async function unschedule(collections: Collections, id: string): Promise<boolean> {
  return (await collections.schedules.deleteOne({ _id: id })).deletedCount === 1;
}

/** Saves a pending fire's jobs and takes it off the schedule (steps 2 and 3 above). */
async function writeOut(
  collections: Collections,
  id: string,
  pending: { token: string; jobs: string },
): Promise<Job[]> {
  const jobs = await addFired(collections, pendingJobs(pending.jobs));
  await collections.schedules.updateOne({ _id: id }, {
    $pull: { _pending: { token: pending.token } },
  });
  return jobs;
}

/**
 * Every schedule, by id, after writing out the fires a crashed process left pending (see
 * above); `saved` are the jobs that wrote out.
 */
export async function schedules(
  collections: Collections,
): Promise<{ records: ScheduleRecord[]; saved: Job[] }> {
  const documents = await collections.schedules.find({}, { sort: { _id: 1 } }).toArray();
  const saved: Job[] = [];
  for (const document of documents) {
    for (const pending of document._pending ?? []) {
      saved.push(...await writeOut(collections, document._id, pending));
    }
  }
  return { records: documents.map(toRecord), saved };
}

/** Fires a schedule (steps 1 to 3 above); `undefined` when the compare failed. */
export async function fire(
  collections: Collections,
  fire: ScheduleFire,
): Promise<Job[] | undefined> {
  if (fire.jobs.length === 0) {
    // Nothing to save (missed fire times skipped): the compare-and-set is the whole fire.
    const { matchedCount } = await collections.schedules.updateOne(
      { _id: fire.id, spec: fire.spec, next: fire.expected },
      { $set: { next: fire.next } },
    );
    return matchedCount === 0 ? undefined : [];
  }
  // Checked before the compare: a fire left pending must be one that can be written out.
  assertFit(fire.jobs);
  const pending = { token: crypto.randomUUID(), jobs: pendingText(fire.jobs) };
  const { matchedCount } = await collections.schedules.updateOne(
    { _id: fire.id, spec: fire.spec, next: fire.expected },
    { $set: { next: fire.next }, $push: { _pending: pending } },
  );
  if (matchedCount === 0) return undefined;
  return await writeOut(collections, fire.id, pending);
}
