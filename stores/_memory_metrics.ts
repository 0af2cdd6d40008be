/**
 * The memory store's metrics: per task and minute, the sums of every sample recorded, kept
 * 24 hours. Private to `stores/memory.ts`. @module
 */

import { mergeRuntimes, METRICS_RETENTION_MS } from "../src/metrics.ts";
import type { MetricsSample } from "../src/store.ts";

/** Samples summed by task and minute. */
export class MetricsTable {
  /** By minute, then task: pruning drops whole minutes, reading walks them in order. */
  #minutes = new Map<number, Map<string, MetricsSample>>();

  /** Adds samples to the totals of their task and minute, then drops minutes past 24 hours. */
  record(samples: readonly MetricsSample[], now: number): void {
    for (const sample of samples) {
      let tasks = this.#minutes.get(sample.minute);
      if (!tasks) this.#minutes.set(sample.minute, tasks = new Map());
      const stored = tasks.get(sample.task);
      if (!stored) {
        tasks.set(sample.task, copy(sample));
        continue;
      }
      stored.completed += sample.completed;
      stored.failed += sample.failed;
      mergeRuntimes(stored.runtimes, sample.runtimes);
    }
    const cutoff = now - METRICS_RETENTION_MS;
    for (const minute of this.#minutes.keys()) {
      if (minute < cutoff) this.#minutes.delete(minute);
    }
  }

  /** Copies of the totals of minutes at or after `since`, by minute, then task. */
  read(since: number): MetricsSample[] {
    const minutes = [...this.#minutes.keys()].filter((minute) => minute >= since)
      .sort((a, b) => a - b);
    return minutes.flatMap((minute) =>
      [...this.#minutes.get(minute)!.values()]
        .sort((a, b) => a.task < b.task ? -1 : a.task > b.task ? 1 : 0)
        .map(copy)
    );
  }
}

function copy(sample: MetricsSample): MetricsSample {
  const { task, minute, completed, failed, runtimes } = sample;
  return { task, minute, completed, failed, runtimes: { ...runtimes } };
}
