/**
 * The PostgreSQL store's metrics: one row per (minute, task) in the `metrics` table, summed by
 * one upsert statement per call that also drops minutes past 24 hours (the same semantics as
 * the SQLite store's `metrics` table). @module
 */

import { METRICS_RETENTION_MS } from "../../src/metrics.ts";
import type { MetricsSample } from "../../src/store.ts";
import type { Connection } from "./_connection.ts";
import type { Names } from "./_verbs.ts";

/**
 * Samples of one task and minute summed into one, in (minute, task) order. PostgreSQL refuses
 * an upsert that touches a row twice in one statement, and taking row locks in one order
 * keeps two stores' concurrent records from deadlocking.
 */
function merged(samples: readonly MetricsSample[], cutoff: number): MetricsSample[] {
  const byKey = new Map<string, MetricsSample>();
  for (const s of samples) {
    // A minute the same call would drop is never written.
    if (s.minute < cutoff) continue;
    const key = `${s.minute}\u0000${s.task}`;
    const sum = byKey.get(key) ??
      { task: s.task, minute: s.minute, completed: 0, failed: 0, runtimes: {} };
    sum.completed += s.completed;
    sum.failed += s.failed;
    for (const [bucket, n] of Object.entries(s.runtimes)) {
      sum.runtimes[bucket] = (sum.runtimes[bucket] ?? 0) + n;
    }
    byKey.set(key, sum);
  }
  return [...byKey.values()].sort((a, b) =>
    a.minute - b.minute || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0)
  );
}

/**
 * Record. One statement: the delete of minutes older than `now - 24 h` and the upsert of the
 * samples (read from one JSON document) touch disjoint rows, so they commit together. On a
 * conflict the counts add and the histograms merge bucket by bucket (both objects' entries
 * unioned, summed by key); the row lock the upsert takes makes concurrent records add up.
 *
 * Why the delete skips locked rows: another store's record (with a later `now`) may hold an
 * old minute this one upserts while deleting one this one holds; waiting would deadlock. A
 * row passed over is dropped by a later record.
 */
export async function recordMetrics(
  connection: Connection,
  { schema }: Names,
  samples: readonly MetricsSample[],
  now: number,
): Promise<void> {
  const cutoff = now - METRICS_RETENTION_MS;
  const rows = merged(samples, cutoff);
  await connection.query(
    "record metrics",
    `WITH dropped AS (
       DELETE FROM "${schema}".metrics WHERE (minute, task) IN (
         SELECT minute, task FROM "${schema}".metrics WHERE minute < $2 FOR UPDATE SKIP LOCKED))
     INSERT INTO "${schema}".metrics AS m (minute, task, completed, failed, runtimes)
     SELECT s.minute, s.task, s.completed, s.failed, s.runtimes
       FROM json_to_recordset($1::text::json)
         AS s(minute bigint, task text, completed bigint, failed bigint, runtimes jsonb)
       ORDER BY s.minute, s.task COLLATE "C"
     ON CONFLICT (minute, task) DO UPDATE SET
       completed = m.completed + excluded.completed,
       failed = m.failed + excluded.failed,
       runtimes = (
         SELECT coalesce(jsonb_object_agg(b.key, b.total), '{}'::jsonb) FROM (
           SELECT u.key, sum(u.value::bigint) AS total FROM (
             SELECT * FROM jsonb_each_text(m.runtimes)
             UNION ALL
             SELECT * FROM jsonb_each_text(excluded.runtimes)
           ) u GROUP BY u.key
         ) b
       )`,
    [JSON.stringify(rows), cutoff],
  );
}

/** Metrics. The stored totals of minutes at or after `since`, by minute, then task. */
export async function metrics(
  connection: Connection,
  { schema }: Names,
  since: number,
): Promise<MetricsSample[]> {
  const rows = await connection.query(
    "read metrics",
    `SELECT minute, task, completed, failed, runtimes::text AS runtimes FROM "${schema}".metrics
     WHERE minute >= $1 ORDER BY minute, task COLLATE "C"`,
    [since],
  );
  return rows.map((row) => ({
    task: row.task as string,
    minute: Number(row.minute),
    completed: Number(row.completed),
    failed: Number(row.failed),
    runtimes: JSON.parse(row.runtimes as string),
  }));
}
