/**
 * Counting runs for the metrics: a queue's processors report each settled run here, and the
 * counts per task and minute go to the store in batches, never one write per job.
 *
 * - A run counts once its outcome is committed: `completed`, or failed (`failed`, `timeout`,
 *   and `retry`, a failed run that will run again), with its run time (from its start to its
 *   end) in the histogram either way. A run given back on shutdown, cancelled or taken over
 *   is not counted: its outcome was not this process's to write.
 * - The counts are written with `store.recordMetrics` at most every
 *   {@linkcode FLUSH_INTERVAL_MS} while there are any, when a processor stops, when the queue
 *   closes, and before `queue.metrics()` reads (so a process reads its own latest counts).
 *   One recorder serves all of a queue's processors, so more processors do not mean more
 *   writes.
 * - A failed write is reported and its samples kept for the next one (merged with what came
 *   meanwhile), so a store that is down for a while loses no counts; minutes the store would
 *   already have dropped (older than 24 h) are let go. A write whose reply was lost may count
 *   its samples twice when retried: metrics are for charts, not for billing.
 * - A store without `recordMetrics` costs nothing: nothing is counted.
 *
 * @module
 */

import type { Clock, TimerHandle } from "./clock.ts";
import { bucketOf, mergeRuntimes, METRICS_RETENTION_MS, MINUTE_MS } from "./metrics.ts";
import type { MetricsSample, SettleOutcome, Store } from "./store.ts";

/** The longest a counted run waits for its write to the store. */
export const FLUSH_INTERVAL_MS = 5_000;

/** Collects one queue's per-task, per-minute counts and writes them in batches. */
export class MetricsRecorder {
  #store: Store;
  #clock: Clock;
  #reportError: (error: unknown) => void;
  /** The sample of each task's latest minute: most runs land here, one Map read each. */
  #latest = new Map<string, MetricsSample>();
  /** Samples of earlier minutes not written yet. */
  #earlier: MetricsSample[] = [];
  #timer?: TimerHandle;
  /** Writes go one at a time, in order. */
  #writing: Promise<void> = Promise.resolve();
  #isClosed = false;

  constructor(store: Store, clock: Clock, reportError: (error: unknown) => void) {
    this.#store = store;
    this.#clock = clock;
    this.#reportError = reportError;
  }

  /** Whether the store keeps metrics (else nothing is counted). */
  get isEnabled(): boolean {
    return typeof this.#store.recordMetrics === "function";
  }

  /**
   * Counts one run whose outcome the store committed.
   *
   * @param task the run's task
   * @param outcome what the settle recorded; `release` is not counted
   * @param ended when the run ended (epoch ms): its minute
   * @param runtime how long it ran, in ms
   */
  record(task: string, outcome: SettleOutcome, ended: number, runtime: number): void {
    if (outcome === "release" || !this.isEnabled || this.#isClosed) return;
    const minute = ended - (ended % MINUTE_MS);
    let sample = this.#latest.get(task);
    if (sample === undefined || sample.minute !== minute) {
      if (sample !== undefined) this.#earlier.push(sample);
      sample = { task, minute, completed: 0, failed: 0, runtimes: {} };
      this.#latest.set(task, sample);
    }
    if (outcome === "completed") sample.completed++;
    else sample.failed++;
    const bucket = bucketOf(runtime);
    sample.runtimes[bucket] = (sample.runtimes[bucket] ?? 0) + 1;
    this.#schedule();
  }

  /**
   * Writes every count not written yet, after any write in flight. Never rejects: a failure
   * is reported and the samples are kept for the next write.
   */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  /**
   * Writes what is left, for a closing queue; what fails then is reported and lost, as no
   * later write will come.
   */
  async close(): Promise<void> {
    this.#isClosed = true;
    await this.flush();
  }

  async #write(): Promise<void> {
    const samples = [...this.#earlier, ...this.#latest.values()];
    if (samples.length === 0) return;
    this.#earlier = [];
    this.#latest.clear();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      await this.#store.recordMetrics!(samples, this.#clock.now());
    } catch (error) {
      this.#reportError(error);
      if (!this.#isClosed) this.#keep(samples);
    }
  }

  /** Puts samples of a failed write back, merged with those counted meanwhile. */
  #keep(samples: readonly MetricsSample[]): void {
    const cutoff = this.#clock.now() - METRICS_RETENTION_MS;
    for (const sample of samples) {
      if (sample.minute < cutoff) continue;
      const latest = this.#latest.get(sample.task);
      if (latest?.minute === sample.minute) {
        latest.completed += sample.completed;
        latest.failed += sample.failed;
        mergeRuntimes(latest.runtimes, sample.runtimes);
      } else if (latest === undefined || latest.minute < sample.minute) {
        if (latest) this.#earlier.push(latest);
        this.#latest.set(sample.task, sample);
      } else {
        this.#earlier.push(sample); // the store sums samples of one task and minute
      }
    }
    this.#schedule();
  }

  /** Starts the timer of the next write, unless one is set. */
  #schedule(): void {
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, FLUSH_INTERVAL_MS);
  }
}
