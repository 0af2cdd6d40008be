/**
 * The store verbs other than add, claim, settle, find and remove: each one single-document
 * write (or read), atomic per job. @module
 */

import type { Job, JobStatus, LogLine } from "../../src/job.ts";
import { inTimeOrder } from "../../src/log_order.ts";
import type { JobStats, WorkerRecord } from "../../src/store.ts";
import { STORE_MESSAGES } from "../../src/store.ts";
import {
  documentId,
  fromLogLine,
  isDuplicateKey,
  type JobDocument,
  RECORD_PROJECTION,
  toJob,
  toLogLine,
  UNFINISHED,
} from "./_documents.ts";
import type { Collections } from "./_schema.ts";

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
    { _id, status: { $in: [...UNFINISHED] } },
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
