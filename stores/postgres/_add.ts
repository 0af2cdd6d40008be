/**
 * `add`: a batch of jobs in one `INSERT … SELECT FROM unnest(…)`, with its wake-ups,
 * on the pool or inside a caller's transaction. @module
 */

import type { Job } from "../../src/job.ts";
import type { NewJob } from "../../src/store.ts";
import { StoreError } from "../../src/store.ts";
import type { Connection, Runner } from "./_connection.ts";
import { wakeCte } from "./_notify.ts";
import { addedJob, jobColumns, toJob, toJsonLines, toText } from "./_rows.ts";

/*
 * Reads: the batch; for keyed jobs, the unique index `jobs_held_key`. Writes: one row per
 * saved job; a NOTIFY wake-up per task (delayed jobs too: an idle processor elsewhere sleeps
 * until the next due time it last saw, and must learn of an earlier one). Inside a caller's
 * transaction the rows and the wake-ups appear when it commits, and never if it rolls back.
 *
 * The batch is one array parameter per column, read by one `unnest`. Not one JSON document:
 * PostgreSQL's JSON functions refuse a document with `\u0000` anywhere in it (they cannot
 * hand such a string out as text), and job data may hold one; a text array carries each
 * job's JSON text as it is, so the column holds exactly `JSON.stringify(data)`.
 *
 * Ids: an identity column draws them as rows are inserted, in the `ORDER BY n` of the SELECT,
 * so the returned ids, sorted, belong to the inserted jobs in batch order.
 *
 * Keys: a batch with keys inserts with `ON CONFLICT (held_key) … DO NOTHING`. The unique index
 * decides even between transactions that cannot see each other: an insert of a key another
 * open transaction just inserted waits for it, then skips when it committed (or inserts when
 * it rolled back). Jobs skipped so are read back by key in a second statement, whose fresh
 * snapshot sees the holder. A batch without keys skips the speculative-insert machinery.
 */
function insertSql(schema: string, channel: string, keyed: boolean): string {
  return `WITH inserted AS (
      INSERT INTO "${schema}".jobs (task, status, priority, created, run_at, key, held_key,
        own_max_attempts, max_attempts, timeout, retry, trace, data, logs)
      SELECT task, CASE WHEN run_at IS NULL THEN 'queued' ELSE 'delayed' END, priority,
        created, run_at, key, key, max_attempts, max_attempts, timeout, retry, trace, data, logs
      FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::int[],
        $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[])
        WITH ORDINALITY AS e(task, priority, created, run_at, key, max_attempts, timeout, retry,
          trace, data, logs, n)
      ORDER BY n
      ${keyed ? "ON CONFLICT (held_key) WHERE held_key IS NOT NULL DO NOTHING" : ""}
      RETURNING id, held_key, task),
    ${wakeCte(channel, "SELECT task FROM inserted")}
    SELECT id, held_key, (SELECT count(*) FROM woke) AS woke FROM inserted`;
}

/** The column arrays of a batch (see `insertSql` for the order). */
function columns(jobs: readonly NewJob[], data: readonly (string | null)[]): unknown[] {
  return [
    jobs.map((job) => job.task),
    jobs.map((job) => job.priority),
    jobs.map((job) => job.created),
    jobs.map((job) => job.runAt ?? null),
    jobs.map((job) => job.key ?? null),
    jobs.map((job) => job.maxAttempts ?? null),
    jobs.map((job) => job.timeout ?? null),
    jobs.map((job) => toText(job.retry)),
    jobs.map((job) => toText(job.trace)),
    data,
    jobs.map((job) => toJsonLines([job.log])),
  ];
}

/** How often a keyed job whose holder vanished between two statements is tried again. */
const KEY_ATTEMPTS = 3;

/**
 * Saves jobs; a job whose key an unfinished job holds resolves to that job instead, and a
 * key repeated within the batch saves one job.
 */
export async function add(
  connection: Connection,
  names: { schema: string; channel: string },
  jobs: readonly NewJob[],
  tx?: Runner,
): Promise<Job[]> {
  const results: (Job | undefined)[] = Array.from({ length: jobs.length }, () => undefined);
  // The first job of each key in the batch is sent; later ones take its result.
  const firstOfKey = new Map<string, number>();
  let pending: number[] = [];
  jobs.forEach((job, i) => {
    if (job.key === undefined) return pending.push(i);
    if (!firstOfKey.has(job.key)) {
      firstOfKey.set(job.key, i);
      pending.push(i);
    }
  });

  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > KEY_ATTEMPTS) {
      throw new StoreError(
        "postgres",
        `Cannot add jobs as their keys changed hands ${KEY_ATTEMPTS} times meanwhile: current value is ${
          pending.map((i) => JSON.stringify(jobs[i].key)).join(", ")
        }`,
      );
    }
    const batch = pending.map((i) => jobs[i]);
    const texts = batch.map((job) => toText(job.data));
    const keyed = batch.some((job) => job.key !== undefined);
    const rows = await connection.query(
      "add jobs",
      insertSql(names.schema, names.channel, keyed),
      columns(batch, texts),
      tx,
    );
    const insertedKeys = new Set(rows.map((row) => row.held_key).filter((key) => key !== null));
    const ids = rows.map((row) => String(row.id)).sort((a, b) => Number(a) - Number(b));
    let next = 0;
    const skipped: number[] = [];
    pending.forEach((i, k) => {
      const key = jobs[i].key;
      if (key !== undefined && !insertedKeys.has(key)) return skipped.push(i);
      results[i] = addedJob(ids[next++], jobs[i], texts[k]);
    });
    if (skipped.length === 0) break;

    const holders = await connection.query(
      "add jobs",
      `SELECT held_key, ${jobColumns("j")} FROM "${names.schema}".jobs j
       WHERE held_key = ANY($1::text[])`,
      [skipped.map((i) => jobs[i].key!)],
      tx,
    );
    const byKey = new Map(holders.map((row) => [row.held_key as string, toJob(row)]));
    pending = [];
    for (const i of skipped) {
      const holder = byKey.get(jobs[i].key!);
      if (holder) results[i] = holder;
      else pending.push(i); // Finished and freed in between: save it after all.
    }
  }

  return jobs.map((job, i) => {
    const first = job.key === undefined ? i : firstOfKey.get(job.key)!;
    return i === first ? results[i]! : structuredClone(results[first]!);
  });
}
