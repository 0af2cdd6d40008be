/**
 * Saving jobs: `add`, and the jobs a schedule fires (`addFired`), through the dedupe keys'
 * unique index, after checking that each fits a document. @module
 */

import type { Job } from "../../src/job.ts";
import type { NewJob } from "../../src/store.ts";
import {
  isDuplicateKey,
  type JobDocument,
  RECORD_PROJECTION,
  toDocument,
  toJob,
  UNFINISHED,
} from "./_documents.ts";
import { MAX_DOCUMENT_DATA_DEPTH, nestsDeeper } from "./_depth.ts";
import type { Collections } from "./_schema.ts";
import { bsonSize, MAX_DATA_BYTES } from "./_size.ts";

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

/**
 * The unfinished job with `key`, if any: the one holding it (`_activeKey`), else one that was
 * requeued while another held it and outlived that holder.
 */
export async function holder(collections: Collections, key: string): Promise<Job | undefined> {
  const [document] = await collections.jobs.find(
    { key, status: { $in: [...UNFINISHED] } },
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
 * Checks that every job fits a document (see `_depth.ts`, `_size.ts`); resolves to their
 * documents, without ids yet.
 *
 * @throws {RangeError} naming the first job that does not
 */
export function assertFit(jobs: readonly NewJob[]): JobDocument[] {
  assertDocumentDepth(jobs);
  const documents = jobs.map((job) => toDocument(0, job));
  assertDataSize(documents);
  return documents;
}

/**
 * The documents of new jobs with their ids, once every job of the batch is known to fit a
 * document (so a refused batch takes no ids).
 *
 * @throws {RangeError} when a job's data nests too deep or is too large (nothing is written)
 */
export async function prepare(
  collections: Collections,
  jobs: readonly NewJob[],
): Promise<JobDocument[]> {
  const documents = assertFit(jobs);
  const ids = await nextIds(collections, "jobs", jobs.length);
  documents.forEach((document, i) => document._id = ids[i]);
  return documents;
}

/** The write errors of a failed `insertMany`, by the index of the document each refused. */
function writeErrors(error: unknown): Map<number, unknown> {
  const raw = (error as { writeErrors?: unknown })?.writeErrors;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as {
    index: number;
    code?: number;
  }[];
  return new Map(list.map((entry) => [entry.index, entry]));
}

/**
 * Saves the jobs of a schedule's fire, each keyed `schedule:<id>:<fire ms>` by the core: the
 * key is also kept for good as `_fireKey` under a unique index, so a job of a fire time is
 * saved once however many processes write it, and even after it has finished (when its
 * `_activeKey` is gone). A job refused for a key another job holds is answered with that job.
 */
export async function addFired(
  collections: Collections,
  jobs: readonly NewJob[],
): Promise<Job[]> {
  if (jobs.length === 0) return [];
  const documents = await prepare(collections, jobs);
  for (const document of documents) {
    if (document.key !== undefined) document._fireKey = document.key;
  }
  let refused = new Map<number, unknown>();
  try {
    await collections.jobs.insertMany(documents, { ordered: false });
  } catch (error) {
    refused = writeErrors(error);
    if (refused.size === 0 || ![...refused.values()].every(isDuplicateKey)) throw error;
  }
  return await Promise.all(documents.map(async (document, i) => {
    if (!refused.has(i)) return toJob(document);
    const key = document.key!;
    const taken = (await holder(collections, key)) ??
      (await collections.jobs.findOne({ _fireKey: key }, { projection: RECORD_PROJECTION }));
    // A job that finished and was removed meanwhile: nothing holds the key any more.
    return taken === null ? toJob(document) : "id" in taken ? taken : toJob(taken);
  }));
}

/**
 * Saves jobs: keyless ones in one `insertMany`, keyed ones one by one through the unique
 * index. A key repeated within one call saves one job. Ids are handed out in input order.
 */
export async function add(collections: Collections, jobs: readonly NewJob[]): Promise<Job[]> {
  if (jobs.length === 0) return [];
  const documents = await prepare(collections, jobs);
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
