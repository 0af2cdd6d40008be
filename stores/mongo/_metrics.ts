/**
 * The MongoDB store's metrics: one document per (task, minute) in `<prefix>metrics`, summed by
 * `$inc` upserts, so samples from every process add up without a read, and pruned by minute
 * in the same ordered bulk write. @module
 */

import type { AnyBulkWriteOperation } from "mongodb";
import { METRICS_RETENTION_MS } from "../../src/metrics.ts";
import type { MetricsSample } from "../../src/store.ts";
import type { Collections } from "./_schema.ts";

/** One task's counts in one minute. */
export interface MetricsDocument {
  /** `<minute>:<task>`. */
  _id: string;
  task: string;
  /** Start of the minute, epoch ms. */
  minute: number;
  completed: number;
  failed: number;
  /**
   * Runs by run-time bucket, keyed `b<index>`: a field name of digits only in a dotted `$inc`
   * path would read as an array index, so the bucket index gets a letter in front.
   */
  runtimes: Record<string, number>;
}

/** Adds `samples` to the stored totals and drops minutes older than `now - 24 h`. */
export async function recordMetrics(
  collections: Collections,
  samples: readonly MetricsSample[],
  now: number,
): Promise<void> {
  const writes: AnyBulkWriteOperation<MetricsDocument>[] = samples.map((sample) => {
    const inc: Record<string, number> = { completed: sample.completed, failed: sample.failed };
    for (const [bucket, runs] of Object.entries(sample.runtimes)) inc[`runtimes.b${bucket}`] = runs;
    return {
      updateOne: {
        filter: { _id: `${sample.minute}:${sample.task}` },
        update: { $inc: inc, $setOnInsert: { task: sample.task, minute: sample.minute } },
        upsert: true,
      },
    };
  });
  writes.push({ deleteMany: { filter: { minute: { $lt: now - METRICS_RETENTION_MS } } } });
  await collections.metrics.bulkWrite(writes, { ordered: true });
}

/** The stored totals of minutes at or after `since`, by minute, then task. */
export async function metrics(collections: Collections, since: number): Promise<MetricsSample[]> {
  const documents = await collections.metrics.find({ minute: { $gte: since } })
    .sort({ minute: 1, task: 1 }).toArray();
  return documents.map((document) => ({
    task: document.task,
    minute: document.minute,
    completed: document.completed ?? 0,
    failed: document.failed ?? 0,
    runtimes: Object.fromEntries(
      Object.entries(document.runtimes ?? {}).map(([bucket, runs]) => [bucket.slice(1), runs]),
    ),
  }));
}
