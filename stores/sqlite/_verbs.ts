/**
 * The store verbs other than claim and find, each a few prepared statements. Callers hold the
 * transaction; these functions only run statements. @module
 */

import type { Job, LogLine } from "../../src/job.ts";
import type { JobStats, Lease, NewJob, RemoveFilter, WorkerRecord } from "../../src/store.ts";
import { STALLED_ERROR, STORE_MESSAGES } from "../../src/store.ts";
import { type JobRow, type LogRow, toJob, toLogLine, toText } from "./_rows.ts";
import { insertLogs, logRows } from "./_settle.ts";
import type { Statements } from "./_statements.ts";

const UNFINISHED = "('queued', 'delayed', 'processing')";
const INSERT_LOG = "INSERT INTO logs (job, time, message, data) VALUES (?, ?, ?, ?)";
/** Leaving `processing` drops the lease. */
const UNLEASE = "worker = NULL, lease_until = NULL, token = NULL";

/** A job id as the integer key, or `undefined` for an id this store never made. */
export function key(id: string): number | undefined {
  return /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : undefined;
}

/** Saves jobs; a key held by an unfinished job returns that job instead. */
export function add(statements: Statements, jobs: readonly NewJob[]): Job[] {
  const insert = statements.get(
    `INSERT INTO jobs (task, data, status, created, run_at, priority, key)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const byKey = statements.get(
    `SELECT * FROM jobs WHERE key = ? AND status IN ${UNFINISHED} ORDER BY id LIMIT 1`,
  );
  const logs: [number, number, string, string | null][] = [];
  const saved = jobs.map((job) => {
    if (job.key !== undefined) {
      const row = byKey.get(job.key) as JobRow | undefined;
      if (row) return toJob(row);
    }
    const data = toText(job.data);
    const status = job.runAt !== undefined ? "delayed" : "queued";
    const id = Number(
      insert.run(
        job.task,
        data,
        status,
        job.created,
        job.runAt ?? null,
        job.priority,
        job.key ?? null,
      ).lastInsertRowid,
    );
    logs.push([id, job.log.time, job.log.message, toText(job.log.data)]);
    // Built here rather than read back: the same record, without a second statement per job.
    const record: Job = {
      id: String(id),
      task: job.task,
      data: data === null ? undefined : JSON.parse(data),
      status,
      created: job.created,
      attempts: 0,
      priority: job.priority,
    };
    if (job.runAt !== undefined) record.runAt = job.runAt;
    if (job.key !== undefined) record.key = job.key;
    return record;
  });
  insertLogs(statements, logs);
  return saved;
}

/** Extends leases whose token still holds. */
export function renew(statements: Statements, leases: readonly Lease[], until: number): boolean[] {
  const update = statements.get(
    "UPDATE jobs SET lease_until = ? WHERE id = ? AND token = ? AND status = 'processing'",
  );
  return leases.map(({ id, token }) => {
    const row = key(id);
    return row !== undefined && Number(update.run(until, row, token).changes) === 1;
  });
}

/** Requeues (or fails, when out of attempts) jobs whose lease expired before `now`. */
export function recover(statements: Statements, now: number): Job[] {
  const spent = "max_attempts > 0 AND attempts >= max_attempts";
  const rows = statements.get(
    `UPDATE jobs SET status = CASE WHEN ${spent} THEN 'failed' ELSE 'queued' END,
       error = CASE WHEN ${spent} THEN :error ELSE error END,
       finished = CASE WHEN ${spent} THEN :now ELSE finished END, ${UNLEASE}
     WHERE status = 'processing' AND lease_until < :now RETURNING *`,
  ).all({ now, error: JSON.stringify(STALLED_ERROR) }) as unknown as JobRow[];
  rows.sort((a, b) => a.id - b.id);
  const log = statements.get(INSERT_LOG);
  return rows.map((row) => {
    const message = row.status === "failed"
      ? STORE_MESSAGES.stalledFailed
      : STORE_MESSAGES.stalledRequeued;
    log.run(row.id, now, message, null);
    return toJob(row);
  });
}

/** One job. */
export function get(statements: Statements, id: string): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get("SELECT * FROM jobs WHERE id = ?").get(row) as JobRow | undefined;
  return found && toJob(found);
}

/** Counts by task and status (statuses with no job left out). */
export function stats(statements: Statements): JobStats {
  const stats: JobStats = {};
  const rows = statements.get(
    "SELECT task, status, count(*) AS n FROM jobs GROUP BY task, status",
  ).all() as { task: string; status: keyof JobStats[string]; n: number }[];
  for (const { task, status, n } of rows) (stats[task] ??= {})[status] = n;
  return stats;
}

/** Deletes jobs of the filter's statuses (and tasks), with their logs. */
export function remove(statements: Statements, filter: RemoveFilter): number {
  const where = filter.tasks === undefined
    ? "status IN (SELECT value FROM json_each(?))"
    : "status IN (SELECT value FROM json_each(?)) AND task IN (SELECT value FROM json_each(?))";
  const params = [JSON.stringify(filter.status)];
  if (filter.tasks !== undefined) params.push(JSON.stringify(filter.tasks));
  statements.get(`DELETE FROM logs WHERE job IN (SELECT id FROM jobs WHERE ${where})`)
    .run(...params);
  return Number(statements.get(`DELETE FROM jobs WHERE ${where}`).run(...params).changes);
}

/** Cancels an unfinished job. */
export function cancel(statements: Statements, id: string, now: number): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(
    `UPDATE jobs SET status = 'cancelled', finished = ?, ${UNLEASE}
     WHERE id = ? AND status IN ${UNFINISHED} RETURNING *`,
  ).get(now, row) as JobRow | undefined;
  if (!found) return undefined;
  statements.get(INSERT_LOG).run(row, now, STORE_MESSAGES.cancelled, null);
  return toJob(found);
}

/** Puts a failed, timed-out or cancelled job back in the queue, as if new (attempts kept). */
export function requeue(statements: Statements, id: string, now: number): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(
    `UPDATE jobs SET status = 'queued', error = NULL, finished = NULL, run_at = NULL
     WHERE id = ? AND status IN ('failed', 'timeout', 'cancelled') RETURNING *`,
  ).get(row) as JobRow | undefined;
  if (!found) return undefined;
  statements.get(INSERT_LOG).run(row, now, STORE_MESSAGES.requeued, null);
  return toJob(found);
}

/** Appends log lines to a job that exists. */
export function appendLogs(statements: Statements, id: string, lines: readonly LogLine[]): void {
  const row = key(id);
  if (row === undefined || !statements.get("SELECT 1 FROM jobs WHERE id = ?").get(row)) return;
  insertLogs(statements, logRows(row, lines));
}

/** A job's log lines, oldest first. */
export function logs(statements: Statements, id: string): LogLine[] {
  const row = key(id);
  if (row === undefined) return [];
  const rows = statements.get("SELECT time, message, data FROM logs WHERE job = ? ORDER BY id")
    .all(row) as unknown as LogRow[];
  return rows.map(toLogLine);
}

/** Records a worker until `seen + ttlMs`. */
export function heartbeat(statements: Statements, worker: WorkerRecord, ttlMs: number): void {
  statements.get(
    `INSERT INTO workers (id, body, expires) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, expires = excluded.expires`,
  ).run(worker.id, JSON.stringify(worker), worker.seen + ttlMs);
}

/** Live workers; expired records are deleted on the way. */
export function workers(statements: Statements, now: number): WorkerRecord[] {
  statements.get("DELETE FROM workers WHERE expires < ?").run(now);
  const rows = statements.get("SELECT body FROM workers ORDER BY rowid").all() as {
    body: string;
  }[];
  return rows.map((row) => JSON.parse(row.body));
}
