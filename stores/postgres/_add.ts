/**
 * `add`: a batch of jobs in one `INSERT … SELECT FROM unnest(…)`, with its wake-ups,
 * on the pool or inside a caller's transaction. @module
 */

import type { Job } from "../../src/job.ts";
import type { NewJob } from "../../src/store.ts";
import { StoreError } from "../../src/store.ts";
import type { Connection, Runner } from "./_connection.ts";
import { carriedCte } from "./_listeners.ts";
import type { Carried } from "./_outbox.ts";
import { wakeCte } from "./_notify.ts";
import { addedJob, jobColumns, toJob, toText } from "./_rows.ts";
import { toJsonLines } from "../_json_lines.ts";

/**
 * A keyed job is saved only while no unfinished job has its key, whether it holds it or waits
 * for it (a job requeued while another held the key): read through the partial index
 * `jobs_key`, whose predicate is written out so a generic plan can use it.
 */
const KEY_FREE = `WHERE e.key IS NULL OR NOT EXISTS (
        SELECT 1 FROM "$S".jobs o WHERE o.key = e.key AND o.key IS NOT NULL
          AND o.status IN ('queued', 'delayed', 'processing'))`;

/*
 * Reads: the batch; for keyed jobs, the unique index `jobs_held_key`. Writes: one row per
 * saved job; a NOTIFY wake-up per task (delayed jobs too: an idle processor elsewhere sleeps
 * until the next due time it last saw, and must learn of an earlier one). Inside a caller's
 * transaction the rows and the wake-ups appear when it commits, and never if it rolls back.
 *
 * The batch is one JSON document read by `json_to_recordset`, each job's JSON texts inside it
 * as strings, so the columns hold exactly `JSON.stringify(data)` (a `\u0000` inside data is
 * then an escaped backslash, which PostgreSQL hands out as text; a task name or key cannot
 * hold U+0000 at all, as no text column can). Serialising one document is half the client's
 * work of one array per column, as part 1 sent (20,000 jobs: about 160 ms against 250–590 ms
 * on the loaded VM).
 *
 * Ids: an identity column draws them as rows are inserted, in the `ORDER BY n` of the SELECT
 * (a keyed batch draws them in that order before inserting, see below), so the returned ids,
 * sorted, belong to the inserted jobs in batch order.
 *
 * Keys: a batch with keys inserts with `ON CONFLICT (held_key) … DO NOTHING`. The unique index
 * decides even between transactions that cannot see each other: an insert of a key another
 * open transaction just inserted waits for it, then skips when it committed (or inserts when
 * it rolled back). Jobs skipped so are read back by key in a second statement, whose fresh
 * snapshot sees the holder. A batch without keys skips the speculative-insert machinery.
 */
function insertSql(schema: string, channel: string, keyed: boolean, isCarrying: boolean): string {
  const batch = `ROWS FROM (json_to_recordset($1::text::json) AS (t text, p int, c bigint,
        r bigint, k text, m int, o bigint, y text, x text, d text, l text))
        WITH ORDINALITY AS e(task, priority, created, run_at, key, max_attempts, timeout, retry,
          trace, data, logs, n)`;
  const columns = `task, status, priority, created, run_at, key, held_key, own_max_attempts,
        max_attempts, timeout, retry, trace, data, logs`;
  const values = `task, CASE WHEN run_at IS NULL THEN 'queued' ELSE 'delayed' END, priority,
        created, run_at, key, key, max_attempts, max_attempts, timeout, retry, trace, data, logs`;
  // Held job events ride along (see `_outbox.ts`), their parameters from $2.
  const carried = isCarrying ? `,\n${carriedCte(schema, channel, 2)}` : "";
  const count = isCarrying ? ", (SELECT count(*) FROM carried) AS carried" : "";
  const tail = `${wakeCte(channel, "SELECT task FROM inserted")}${carried}
    SELECT id, held_key, (SELECT count(*) FROM woke) AS woke${count} FROM inserted`;
  if (!keyed) {
    return `WITH inserted AS (
      INSERT INTO "${schema}".jobs (${columns})
      SELECT ${values} FROM ${batch} ORDER BY n
      RETURNING id, held_key, task),
    ${tail}`;
  }
  // Ids are drawn in batch order first, then rows go in in key order: two adds of the same
  // keys in other orders then wait for each other's keys in the same order, never in a cycle
  // (which PostgreSQL would break with a deadlock error after a second).
  return `WITH e AS MATERIALIZED (SELECT * FROM ${batch}),
    ids AS MATERIALIZED (
      SELECT n, nextval(pg_get_serial_sequence('"${schema}".jobs', 'id')) AS id
      FROM (SELECT n FROM e ORDER BY n) o),
    inserted AS (
      INSERT INTO "${schema}".jobs (id, ${columns}) OVERRIDING SYSTEM VALUE
      SELECT ids.id, ${values} FROM e JOIN ids USING (n)
      ${KEY_FREE.replace("$S", schema)}
      ORDER BY e.key COLLATE "C", n
      ON CONFLICT (held_key) WHERE held_key IS NOT NULL DO NOTHING
      RETURNING id, held_key, task),
    ${tail}`;
}

/**
 * The batch as one JSON document (see `insertSql`). The JSON fields (data, retry, trace) and
 * the log lines go in as JSON strings of their text, so each column receives exactly the text
 * sent.
 */
function document(jobs: readonly NewJob[], data: readonly (string | null)[]): string {
  return JSON.stringify(jobs.map((job, i) => ({
    t: job.task,
    p: job.priority,
    c: job.created,
    r: job.runAt ?? null,
    k: job.key ?? null,
    m: job.maxAttempts ?? null,
    o: job.timeout ?? null,
    y: toText(job.retry),
    x: toText(job.trace),
    d: data[i],
    l: toJsonLines([job.log]),
  })));
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
  carry?: () => { carried: Carried; params: unknown[] } | undefined,
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
    // Never in a caller's transaction: its NOTIFYs would wait for (or die with) its commit.
    const carrying = tx === undefined && attempt === 1 ? carry?.() : undefined;
    let rows;
    try {
      rows = await connection.query(
        "add jobs",
        insertSql(names.schema, names.channel, keyed, carrying !== undefined),
        [document(batch, texts), ...carrying?.params ?? []],
        tx,
      );
    } catch (error) {
      carrying?.carried.failed();
      throw error;
    }
    carrying?.carried.done();
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

    // The holder of each key, else the oldest unfinished job waiting for it.
    const holders = await connection.query(
      "add jobs",
      `SELECT ${jobColumns("j")} FROM "${names.schema}".jobs j
       WHERE j.key = ANY($1::text[]) AND j.key IS NOT NULL
         AND j.status IN ('queued', 'delayed', 'processing')
       ORDER BY j.held_key IS NULL, j.id`,
      [skipped.map((i) => jobs[i].key!)],
      tx,
    );
    const byKey = new Map<string, Job>();
    for (const row of holders) {
      if (!byKey.has(row.key as string)) byKey.set(row.key as string, toJob(row));
    }
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
