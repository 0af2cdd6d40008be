/**
 * The verbs that remove and promote jobs by hand or by retention: `remove` (narrowed by
 * `before`, `keep` and `limit`), `removeJob` and `promote`, each one statement. @module
 */

import type { Job } from "../../src/job.ts";
import { isFinalStatus } from "../../src/job.ts";
import type { RemoveFilter } from "../../src/store.ts";
import { STORE_MESSAGES } from "../../src/store.ts";
import type { Connection } from "./_connection.ts";
import { wakeCte } from "./_notify.ts";
import { jobColumns, queryJob } from "./_rows.ts";
import { toJsonLines } from "../_json_lines.ts";
import type { Names } from "./_verbs.ts";

/** The predicate of the partial index `jobs_finished`, written out so a generic plan uses it. */
const FINISHED = "('completed', 'failed', 'timeout', 'cancelled')";

/**
 * Remove. Without `before`, `keep` or `limit`: one DELETE of every job of the statuses (and
 * tasks), read through `jobs_status`.
 *
 * Narrowed (a retention sweep, `clean({ before })`): reads the oldest finished jobs of each
 * status through `jobs_finished (status, finished, id)`, one ordered range per status merged
 * and cut at `limit` (so a sweep of 1,000 among millions reads about 1,000 index entries), and
 * deletes them with their logs. `keep` first finds the newest job it spares (the same index
 * read backwards, `keep` entries per status) and removes only jobs older than that one.
 *
 * Why `FOR UPDATE SKIP LOCKED`: a finished job that a requeue (or another sweep) holds at
 * that moment is passed over rather than waited for; the requeue wins and the job is no longer
 * finished, and two sweepers split the work. A job that changed since the statement's snapshot
 * is re-checked after the lock, so a job requeued just before is never removed.
 */
export async function remove(
  connection: Connection,
  { schema }: Names,
  filter: RemoveFilter,
): Promise<number> {
  const { before, keep, limit } = filter;
  if (filter.status.length === 0 || filter.tasks?.length === 0) return 0;
  if (limit !== undefined && !(limit >= 1)) return 0;
  const params: unknown[] = [[...filter.status]];
  const param = (value: unknown) => `$${params.push(value)}`;
  const taskParam = filter.tasks === undefined ? undefined : param([...filter.tasks]);
  const tasksOf = (alias: string) =>
    taskParam === undefined ? "" : ` AND ${alias}.task = ANY(${taskParam}::text[])`;
  if (before === undefined && keep === undefined && limit === undefined) {
    const [{ n }] = await connection.query(
      "remove jobs",
      `WITH gone AS (DELETE FROM "${schema}".jobs j WHERE j.status = ANY($1::text[])${tasksOf("j")}
         RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      params,
    );
    return Number(n);
  }

  const isFinished = filter.status.every(isFinalStatus);
  // Every status in the arms reads `jobs_finished` when all are final; jobs without a finish
  // time (only unfinished ones) count as the newest, as in every store.
  const match = (alias: string) =>
    `${alias}.status = st.status${isFinished ? ` AND ${alias}.status IN ${FINISHED}` : ""}${
      tasksOf(alias)
    }`;
  const finished = (alias: string) =>
    isFinished ? `${alias}.finished` : `coalesce(${alias}.finished, 9223372036854775807)`;
  let where = match("j");
  if (before !== undefined) where += ` AND j.finished < ${param(before)}::bigint`;
  const ctes: string[] = [];
  if (keep !== undefined && keep > 0) {
    const spare = param(Math.trunc(keep));
    ctes.push(`spared AS (
      SELECT x.f, x.id FROM unnest($1::text[]) AS st(status)
      CROSS JOIN LATERAL (
        SELECT ${finished("k")} AS f, k.id FROM "${schema}".jobs k WHERE ${match("k")}
        ORDER BY k.finished DESC NULLS FIRST, k.id DESC LIMIT ${spare}::bigint) x
      ORDER BY x.f DESC, x.id DESC OFFSET ${spare}::bigint - 1 LIMIT 1)`);
    where += ` AND (${finished("j")}, j.id) < (SELECT f, id FROM spared)`;
  }
  const cut = limit === undefined ? "ALL" : `${param(Math.trunc(limit))}::bigint`;
  ctes.push(`doomed AS (
      SELECT x.id FROM unnest($1::text[]) AS st(status)
      CROSS JOIN LATERAL (
        SELECT j.id, j.finished FROM "${schema}".jobs j WHERE ${where}
        ORDER BY j.finished, j.id LIMIT ${cut}
        FOR UPDATE SKIP LOCKED) x
      ORDER BY x.finished, x.id LIMIT ${cut})`);
  ctes.push(`gone AS (
      DELETE FROM "${schema}".jobs j WHERE j.id = ANY(ARRAY(SELECT id FROM doomed)) RETURNING 1)`);
  const [{ n }] = await connection.query(
    "remove jobs",
    `WITH ${ctes.join(",\n")} SELECT count(*) AS n FROM gone`,
    params,
  );
  return Number(n);
}

/**
 * Remove one job. Deletes one row by primary key, whatever its status, with its logs; its key
 * goes with it (the `held_key` index entry). A claim or settle holding the row is waited for;
 * a settle after it finds no row and is refused.
 */
export function removeJob(
  connection: Connection,
  { schema }: Names,
  id: string,
): Promise<Job | undefined> {
  return queryJob(
    connection,
    "remove a job",
    id,
    `DELETE FROM "${schema}".jobs j WHERE j.id = $1 RETURNING ${jobColumns("j")}`,
  );
}

/**
 * Promote. Reads and writes one row by primary key while it is `delayed`: `queued`, `run_at`
 * cleared (so `ready_at` is its creation, and it orders like any queued job), a log line; wakes
 * its task. A claim that locked the row first (the job came due) is waited for, and the row,
 * now `processing`, is left alone.
 */
export function promote(
  connection: Connection,
  { schema, channel }: Names,
  id: string,
  now: number,
): Promise<Job | undefined> {
  return queryJob(
    connection,
    "promote a job",
    id,
    `WITH promoted AS (
       UPDATE "${schema}".jobs j SET status = 'queued', run_at = NULL, logs = j.logs || $2
       WHERE j.id = $1 AND j.status = 'delayed' RETURNING ${jobColumns("j")}),
     ${wakeCte(channel, "SELECT task FROM promoted")}
     SELECT *, (SELECT count(*) FROM woke) AS woke FROM promoted`,
    [toJsonLines([{ time: now, message: STORE_MESSAGES.promoted }])],
  );
}
