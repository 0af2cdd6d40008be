/**
 * Metrics samples to the metrics scripts' arguments (see `_scripts/metrics.ts`), and their
 * replies back to samples. Private to the Redis store. @module
 */

import { METRICS_RETENTION_MS } from "../../src/metrics.ts";
import type { MetricsSample } from "../../src/store.ts";
import { StoreError } from "../../src/store.ts";
import type { Arg } from "./_codec.ts";

/** 25 hours: the EXPIRE of a minute's hash, past the 24 hours the store answers for. */
export const METRICS_TTL_SECONDS = 25 * 3600;

/** The record-metrics script's arguments. */
export function recordMetricsArgs(samples: readonly MetricsSample[], now: number): Arg[] {
  const args: Arg[] = [now - METRICS_RETENTION_MS, METRICS_TTL_SECONDS];
  for (const sample of samples) {
    const buckets = Object.entries(sample.runtimes).filter(([, runs]) => runs !== 0);
    args.push(sample.minute, sample.task, sample.completed, sample.failed, buckets.length);
    for (const [bucket, runs] of buckets) args.push(bucket, runs);
  }
  return args;
}

/** The read-metrics script's reply as samples, by minute, then task. */
export function decodeMetrics(reply: unknown): MetricsSample[] {
  if (!Array.isArray(reply)) {
    throw new StoreError(
      "redis",
      `Cannot read metrics as the reply is not a list: current value is ${reply}`,
    );
  }
  const samples: MetricsSample[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const minute = Number(reply[i]);
    const fields = reply[i + 1] as string[];
    const byTask = new Map<string, MetricsSample>();
    for (let f = 0; f < fields.length; f += 2) {
      // Fields are `<task>:<what>`; a task name cannot end in a `:<what>`, so the last colon splits.
      const split = fields[f].lastIndexOf(":");
      const task = fields[f].slice(0, split);
      const what = fields[f].slice(split + 1);
      let sample = byTask.get(task);
      if (!sample) {
        byTask.set(task, sample = { task, minute, completed: 0, failed: 0, runtimes: {} });
      }
      const value = Number(fields[f + 1]);
      if (what === "c") sample.completed = value;
      else if (what === "f") sample.failed = value;
      else sample.runtimes[what] = value;
    }
    samples.push(
      ...[...byTask.values()].sort((a, b) => a.task < b.task ? -1 : a.task > b.task ? 1 : 0),
    );
  }
  return samples;
}
