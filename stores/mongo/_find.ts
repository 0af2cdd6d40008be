/**
 * `find` and `count`: the query runs on the server as MongoDB's own filter; what the server
 * cannot answer exactly is matched in memory on the rows it narrowed down. @module
 */

import type { Job } from "../../src/job.ts";
import { compareJobs, compileQuery } from "../../src/query.ts";
import type { FindOptions, JobQuery } from "../../src/store.ts";
import { type JobDocument, RECORD_PROJECTION, toJob } from "./_documents.ts";
import { type ServerSort, serverSort, translateQuery } from "./_query.ts";
import type { Collections } from "./_schema.ts";

/**
 * The pipeline for a server-side find whose order needs computed keys: filter, compute the
 * keys, order, page, drop the keys.
 */
export function findPipeline(
  filter: Record<string, unknown>,
  order: Required<ServerSort>,
  page?: { offset: number; limit: number },
): Record<string, unknown>[] {
  const dropped = Object.fromEntries(Object.keys(order.computed).map((key) => [key, 0]));
  return [
    { $match: filter },
    { $project: RECORD_PROJECTION },
    { $addFields: order.computed },
    { $sort: order.sort },
    ...(page ? [{ $skip: page.offset }, { $limit: page.limit }] : []),
    { $project: dropped },
  ];
}

/** Documents matching `filter` in the given server order, as an async iterable. */
function ordered(
  collections: Collections,
  filter: Record<string, unknown>,
  order: ServerSort,
  page?: { offset: number; limit: number },
): AsyncIterable<JobDocument> {
  if (order.computed !== undefined) {
    return collections.jobs.aggregate<JobDocument>(
      findPipeline(filter, { sort: order.sort, computed: order.computed }, page),
    );
  }
  const cursor = collections.jobs.find(filter, { projection: RECORD_PROJECTION })
    .sort(order.sort);
  if (page) cursor.skip(page.offset).limit(page.limit);
  return cursor as unknown as AsyncIterable<JobDocument>;
}

/** Jobs matching a validated query, ordered and paged. */
export async function find(
  collections: Collections,
  query: JobQuery,
  options: FindOptions,
): Promise<Job[]> {
  const offset = Math.max(0, Math.trunc(options.offset));
  const limit = Math.max(0, Math.trunc(options.limit));
  if (limit === 0) return [];
  const { filter, exact } = translateQuery(query);
  const order = serverSort(options.sort);
  // Keyset paging is matched here, on documents in order: correct for every sort, though it
  // reads the documents before `after` (no index range for it yet).
  const compare = compareJobs(options.sort);
  const after = options.after;
  const isAfter = (job: Job) => after === undefined || compare(job, after) > 0;

  if (order !== undefined && exact && after === undefined) {
    const jobs: Job[] = [];
    for await (const document of ordered(collections, filter, order, { offset, limit })) {
      jobs.push(toJob(document));
    }
    return jobs;
  }

  const match = compileQuery(query);
  if (order !== undefined) {
    // Documents arrive in order: skip and take matches, then stop reading.
    const jobs: Job[] = [];
    let skipped = 0;
    for await (const document of ordered(collections, filter, order)) {
      const job = toJob(document);
      if (!match(job) || !isAfter(job)) continue;
      if (skipped < offset) skipped++;
      else if (jobs.push(job) >= limit) break;
    }
    return jobs;
  }
  const documents = await collections.jobs.find(filter, { projection: RECORD_PROJECTION })
    .toArray();
  return documents.map(toJob).filter((job) => match(job) && isAfter(job)).sort(compare)
    .slice(offset, offset + limit);
}

/** How many jobs match a validated query. */
export async function count(collections: Collections, query: JobQuery): Promise<number> {
  const { filter, exact } = translateQuery(query);
  if (exact) return await collections.jobs.countDocuments(filter);
  const match = compileQuery(query);
  let n = 0;
  for await (const document of collections.jobs.find(filter, { projection: RECORD_PROJECTION })) {
    if (match(toJob(document))) n++;
  }
  return n;
}
