/**
 * Run-time histograms, the unit of Kinetik's metrics: fixed log-scale buckets that are the
 * same in every process and every store, so histograms recorded anywhere merge by adding
 * their counts bucket by bucket, and percentiles come out of the merged counts.
 *
 * The buckets, defined once here:
 *
 * | index | run times (ms) |
 * |---|---|
 * | `0` | under 1 (the clock counts whole ms, so a run that ended in the ms it started) |
 * | `i` (1 … 240) | from `2 ** ((i - 1) / 8)` up to `2 ** (i / 8)` |
 * | `241` | `2 ** 30` (about 12.4 days) and longer |
 *
 * Eight buckets per doubling make each bucket about 9% wide (`2 ** (1 / 8)` ≈ 1.0905), so a
 * percentile read from the counts is within 9% of the exact one even in the worst case, and
 * interpolation inside the bucket (geometric, as the buckets are) brings it much closer for
 * the many-run minutes that matter (the tests measure it). A histogram stores only the
 * buckets it has runs in: a task whose run times span a factor of ten fills about 27.
 *
 * @module
 */

/** Buckets per doubling of the run time. */
export const BUCKETS_PER_DOUBLING = 8;

/** The last bucket: run times of `2 ** 30` ms and longer share it. */
export const MAX_BUCKET: number = BUCKETS_PER_DOUBLING * 30 + 1;

/** One minute in ms: the unit stores keep metrics in. */
export const MINUTE_MS = 60_000;

/** How long stores keep a minute's metrics: 24 hours. */
export const METRICS_RETENTION_MS = 24 * 60 * MINUTE_MS;

/** Runs by bucket index (as a string, the way JSON keys are); absent buckets hold none. */
export type RuntimeHistogram = Record<string, number>;

/**
 * The bucket of a run time.
 *
 * @param ms the run time in ms; below 1 (and anything not a number ≥ 1) is bucket 0
 * @returns the index, 0 … {@linkcode MAX_BUCKET}
 * @example
 * ```ts
 * import { bucketOf } from "./metrics.ts";
 * if (bucketOf(0) !== 0 || bucketOf(1) !== 1 || bucketOf(2) !== 9) throw new Error("buckets");
 * ```
 */
export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  const index = Math.floor(Math.log2(ms) * BUCKETS_PER_DOUBLING) + 1;
  return index > MAX_BUCKET ? MAX_BUCKET : index;
}

/**
 * The run times a bucket holds: `[lower, upper)` in ms (`upper` is `Infinity` for the last).
 *
 * @throws {RangeError} for an index that is not a whole number from 0 to {@linkcode MAX_BUCKET}
 */
export function bucketBounds(index: number): [number, number] {
  if (!Number.isInteger(index) || index < 0 || index > MAX_BUCKET) {
    throw new RangeError(
      `Cannot read a run-time bucket as its index must be a whole number from 0 to ${MAX_BUCKET}: current value is ${index}`,
    );
  }
  if (index === 0) return [0, 1];
  const lower = 2 ** ((index - 1) / BUCKETS_PER_DOUBLING);
  return [lower, index === MAX_BUCKET ? Infinity : 2 ** (index / BUCKETS_PER_DOUBLING)];
}

/** Adds `from`'s counts to `into` (changing it) and returns `into`. */
export function mergeRuntimes(
  into: RuntimeHistogram,
  from: Readonly<RuntimeHistogram>,
): RuntimeHistogram {
  for (const bucket in from) into[bucket] = (into[bucket] ?? 0) + from[bucket];
  return into;
}

/**
 * The run time below which a fraction `q` of the histogram's runs fall, read from the bucket
 * holding that rank and interpolated inside it: geometrically (the buckets grow
 * geometrically), linearly in bucket 0; the last bucket, which has no upper end, answers its
 * lower one. Rounded to 0.01 ms.
 *
 * @param histogram runs by bucket
 * @param q the fraction, 0 … 1 (0.5 for p50, 0.95 for p95)
 * @returns the run time in ms, or `undefined` when the histogram holds no runs
 * @throws {RangeError} when `q` is not within 0 … 1
 * @example p50 of four runs
 * ```ts
 * import { bucketOf, runtimeQuantile } from "./metrics.ts";
 * const histogram: Record<string, number> = {};
 * for (const ms of [10, 20, 30, 40]) histogram[bucketOf(ms)] = (histogram[bucketOf(ms)] ?? 0) + 1;
 * const p50 = runtimeQuantile(histogram, 0.5)!;
 * if (p50 < 20 / 1.1 || p50 > 20 * 1.1) throw new Error(`p50 ${p50}`);
 * ```
 */
export function runtimeQuantile(
  histogram: Readonly<RuntimeHistogram>,
  q: number,
): number | undefined {
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(
      `Cannot read a run-time percentile as q must be within 0 … 1: current value is ${q}`,
    );
  }
  const buckets = Object.keys(histogram).map(Number).filter((b) => histogram[b] > 0)
    .sort((a, b) => a - b);
  const total = buckets.reduce((sum, b) => sum + histogram[b], 0);
  if (total === 0) return undefined;
  const target = q * total;
  let below = 0;
  for (const bucket of buckets) {
    const count = histogram[bucket];
    if (below + count >= target) {
      const [lower, upper] = bucketBounds(bucket);
      const within = Math.max(0, (target - below) / count);
      const value = bucket === 0
        ? within
        : upper === Infinity
        ? lower
        : lower * (upper / lower) ** within;
      return Math.round(value * 100) / 100;
    }
    below += count;
  }
  return undefined; // unreachable: the last bucket reaches the total
}
