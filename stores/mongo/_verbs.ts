/**
 * The store verbs other than claim, settle and find: each one or a few single-document
 * writes, atomic per job. @module
 */

import type { Job, JobStatus, LogLine } from "../../src/job.ts";
import { inTimeOrder } from "../../src/log_order.ts";
import type { JobStats, NewJob, WorkerRecord } from "../../src/store.ts";
import { STORE_MESSAGES } from "../../src/store.ts";
import {
  documentId,
  fromLogLine,
  type JobDocument,
  RECORD_PROJECTION,
  toDocument,
  toJob,
  toLogLine,
} from "./_documents.ts";
import { MAX_DOCUMENT_DATA_DEPTH, nestsDeeper } from "./_depth.ts";
import type { Collections } from "./_schema.ts";
import { bsonSize, MAX_DATA_BYTES } from "./_size.ts";

const UNFINISHED: JobStatus[] = ["queued", "delayed", "processing"];
/** MongoDB's error code for a unique index violation. */
const DUPLICATE_KEY = 11000;
/** How often an add retries a key whose holder finished between its insert and its lookup. */
const KEY_RETRIES = 5;

/** Hands out `count` new ids, in increasing order, from the counter named `name`. */
export async function nextIds(
  collections: Collections,
  name: "jobs" | "events",
  count: number,
): Promise<number[]> {
  const counter = await collections.counters.findOneAndUpdate(
    { _id: name },
    { $inc: { seq: count } },
    { upsert: true, returnDocument: "after" },
  );
  const last = counter!.seq;
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown })?.code === DUPLICATE_KEY;
}

/**
 * The unfinished job with `key`, if any: the one holding it (`_activeKey`), else one that was
 * requeued while another held it and outlived that holder.
 */
async function holder(collections: Collections, key: string): Promise<Job | undefined> {
  const [document] = await collections.jobs.find(
    { key, status: { $in: UNFINISHED } },
    { projection: RECORD_PROJECTION, sort: { _activeKey: -1 }, limit: 1 },
  ).toArray();
  return document === undefined ? undefined : toJob(document);
}

/**
 * Inserts one keyed job, or returns the unfinished job holding its key. The unique index
 * decides a race between two adds: the loser's insert fails, and it returns the winner.
 */
async function addKeyed(collections: Collections, document: JobDocument): Promise<Job> {
  for (let attempt = 0; attempt < KEY_RETRIES; attempt++) {
    const existing = await holder(collections, document.key!);
    if (existing) return existing;
    try {
      await collections.jobs.insertOne(document);
      return toJob(document);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  // Five holders finished in the time of five round trips: report the last one standing.
  return (await holder(collections, document.key!)) ?? toJob(document);
}

/**
 * Refuses the whole batch when any job's data nests deeper than a document may (see
 * `_depth.ts`), before anything is written.
 *
 * @throws {RangeError} naming the first such job's task and the limit
 */
function assertDocumentDepth(jobs: readonly NewJob[]): void {
  const deep = jobs.find((job) => nestsDeeper(job.data, MAX_DOCUMENT_DATA_DEPTH));
  if (deep === undefined) return;
  throw new RangeError(
    `Cannot add job for ${JSON.stringify(deep.task)} as MongoDB keeps job data nested at most ` +
      `${MAX_DOCUMENT_DATA_DEPTH} levels deep (documents at most 100): current value is ` +
      `nested deeper`,
  );
}

/**
 * Refuses the whole batch when any job's data is larger than its share of a document (see
 * `_size.ts`), before anything is written.
 *
 * @throws {RangeError} naming the first such job's task, the limit and the size
 */
function assertDataSize(documents: readonly JobDocument[]): void {
  for (const document of documents) {
    const bytes = document.data === undefined ? 0 : bsonSize(document.data);
    if (bytes <= MAX_DATA_BYTES) continue;
    throw new RangeError(
      `Cannot add job for ${JSON.stringify(document.task)} as MongoDB keeps job data at most ` +
        `${MAX_DATA_BYTES} bytes of BSON (documents at most 16 MiB): current value is ${bytes} bytes`,
    );
  }
}

/**
 * Saves jobs: keyless ones in one `insertMany`, keyed ones one by one through the unique
 * index. A key repeated within one call saves one job. Ids are handed out in input order.
 */
export async function add(collections: Collections, jobs: readonly NewJob[]): Promise<Job[]> {
  if (jobs.length === 0) return [];
  assertDocumentDepth(jobs);
  // Ids only once the batch is known to fit: a refused batch takes no numbers.
  const documents = jobs.map((job) => toDocument(0, job));
  assertDataSize(documents);
  const ids = await nextIds(collections, "jobs", jobs.length);
  documents.forEach((document, i) => document._id = ids[i]);
  const plain = documents.filter((document) => document.key === undefined);
  if (plain.length > 0) await collections.jobs.insertMany(plain, { ordered: true });

  const byKey = new Map<string, Promise<Job>>();
  return await Promise.all(documents.map((document) => {
    if (document.key === undefined) return toJob(document);
    let saved = byKey.get(document.key);
    if (saved === undefined) {
      saved = addKeyed(collections, document);
      byKey.set(document.key, saved);
    }
    return saved;
  }));
}

/** One job. */
export async function get(collections: Collections, id: string): Promise<Job | undefined> {
  const _id = documentId(id);
  if (_id === undefined) return undefined;
  const document = await collections.jobs.findOne({ _id }, { projection: RECORD_PROJECTION });
  return document === null ? undefined : toJob(document);
}

/** Counts by task and status, in one aggregation over the status index. */
export async function stats(collections: Collections): Promise<JobStats> {
  const groups = await collections.jobs.aggregate<{
    _id: { task: string; status: JobStatus };
    n: number;
  }>([
    { $group: { _id: { task: "$task", status: "$status" }, n: { $sum: 1 } } },
  ]).toArray();
  const stats: JobStats = {};
  const sorted = groups.sort((a, b) =>
    a._id.task < b._id.task ? -1 : a._id.task > b._id.task ? 1 : 0
  );
  for (const { _id, n } of sorted) (stats[_id.task] ??= {})[_id.status] = n;
  return stats;
}

/** Cancels an unfinished job. */
export async function cancel(
  collections: Collections,
  id: string,
  now: number,
): Promise<Job | undefined> {
  const _id = documentId(id);
  if (_id === undefined) return undefined;
  const document = await collections.jobs.findOneAndUpdate(
    { _id, status: { $in: UNFINISHED } },
    {
      $set: { status: "cancelled", finished: now },
      $unset: { worker: "", leaseUntil: "", _token: "", _activeKey: "" },
      $push: { _logs: { time: now, message: STORE_MESSAGES.cancelled } },
    },
    { projection: RECORD_PROJECTION, returnDocument: "after" },
  );
  return document === null ? undefined : toJob(document);
}

/**
 * Puts a failed, timed-out or cancelled job back in the queue (attempts kept). It takes its
 * key back when no newer unfinished job holds it; otherwise it runs without holding it, and
 * `add` returns it by its key once the holder has finished (see `holder`).
 */
export async function requeue(
  collections: Collections,
  id: string,
  now: number,
): Promise<Job | undefined> {
  const _id = documentId(id);
  if (_id === undefined) return undefined;
  const line = { time: now, message: STORE_MESSAGES.requeued };
  const write = (takeKey: boolean) =>
    collections.jobs.findOneAndUpdate(
      { _id, status: { $in: ["failed", "timeout", "cancelled"] } },
      [
        {
          $set: {
            status: "queued",
            _readyAt: "$created",
            _logs: { $concatArrays: ["$_logs", { $literal: [line] }] },
            ...(takeKey ? { _activeKey: "$key" } : {}),
          },
        },
        { $unset: ["error", "finished", "runAt"] },
      ],
      { projection: RECORD_PROJECTION, returnDocument: "after" },
    );
  let document: JobDocument | null;
  try {
    document = await write(true);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    document = await write(false);
  }
  return document === null ? undefined : toJob(document);
}

/**
 * Makes a delayed job ready now, in one `findOneAndUpdate` fenced by the status: a job that a
 * claim took once it was due is `processing` and left alone, and a promoted job is `queued`,
 * so a claim takes it once. With `runAt` cleared it is ready since its creation, so it orders
 * like any queued job of its priority (as a requeued job does).
 */
export async function promote(
  collections: Collections,
  id: string,
  now: number,
): Promise<Job | undefined> {
  const _id = documentId(id);
  if (_id === undefined) return undefined;
  const line = { time: now, message: STORE_MESSAGES.promoted };
  const document = await collections.jobs.findOneAndUpdate(
    { _id, status: "delayed" },
    [
      {
        $set: {
          status: "queued",
          _readyAt: "$created",
          _logs: { $concatArrays: ["$_logs", { $literal: [line] }] },
        },
      },
      { $unset: ["runAt"] },
    ],
    { projection: RECORD_PROJECTION, returnDocument: "after" },
  );
  return document === null ? undefined : toJob(document);
}

/** Appends log lines to a job that exists. */
export async function appendLogs(
  collections: Collections,
  id: string,
  lines: readonly LogLine[],
): Promise<void> {
  const _id = documentId(id);
  if (_id === undefined || lines.length === 0) return;
  await collections.jobs.updateOne({ _id }, { $push: { _logs: { $each: lines.map(toLogLine) } } });
}

/** A job's log lines, oldest first. */
export async function logs(collections: Collections, id: string): Promise<LogLine[]> {
  const _id = documentId(id);
  if (_id === undefined) return [];
  const document = await collections.jobs.findOne({ _id }, { projection: { _logs: 1 } });
  return inTimeOrder((document?._logs ?? []).map(fromLogLine));
}

/** Records a worker until `seen + ttlMs`. */
export async function heartbeat(
  collections: Collections,
  worker: WorkerRecord,
  ttlMs: number,
): Promise<void> {
  await collections.workers.updateOne(
    { _id: worker.id },
    {
      $set: { body: JSON.stringify(worker), expires: worker.seen + ttlMs, started: worker.started },
    },
    { upsert: true },
  );
}

/** Live workers, oldest first; expired records are deleted on the way. */
export async function workers(collections: Collections, now: number): Promise<WorkerRecord[]> {
  await collections.workers.deleteMany({ expires: { $lt: now } });
  const documents = await collections.workers.find({}, { sort: { started: 1, _id: 1 } })
    .toArray();
  return documents.map((document) => JSON.parse(document.body));
}
