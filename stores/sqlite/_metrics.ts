/**
 * The SQLite store's metrics: one row per (minute, task) in the `metrics` table, summed by an
 * upsert per sample inside one transaction with the drop of minutes past 24 hours. @module
 */

import { METRICS_RETENTION_MS } from "../../src/metrics.ts";
import type { MetricsSample } from "../../src/store.ts";
import type { Statements } from "./_statements.ts";

/**
 * Adds a sample to its row, or inserts it: the counts add, and the histograms merge bucket by
 * bucket in the same statement (the stored and the new JSON objects unioned by key, summed).
 */
const UPSERT = `
  INSERT INTO metrics (minute, task, completed, failed, runtimes) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (minute, task) DO UPDATE SET
    completed = completed + excluded.completed,
    failed = failed + excluded.failed,
    runtimes = (
      SELECT json_group_object(key, total) FROM (
        SELECT key, sum(value) AS total FROM (
          SELECT key, value FROM json_each(metrics.runtimes)
          UNION ALL
          SELECT key, value FROM json_each(excluded.runtimes)
        ) GROUP BY key
      )
    )`;

/** Adds `samples` to the stored totals and drops minutes older than `now - 24 h`. */
export function recordMetrics(
  statements: Statements,
  samples: readonly MetricsSample[],
  now: number,
): void {
  statements.transaction(() => {
    const upsert = statements.get(UPSERT);
    for (const s of samples) {
      upsert.run(s.minute, s.task, s.completed, s.failed, JSON.stringify(s.runtimes));
    }
    statements.get("DELETE FROM metrics WHERE minute < ?").run(now - METRICS_RETENTION_MS);
  });
}

/** The stored totals of minutes at or after `since`, by minute, then task. */
export function metrics(statements: Statements, since: number): MetricsSample[] {
  const rows = statements.get(
    "SELECT minute, task, completed, failed, runtimes FROM metrics WHERE minute >= ? ORDER BY minute, task",
  ).all(since) as {
    minute: number;
    task: string;
    completed: number;
    failed: number;
    runtimes: string;
  }[];
  return rows.map((row) => ({
    task: row.task,
    minute: row.minute,
    completed: row.completed,
    failed: row.failed,
    runtimes: JSON.parse(row.runtimes),
  }));
}
