/**
 * `kinetik stats [--since 1h] [--bucket 5m]`: runs completed and failed per task and bucket,
 * with run-time p50 and p95, from the metrics every worker on the store writes
 * (`queue.metrics()`). Only buckets in which something ran are printed, then each task's
 * whole window. @module
 */

import type { MetricsSeries, QueueMetrics } from "../queue_metrics.ts";
import { UsageError } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { inStore, printJson } from "./_command.ts";
import { clockTime, elapsed, table } from "./_format.ts";

/** `"2.4ms"`, `"120ms"`, `"3.5s"`, or `"-"` when nothing ran. */
function runtime(ms: number | null): string {
  if (ms === null) return "-";
  return ms < 10 ? `${ms.toFixed(1)}ms` : elapsed(ms);
}

/** The rows of one task: a row per bucket in which it ran, then its window's summary. */
function taskRows(name: string, series: MetricsSeries, metrics: QueueMetrics): string[][] {
  const rows: string[][] = [];
  metrics.times.forEach((time, i) => {
    if (series.completed[i] + series.failed[i] === 0) return;
    rows.push([
      name,
      clockTime(time).slice(0, 5),
      String(series.completed[i]),
      String(series.failed[i]),
      runtime(series.p50[i]),
      runtime(series.p95[i]),
    ]);
  });
  const { overall } = series;
  rows.push([
    name,
    "all",
    String(overall.completed),
    String(overall.failed),
    runtime(overall.p50),
    runtime(overall.p95),
  ]);
  return rows;
}

/** The metrics as a table: per task, its buckets with runs, then its whole window. */
export function statsTable(context: CliContext, metrics: QueueMetrics): string {
  const rows = Object.entries(metrics.tasks).flatMap(([name, series]) =>
    taskRows(name, series, metrics)
  );
  return table(["TASK", "FROM", "COMPLETED", "FAILED", "P50", "P95"], rows, context.paint);
}

/** The `stats` command. */
export const statsCommand: Command = {
  name: "stats",
  summary: "Runs completed and failed per task and time, with run-time p50/p95",
  usage: "",
  options: { since: { type: "string" }, bucket: { type: "string" } },
  optionHelp: [
    ["--since D", "this long back, up to 24h (default 1h)"],
    ["--bucket D", "whole minutes per row (default 5m)"],
  ],
  examples: [
    ["stats", "the last hour in five-minute rows"],
    ["stats --since 24h --bucket 1h", "a day, hour by hour"],
    ["stats --json", "every bucket, as columns for a chart"],
  ],
  maxPositionals: 0,
  async run(context, { values }) {
    const since = String(values.since ?? "1h");
    const bucket = String(values.bucket ?? "5m");
    let metrics: QueueMetrics;
    try {
      metrics = await context.queue.metrics({ since, bucket });
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw new UsageError(`stats: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (context.json) return printJson(context, metrics);
    const window = `since ${clockTime(metrics.since)}${inStore(context)}`;
    if (Object.keys(metrics.tasks).length === 0) {
      context.out(`No runs ${window}.\n`);
      return;
    }
    context.note(`Runs ${window}, in ${elapsed(metrics.bucket)} buckets:\n`);
    context.out(statsTable(context, metrics));
  },
};
