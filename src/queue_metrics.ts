/**
 * `queue.metrics()`: the per-minute counts the stores keep (see `metrics_recorder.ts`), read
 * back for a chart: re-bucketed into buckets of whole minutes, with p50 and p95 from the
 * merged run-time histograms of each bucket, per task and for every task together.
 *
 * The answer is plain JSON in columns, as chart libraries (uPlot, Chart.js) take it: one
 * array of bucket start times, and for each series arrays of the same length, every bucket
 * present (zeros and `null` percentiles where nothing ran). @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import {
  mergeRuntimes,
  METRICS_RETENTION_MS,
  MINUTE_MS,
  type RuntimeHistogram,
  runtimeQuantile,
} from "./metrics.ts";
import type { MetricsSample, Store } from "./store.ts";

/** What `queue.metrics()` reads. */
export interface MetricsOptions {
  /**
   * From when: an age as a duration string (`"1h"`: the last hour), or a time as epoch ms or
   * a `Date`. Rounded down to a bucket boundary, so every bucket is whole; stores keep 24
   * hours, so an earlier time reads from 24 hours ago.
   * @default "1h"
   */
  since?: string | number | Date;
  /**
   * The length of a bucket: whole minutes, from one minute to 24 hours (`"5m"`, or ms).
   * Buckets start at multiples of it since the epoch (UTC), so `"1h"` buckets are clock hours.
   * @default "1m"
   */
  bucket?: Duration;
}

/** Counts and run-time percentiles, the whole window's and its buckets'. */
export interface MetricsSummary {
  /** Runs that completed. */
  completed: number;
  /** Runs that failed or timed out, retried ones included. */
  failed: number;
  /** Median run time in ms, of completed and failed runs; `null` when nothing ran. */
  p50: number | null;
  /** 95th percentile run time in ms; `null` when nothing ran. */
  p95: number | null;
}

/** One series: a value per bucket (index `i` is the bucket starting at `times[i]`). */
export interface MetricsSeries {
  /** Runs that completed, per bucket. */
  completed: number[];
  /** Runs that failed or timed out (retried ones included), per bucket. */
  failed: number[];
  /** Median run time in ms per bucket; `null` where nothing ran. */
  p50: (number | null)[];
  /** 95th percentile run time in ms per bucket; `null` where nothing ran. */
  p95: (number | null)[];
  /** The whole window at once (its percentiles from every bucket's runs together). */
  overall: MetricsSummary;
}

/** What `queue.metrics()` resolves to. */
export interface QueueMetrics {
  /** Start of the first bucket, epoch ms. */
  since: number;
  /** End of the last bucket (the one holding now), epoch ms. */
  until: number;
  /** Bucket length in ms. */
  bucket: number;
  /** Start of each bucket, epoch ms, oldest first. */
  times: number[];
  /** Every task together. */
  total: MetricsSeries;
  /** Per task that ran in the window, by name. */
  tasks: Record<string, MetricsSeries>;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** `since` as epoch ms: a time as it is, an age counted back from `now`. */
function sinceTime(since: MetricsOptions["since"], now: number): number {
  if (since === undefined) return now - 3_600_000;
  if (since instanceof Date && !Number.isNaN(since.getTime())) return since.getTime();
  if (typeof since === "number" && Number.isFinite(since)) return since;
  if (typeof since === "string") return now - parseDuration(since, "metrics since");
  throw new TypeError(
    `Cannot read metrics as since must be a duration like "1h", epoch ms or a Date: current value is ${
      show(since)
    }`,
  );
}

/** The bucket length in ms: whole minutes, one minute to a day. */
function bucketLength(bucket: Duration | undefined): number {
  if (bucket === undefined) return MINUTE_MS;
  const ms = parseDuration(bucket, "metrics bucket");
  if (ms < MINUTE_MS || ms > METRICS_RETENTION_MS || ms % MINUTE_MS !== 0) {
    throw new RangeError(
      `Cannot read metrics as bucket must be whole minutes from 1m to 24h: current value is ${
        show(bucket)
      }`,
    );
  }
  return ms;
}

/** A series being summed: counts and a histogram per bucket, and over the window. */
class SeriesSum {
  completed: number[];
  failed: number[];
  runtimes: RuntimeHistogram[];
  overall: RuntimeHistogram = {};

  constructor(buckets: number) {
    this.completed = new Array(buckets).fill(0);
    this.failed = new Array(buckets).fill(0);
    this.runtimes = Array.from({ length: buckets }, () => ({}));
  }

  add(i: number, sample: MetricsSample): void {
    this.completed[i] += sample.completed;
    this.failed[i] += sample.failed;
    mergeRuntimes(this.runtimes[i], sample.runtimes);
    mergeRuntimes(this.overall, sample.runtimes);
  }

  series(): MetricsSeries {
    const quantile = (histogram: RuntimeHistogram, q: number) =>
      runtimeQuantile(histogram, q) ?? null;
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return {
      completed: this.completed,
      failed: this.failed,
      p50: this.runtimes.map((h) => quantile(h, 0.5)),
      p95: this.runtimes.map((h) => quantile(h, 0.95)),
      overall: {
        completed: sum(this.completed),
        failed: sum(this.failed),
        p50: quantile(this.overall, 0.5),
        p95: quantile(this.overall, 0.95),
      },
    };
  }
}

/**
 * Reads the store's per-minute metrics and sums them into buckets.
 *
 * @param store the store, which must have `metrics`
 * @param options the window and the bucket length
 * @param now the caller's time, epoch ms
 * @throws {TypeError | RangeError} for a bad `since` or `bucket`
 * @throws {Error} when the store keeps no metrics
 */
export async function readMetrics(
  store: Store,
  options: MetricsOptions = {},
  now: number,
): Promise<QueueMetrics> {
  const bucket = bucketLength(options.bucket);
  const since = Math.min(Math.max(sinceTime(options.since, now), now - METRICS_RETENTION_MS), now);
  if (typeof store.metrics !== "function") {
    throw new Error(`Cannot read metrics as the ${store.name} store does not keep them`);
  }
  const first = since - (since % bucket);
  const last = now - (now % bucket);
  const times = Array.from({ length: (last - first) / bucket + 1 }, (_, i) => first + i * bucket);
  const until = last + bucket;
  const total = new SeriesSum(times.length);
  const tasks = new Map<string, SeriesSum>();
  for (const sample of await store.metrics(first)) {
    // A minute from a process whose clock runs ahead has no bucket yet.
    if (sample.minute < first || sample.minute >= until) continue;
    const i = Math.floor((sample.minute - first) / bucket);
    let series = tasks.get(sample.task);
    if (!series) tasks.set(sample.task, series = new SeriesSum(times.length));
    series.add(i, sample);
    total.add(i, sample);
  }
  const names = [...tasks.keys()].sort();
  return {
    since: first,
    until,
    bucket,
    times,
    total: total.series(),
    tasks: Object.fromEntries(names.map((name) => [name, tasks.get(name)!.series()])),
  };
}
