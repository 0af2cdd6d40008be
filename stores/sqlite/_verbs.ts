/**
 * The store verbs other than claim and find, each a few prepared statements. Callers hold the
 * transaction; these functions only run statements. @module
 */

import type { Job, LogLine } from "../../src/job.ts";
import type { JobStats, Lease, NewJob, WorkerRecord } from "../../src/store.ts";
import { newJobRecord, STALLED_ERROR, STORE_MESSAGES } from "../../src/store.ts";
import { JOB_COLUMNS, type JobRow, toJob, toText } from "./_rows.ts";
import { fromJsonLines, toJsonLines } from "../_json_lines.ts";
import type { Statements } from "./_statements.ts";

const UNFINISHED = "('queued', 'delayed', 'processing')";
/** Leaving `processing` drops the lease. */
const UNLEASE = "worker = NULL, lease_until = NULL, token = NULL";

/** A job id as the integer key, or `undefined` for an id this store never made. */
export function key(id: string): number | undefined {
  return /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : undefined;
}

/** The columns an add writes, one `?` each; a job's own maxAttempts goes in the last two. */
const ADD_COLUMNS = "(task, data, status, created, run_at, priority, key, logs, retry, timeout, " +
  "trace, max_attempts, own_max_attempts)";
const ADD_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const ADD_PARAMS = 13;
/**
 * Rows per multi-row INSERT, largest first: a bulk add runs one statement per 64 jobs
 * instead of one per job (each statement run also rewrites the AUTOINCREMENT counter), and a
 * remainder goes in at most three statements of each smaller size, so a few shapes are
 * prepared. 64 rows of 13 parameters stay under SQLite's oldest variable limit (999).
 */
const ADD_SIZES = [64, 16, 4, 1];
const ADD_SQL = ADD_SIZES.map((size) =>
  `INSERT INTO jobs ${ADD_COLUMNS} VALUES ${ADD_ROW}${`, ${ADD_ROW}`.repeat(size - 1)}`
);

/** Saves jobs; a key held by an unfinished job returns that job instead. */
export function add(statements: Statements, jobs: readonly NewJob[]): Job[] {
  // Newest first: a job requeued while another held the key is (but for a requeue of both)
  // older than that holder, which keeps the key as in the other stores.
  const byKey = statements.get(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE key = ? AND status IN ${UNFINISHED}
     ORDER BY id DESC LIMIT 1`,
  );
  const saved: Job[] = new Array(jobs.length);
  // Jobs without a key are saved in runs of consecutive ones; a job with a key first flushes
  // the run before it, so ids keep the order of `jobs` and a key sees every job before it.
  let from = 0;
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    if (job.key === undefined) continue;
    insertRun(statements, jobs, from, i, saved);
    from = i + 1;
    const row = byKey.get(job.key) as JobRow | undefined;
    if (row) saved[i] = toJob(row);
    else insertRun(statements, jobs, i, i + 1, saved);
  }
  insertRun(statements, jobs, from, jobs.length, saved);
  return saved;
}

/** Inserts `jobs[from..to)` with as few multi-row INSERTs as {@linkcode ADD_SIZES} allow. */
function insertRun(
  statements: Statements,
  jobs: readonly NewJob[],
  from: number,
  to: number,
  saved: Job[],
): void {
  let i = from;
  for (let s = 0; s < ADD_SIZES.length; s++) {
    const size = ADD_SIZES[s];
    if (to - i < size) continue;
    const insert = statements.get(ADD_SQL[s]);
    const values: unknown[] = new Array(size * ADD_PARAMS);
    const texts: (string | null)[] = new Array(size);
    while (to - i >= size) {
      for (let k = 0; k < size; k++) texts[k] = bindJob(values, k * ADD_PARAMS, jobs[i + k]);
      // One statement under the write lock: AUTOINCREMENT gives its rows consecutive ids,
      // the last one being lastInsertRowid.
      const last = Number(insert.run(...(values as never[])).lastInsertRowid);
      for (let k = 0; k < size; k++) {
        saved[i + k] = record(String(last - size + 1 + k), jobs[i + k], texts[k]);
      }
      i += size;
    }
  }
}

/** Writes a job's column values into `values` from `at`; returns its data as JSON text. */
function bindJob(values: unknown[], at: number, job: NewJob): string | null {
  const data = toText(job.data);
  values[at] = job.task;
  values[at + 1] = data;
  values[at + 2] = job.runAt !== undefined ? "delayed" : "queued";
  values[at + 3] = job.created;
  values[at + 4] = job.runAt ?? null;
  values[at + 5] = job.priority;
  values[at + 6] = job.key ?? null;
  values[at + 7] = createdLine(job.log);
  values[at + 8] = toText(job.retry);
  values[at + 9] = job.timeout ?? null;
  values[at + 10] = toText(job.trace);
  values[at + 11] = job.maxAttempts ?? null;
  values[at + 12] = job.maxAttempts ?? null;
  return data;
}

/** The last created line and its text: a createMany's jobs share one time and message. */
let lastLine: LogLine | undefined;
let lastText = "";

/** A job's created log line as the `logs` column keeps it. */
function createdLine(line: LogLine): string {
  if (
    lastLine === undefined || line.time !== lastLine.time || line.message !== lastLine.message ||
    line.data !== undefined || lastLine.data !== undefined
  ) {
    lastText = toJsonLines([line]);
    lastLine = line;
  }
  return lastText;
}

/** The record of a saved job, built rather than read back (no second statement per job). */
function record(id: string, job: NewJob, data: string | null): Job {
  const saved = newJobRecord(id, job, data === null ? undefined : JSON.parse(data));
  if (job.maxAttempts !== undefined) saved.maxAttempts = job.maxAttempts;
  if (job.retry !== undefined) saved.retry = structuredClone(job.retry);
  if (job.timeout !== undefined) saved.timeout = job.timeout;
  if (job.trace !== undefined) saved.trace = { ...job.trace };
  return saved;
}

/**
 * Extends leases whose token still holds, appending their log lines and keeping their
 * progress in the same statement, so a lost lease writes nothing.
 */
export function renew(statements: Statements, leases: readonly Lease[], until: number): boolean[] {
  const update = statements.get(
    `UPDATE jobs SET lease_until = ?, logs = logs || ?, progress = coalesce(?, progress)
     WHERE id = ? AND token = ? AND status = 'processing'`,
  );
  return leases.map(({ id, token, logs, progress }) => {
    const row = key(id);
    if (row === undefined) return false;
    const lines = logs === undefined ? "" : toJsonLines(logs);
    return Number(update.run(until, lines, toText(progress), row, token).changes) === 1;
  });
}

/** Requeues (or fails, when out of attempts) jobs whose lease expired before `now`. */
export function recover(statements: Statements, now: number): Job[] {
  const spent = "max_attempts > 0 AND attempts >= max_attempts";
  const rows = statements.get(
    `UPDATE jobs SET status = CASE WHEN ${spent} THEN 'failed' ELSE 'queued' END,
       error = CASE WHEN ${spent} THEN :error ELSE error END,
       finished = CASE WHEN ${spent} THEN :now ELSE finished END,
       logs = logs || CASE WHEN ${spent} THEN :failed ELSE :requeued END, ${UNLEASE}
     WHERE status = 'processing' AND lease_until < :now RETURNING ${JOB_COLUMNS}`,
  ).all({
    now,
    error: JSON.stringify(STALLED_ERROR),
    failed: toJsonLines([{ time: now, message: STORE_MESSAGES.stalledFailed }]),
    requeued: toJsonLines([{ time: now, message: STORE_MESSAGES.stalledRequeued }]),
  }) as unknown as JobRow[];
  return rows.sort((a, b) => a.id - b.id).map(toJob);
}

/** One job. */
export function get(statements: Statements, id: string): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(row) as
    | JobRow
    | undefined;
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

/** Deletes one job in any status, with its logs; resolves to the record as it was. */
export function removeJob(statements: Statements, id: string): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(`DELETE FROM jobs WHERE id = ? RETURNING ${JOB_COLUMNS}`).get(
    row,
  ) as JobRow | undefined;
  return found && toJob(found);
}

/**
 * Makes a delayed job ready now. With `run_at` cleared its `ready_at` is its creation time,
 * so it orders among ready jobs by its creation, as the contract says.
 */
export function promote(statements: Statements, id: string, now: number): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(
    `UPDATE jobs SET status = 'queued', run_at = NULL, logs = logs || ?
     WHERE id = ? AND status = 'delayed' RETURNING ${JOB_COLUMNS}`,
  ).get(toJsonLines([{ time: now, message: STORE_MESSAGES.promoted }]), row) as
    | JobRow
    | undefined;
  return found && toJob(found);
}

/** Cancels an unfinished job. */
export function cancel(statements: Statements, id: string, now: number): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(
    `UPDATE jobs SET status = 'cancelled', finished = ?, logs = logs || ?, ${UNLEASE}
     WHERE id = ? AND status IN ${UNFINISHED} RETURNING ${JOB_COLUMNS}`,
  ).get(now, toJsonLines([{ time: now, message: STORE_MESSAGES.cancelled }]), row) as
    | JobRow
    | undefined;
  return found && toJob(found);
}

/** Puts a failed, timed-out or cancelled job back in the queue, as if new (attempts kept). */
export function requeue(statements: Statements, id: string, now: number): Job | undefined {
  const row = key(id);
  if (row === undefined) return undefined;
  const found = statements.get(
    `UPDATE jobs SET status = 'queued', error = NULL, finished = NULL, run_at = NULL,
       logs = logs || ?
     WHERE id = ? AND status IN ('failed', 'timeout', 'cancelled') RETURNING ${JOB_COLUMNS}`,
  ).get(toJsonLines([{ time: now, message: STORE_MESSAGES.requeued }]), row) as
    | JobRow
    | undefined;
  return found && toJob(found);
}

/** Appends log lines to a job that exists. */
export function appendLogs(statements: Statements, id: string, lines: readonly LogLine[]): void {
  const row = key(id);
  if (row === undefined) return;
  statements.get("UPDATE jobs SET logs = logs || ? WHERE id = ?").run(toJsonLines(lines), row);
}

/** A job's log lines, oldest first. */
export function logs(statements: Statements, id: string): LogLine[] {
  const row = key(id);
  if (row === undefined) return [];
  const found = statements.get("SELECT logs FROM jobs WHERE id = ?").get(row) as
    | { logs: string }
    | undefined;
  return found ? fromJsonLines(found.logs) : [];
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
