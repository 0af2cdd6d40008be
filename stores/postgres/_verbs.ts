/**
 * The store verbs other than add, claim, settle and find: each one statement. Each has a
 * header saying what it reads and writes. @module
 */

import type { Job, LogLine } from "../../src/job.ts";
import type { JobStats, Lease, WorkerRecord } from "../../src/store.ts";
import { STALLED_ERROR, STORE_MESSAGES } from "../../src/store.ts";
import { type Connection, sqlState } from "./_connection.ts";
import { wakeCte } from "./_notify.ts";
import { jobColumns, queryJob, rowId, toJob, toText } from "./_rows.ts";
import { fromJsonLines, toJsonLines } from "../_json_lines.ts";

/** The schema and channel a verb works on. */
export interface Names {
  schema: string;
  channel: string;
}

const UNFINISHED = "('queued', 'delayed', 'processing')";
/** Leaving `processing` drops the lease. */
const UNLEASE = "worker = NULL, lease_until = NULL, token = NULL";

/**
 * Renew. Reads the batch and each row by primary key (`id = ANY`, as in the settle); writes
 * lease_until, the lease's log lines and progress, only where the token still holds (the
 * fence).
 */
export async function renew(
  connection: Connection,
  { schema }: Names,
  leases: readonly Lease[],
  until: number,
): Promise<boolean[]> {
  const batch = leases.flatMap((lease, n) => {
    const id = rowId(lease.id);
    return id === undefined ? [] : [{
      n,
      id,
      token: lease.token,
      lines: toJsonLines(lease.logs ?? []),
      progress: toText(lease.progress),
    }];
  });
  const renewed = leases.map(() => false);
  if (batch.length === 0) return renewed;
  const rows = await connection.query(
    "renew leases",
    `UPDATE "${schema}".jobs j SET lease_until = $2::bigint, logs = j.logs || l.lines,
       progress = coalesce(l.progress, j.progress)
     FROM json_to_recordset($1::text::json) AS l(n int, id bigint, token text, lines text, progress text)
     WHERE j.id = ANY($3::bigint[]) AND j.id = l.id AND j.token = l.token
       AND j.status = 'processing'
     RETURNING l.n`,
    [JSON.stringify(batch), until, batch.map((lease) => lease.id)],
  );
  for (const row of rows) renewed[Number(row.n)] = true;
  return renewed;
}

/**
 * Recover. Reads the processing jobs through `jobs_status`, locking the expired ones with
 * SKIP LOCKED (a row a settle or a cancel holds is theirs to finish; two recovering processes
 * split the rest instead of waiting on each other). Writes them back to `queued` (or `failed`
 * once their attempts are spent) with a log line; wakes their tasks.
 */
export async function recover(
  connection: Connection,
  { schema, channel }: Names,
  now: number,
): Promise<Job[]> {
  const spent = "j.max_attempts > 0 AND j.attempts >= j.max_attempts";
  const rows = await connection.query(
    "recover jobs",
    `WITH expired AS (
       SELECT id FROM "${schema}".jobs
       WHERE status = 'processing' AND lease_until < $1::bigint
       FOR UPDATE SKIP LOCKED),
     recovered AS (
       UPDATE "${schema}".jobs j SET
         status = CASE WHEN ${spent} THEN 'failed' ELSE 'queued' END,
         error = CASE WHEN ${spent} THEN $2 ELSE j.error END,
         finished = CASE WHEN ${spent} THEN $1::bigint ELSE j.finished END,
         held_key = CASE WHEN ${spent} THEN NULL ELSE j.held_key END,
         logs = j.logs || CASE WHEN ${spent} THEN $3 ELSE $4 END, ${UNLEASE}
       FROM expired e WHERE j.id = e.id
       RETURNING ${jobColumns("j")}),
     ${wakeCte(channel, "SELECT task FROM recovered WHERE status = 'queued'")}
     SELECT *, (SELECT count(*) FROM woke) AS woke FROM recovered ORDER BY id`,
    [
      now,
      JSON.stringify(STALLED_ERROR),
      toJsonLines([{ time: now, message: STORE_MESSAGES.stalledFailed }]),
      toJsonLines([{ time: now, message: STORE_MESSAGES.stalledRequeued }]),
    ],
  );
  return rows.map(toJob);
}

/** Get. Reads one row by primary key. */
export function get(
  connection: Connection,
  { schema }: Names,
  id: string,
): Promise<Job | undefined> {
  return queryJob(
    connection,
    "get a job",
    id,
    `SELECT ${jobColumns("j")} FROM "${schema}".jobs j WHERE j.id = $1`,
  );
}

/** Stats. Reads `jobs_status` only (an index-only scan once the table is vacuumed). */
export async function stats(connection: Connection, { schema }: Names): Promise<JobStats> {
  const rows = await connection.query(
    "read stats",
    `SELECT task, status, count(*) AS n FROM "${schema}".jobs GROUP BY task, status`,
  );
  const stats: JobStats = {};
  for (const { task, status, n } of rows) {
    (stats[task as string] ??= {})[status as keyof JobStats[string]] = Number(n);
  }
  return stats;
}

/**
 * Cancel. Reads and writes one row by primary key while it is unfinished: status, finished,
 * the lease and the dedupe key dropped, a log line. A claim holding the row's lock for a moment
 * is waited for, then the row is re-checked (still unfinished: it is cancelled as processing).
 */
export function cancel(
  connection: Connection,
  { schema }: Names,
  id: string,
  now: number,
): Promise<Job | undefined> {
  return queryJob(
    connection,
    "cancel a job",
    id,
    `UPDATE "${schema}".jobs j SET status = 'cancelled', finished = $2::bigint, held_key = NULL,
       logs = j.logs || $3, ${UNLEASE}
     WHERE j.id = $1 AND j.status IN ${UNFINISHED} RETURNING ${jobColumns("j")}`,
    [now, toJsonLines([{ time: now, message: STORE_MESSAGES.cancelled }])],
  );
}

/**
 * Requeue. Reads and writes one finished row by primary key: back to `queued` (error,
 * finished, runAt and result cleared, attempts kept, a log line), holding its key again when
 * no unfinished job holds it meanwhile; wakes its task.
 */
export async function requeue(
  connection: Connection,
  { schema, channel }: Names,
  id: string,
  now: number,
): Promise<Job | undefined> {
  const key = rowId(id);
  if (key === undefined) return undefined;
  const run = () =>
    connection.query(
      "requeue a job",
      `WITH requeued AS (
         UPDATE "${schema}".jobs j SET status = 'queued', error = NULL, finished = NULL,
           run_at = NULL, result = NULL, logs = j.logs || $2,
           held_key = CASE WHEN j.key IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM "${schema}".jobs o WHERE o.held_key = j.key) THEN j.key END
         WHERE j.id = $1 AND j.status IN ('failed', 'timeout', 'cancelled')
         RETURNING ${jobColumns("j")}),
       ${wakeCte(channel, "SELECT task FROM requeued")}
       SELECT *, (SELECT count(*) FROM woke) AS woke FROM requeued`,
      [key, toJsonLines([{ time: now, message: STORE_MESSAGES.requeued }])],
    );
  let rows;
  try {
    rows = await run();
  } catch (error) {
    // Another job took the key between the check and the write: requeue without holding it.
    if (sqlState(error) !== "23505") throw error;
    rows = await run();
  }
  return rows[0] && toJob(rows[0]);
}

/** Append logs. Writes one row's `logs` by primary key, whatever its status. */
export async function appendLogs(
  connection: Connection,
  { schema }: Names,
  id: string,
  lines: readonly LogLine[],
): Promise<void> {
  const key = rowId(id);
  if (key === undefined || lines.length === 0) return;
  await connection.query(
    "append logs",
    `UPDATE "${schema}".jobs SET logs = logs || $2 WHERE id = $1`,
    [key, toJsonLines(lines)],
  );
}

/** Logs. Reads one row's `logs` by primary key. */
export async function logs(
  connection: Connection,
  { schema }: Names,
  id: string,
): Promise<LogLine[]> {
  const key = rowId(id);
  if (key === undefined) return [];
  const [row] = await connection.query(
    "read logs",
    `SELECT logs FROM "${schema}".jobs WHERE id = $1`,
    [key],
  );
  return row ? fromJsonLines(row.logs as string) : [];
}

/** Heartbeat. Upserts one `workers` row by id. */
export async function heartbeat(
  connection: Connection,
  { schema }: Names,
  worker: WorkerRecord,
  ttlMs: number,
): Promise<void> {
  await connection.query(
    "record a heartbeat",
    `INSERT INTO "${schema}".workers (id, body, expires) VALUES ($1, $2, $3::bigint)
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, expires = excluded.expires`,
    [worker.id, JSON.stringify(worker), worker.seen + ttlMs],
  );
}

/** Workers. Deletes the expired `workers` rows and reads the rest, in one statement. */
export async function workers(
  connection: Connection,
  { schema }: Names,
  now: number,
): Promise<WorkerRecord[]> {
  const rows = await connection.query(
    "list workers",
    `WITH gone AS (DELETE FROM "${schema}".workers WHERE expires < $1::bigint RETURNING id)
     SELECT body FROM "${schema}".workers WHERE expires >= $1::bigint ORDER BY id`,
    [now],
  );
  return rows.map((row) => JSON.parse(row.body as string));
}
