/**
 * The PostgreSQL schema: one versioned list of migrations, applied on open inside one
 * transaction under an advisory lock, so processes opening a fresh database at the same
 * moment create it once. @module
 */

import { RATE_KEEP_WINDOWS, StoreError } from "../../src/store.ts";
import type { Sql } from "./_connection.ts";

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = 4;

/**
 * Checks a schema name. Lowercase letters, digits and `_` only, so the name needs no quoting
 * in `psql` (`kinetik.jobs`), and at most 56 characters, so the channel name
 * `<schema>_events` fits PostgreSQL's 63-byte identifiers.
 *
 * @throws {TypeError} when the name is not such an identifier
 */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== "string" || !/^[a-z_][a-z0-9_]{0,55}$/.test(schema)) {
    throw new TypeError(
      `Cannot open a PostgreSQL store as schema must be a lowercase identifier (a-z, 0-9, _; at most 56 characters, not starting with a digit): current value is ${
        JSON.stringify(schema) ?? String(schema)
      }`,
    );
  }
}

/**
 * The SQL of the claim's gate function, as schema step 2 created it (`keepWindows` 1) and
 * step 4 replaced it (2, see `RATE_KEEP_WINDOWS`: a claim that reaches the server late still
 * counts the starts of its window). Written once so the steps differ only where they do.
 */
function claimGate(create: "CREATE" | "CREATE OR REPLACE", keepWindows: number): string {
  return `
  -- The gate of a claim with limits (see _limits.ts for why it is a function): locks each
  -- limited task (advisory, in name order, so claims of overlapping tasks never deadlock),
  -- then counts, in snapshots taken after the lock, the task's processing jobs (but those
  -- the same statement settles: ids with their tokens) and its starts in the rate window.
  -- Returns per limited task how many jobs the claim may start, and the window's starts.
  ${create} FUNCTION $S.claim_gate(tasks text[], now bigint, limits text, ids bigint[],
      tokens text[])
    RETURNS TABLE (task text, allowance integer, rate_max integer, rate_per bigint,
      starts bigint[])
    LANGUAGE plpgsql VOLATILE AS $gate$
  DECLARE
    l json;
    name text;
    running integer;
  BEGIN
    FOR name IN SELECT DISTINCT t FROM unnest(tasks) AS t
        WHERE (limits::json -> t) IS NOT NULL ORDER BY t LOOP
      PERFORM pg_advisory_xact_lock(hashtext('kinetik limits $S'), hashtext(name));
    END LOOP;
    FOR name, l IN SELECT u.t, limits::json -> u.t FROM (SELECT DISTINCT t FROM unnest(tasks)
        AS t WHERE (limits::json -> t) IS NOT NULL) u LOOP
      task := name;
      allowance := 2147483647;
      rate_max := (l -> 'rate' ->> 'max')::integer;
      rate_per := (l -> 'rate' ->> 'per')::bigint;
      starts := '{}';
      IF rate_max IS NOT NULL THEN
        DELETE FROM $S.rate_starts r WHERE r.task = name AND r.at <= now - ${keepWindows} * rate_per;
        SELECT coalesce(array_agg(r.at ORDER BY r.at), '{}') INTO starts
          FROM $S.rate_starts r WHERE r.task = name AND r.at > now - rate_per;
        allowance := greatest(0, rate_max - cardinality(starts));
      END IF;
      IF (l ->> 'concurrency') IS NOT NULL THEN
        SELECT count(*) INTO running FROM $S.jobs j
          WHERE j.status = 'processing' AND j.task = name
            AND NOT EXISTS (SELECT 1 FROM unnest(ids, tokens) AS s(id, token)
              WHERE s.id = j.id AND s.token = j.token);
        allowance := least(allowance, greatest(0, (l ->> 'concurrency')::integer - running));
      END IF;
      RETURN NEXT;
    END LOOP;
  END
  $gate$;
`;
}

/**
 * Migrations by the version they bring the schema to; `MIGRATIONS[0]` creates version 1. A
 * new version appends a step, never edits an old one. `$S` stands for the quoted schema name.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- One row per job. Times are epoch ms (bigint), as the core passes them. JSON fields are
  -- text, not jsonb: a record comes back exactly as it went in (key order, \\u0000 in strings,
  -- number spelling), and the server never parses data it only stores; queries on data are
  -- matched in JavaScript, as in every store.
  --   ready_at   the time the job became ready (run_at of a delayed job, else created): the
  --              claim order after priority.
  --   held_key   the dedupe key while this job holds it (unfinished and first with it); NULL
  --              otherwise. Its unique index is what makes two concurrent adds of one key,
  --              in any process or transaction, save one job.
  --   own_max_attempts  the stall limit saved with the job (NewJob.maxAttempts); a claim
  --              records it instead of the one its request carries.
  --   logs       the job's log as JSON lines, only ever appended to and read whole; the last
  --              column, so TOAST keeps a long log out of the way of the others.
  CREATE TABLE $S.jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task text NOT NULL,
    status text NOT NULL CHECK (status IN
      ('queued', 'delayed', 'processing', 'completed', 'failed', 'cancelled', 'timeout')),
    priority integer NOT NULL DEFAULT 0,
    created bigint NOT NULL,
    run_at bigint,
    ready_at bigint GENERATED ALWAYS AS (coalesce(run_at, created)) STORED,
    key text,
    held_key text,
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer,
    own_max_attempts integer,
    started bigint,
    finished bigint,
    worker text,
    lease_until bigint,
    token text,
    timeout bigint,
    data text,
    error text,
    progress text,
    result text,
    retry text,
    trace text,
    logs text NOT NULL DEFAULT ''
  );
  -- The claim path (see _claim.ts): per task, waiting jobs in claim order. Partial, so the
  -- index holds only what may be claimed: finished jobs, however many, cost the claim nothing.
  CREATE INDEX jobs_waiting ON $S.jobs (task, priority, ready_at, id)
    WHERE status IN ('queued', 'delayed');
  -- The earliest delayed job per task, for ClaimResult.next.
  CREATE INDEX jobs_delayed ON $S.jobs (task, run_at) WHERE status = 'delayed';
  -- Partial: most jobs have no key, and an index entry each would cost every insert.
  CREATE UNIQUE INDEX jobs_held_key ON $S.jobs (held_key) WHERE held_key IS NOT NULL;
  -- Listing, counting, stats and clean, narrowed by status and task; recovery reads the few
  -- processing jobs through it (no lease index to update on every claim and renewal).
  CREATE INDEX jobs_status ON $S.jobs (status, task, created);

  -- Messages too long for a NOTIFY payload (8000 bytes): the NOTIFY carries the row's id.
  CREATE TABLE $S.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    body text NOT NULL
  );

  CREATE TABLE $S.workers (
    id text PRIMARY KEY,
    body text NOT NULL,
    expires bigint NOT NULL
  );
  `,
  `
  -- Version 2: the verbs of job lifecycle and control (DESIGN §6).

  -- Finished jobs by status, oldest first: retention sweeps and clean({ before }) read the
  -- oldest few of one status without touching the others. Partial, so claims and unfinished
  -- jobs never pay for it; a settle to a final status adds one entry.
  CREATE INDEX jobs_finished ON $S.jobs (status, finished, id)
    WHERE status IN ('completed', 'failed', 'timeout', 'cancelled');
  -- Unfinished jobs by key. held_key decides races between adds; this finds an unfinished job
  -- with the key that does not hold it (requeued while another held it), which add returns
  -- once that holder has finished. Partial: only keyed, unfinished jobs have an entry.
  CREATE INDEX jobs_key ON $S.jobs (key)
    WHERE key IS NOT NULL AND status IN ('queued', 'delayed', 'processing');

  -- The paused set: kind 'tag' or 'task', and the name. Every claim reads it (a few rows).
  CREATE TABLE $S.paused (
    kind text NOT NULL CHECK (kind IN ('tag', 'task')),
    name text NOT NULL,
    PRIMARY KEY (kind, name)
  );

  -- Start times of claims of rate-limited tasks, for their sliding windows. Written and read
  -- only under the task's advisory lock (see claim_gate), pruned as windows pass.
  CREATE TABLE $S.rate_starts (
    task text NOT NULL,
    at bigint NOT NULL
  );
  CREATE INDEX rate_starts_task ON $S.rate_starts (task, at);

  -- Schedules: the record as JSON (body), and what fire compares and moves beside it.
  CREATE TABLE $S.schedules (
    id text PRIMARY KEY,
    spec text NOT NULL,
    next bigint NOT NULL,
    body text NOT NULL
  );

  -- Stores listening for messages (see _listeners.ts): a row per store with a LISTEN open,
  -- refreshed while it listens. A job event is sent only when another store listens.
  CREATE TABLE $S.listeners (
    id text PRIMARY KEY,
    expires bigint NOT NULL
  );

  -- Whether a store other than \`me\` listens, counted after a shared advisory lock, in a
  -- fresh snapshot (VOLATILE): a store that registers takes the lock exclusively after its
  -- insert committed, so every statement that counted without seeing it has committed before
  -- the new listener reads anything.
  CREATE FUNCTION $S.listening(me text, now bigint) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $listening$
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('kinetik listeners $S'));
    RETURN EXISTS (SELECT 1 FROM $S.listeners l WHERE l.id <> me AND l.expires > now);
  END
  $listening$;

  ${claimGate("CREATE", 1)}
  `,
  `
  -- Version 3: run counts per task and minute (see _metrics.ts): completed, failed, and the
  -- run-time histogram (bucket index → runs, src/metrics.ts). jsonb, unlike the jobs' JSON
  -- texts: the server sums it bucket by bucket, and its key order carries no meaning. The
  -- primary key serves both the read (minutes from since) and the drop of old minutes.
  CREATE TABLE $S.metrics (
    minute bigint NOT NULL,
    task text NOT NULL,
    completed bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    runtimes jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (minute, task)
  );
  `,
  `
  -- Version 4: rate starts are kept two windows (see claimGate).
  ${claimGate("CREATE OR REPLACE", RATE_KEEP_WINDOWS)}
  `,
];

/** The lock every opening store takes: one per schema name, within this database. */
const LOCK_KEY = "kinetik schema ";

/**
 * Brings the schema to {@linkcode SCHEMA_VERSION}: in one transaction, after
 * `pg_advisory_xact_lock` on the schema's name, it creates the schema when missing, reads the
 * applied version and applies the missing steps. A second process waits on the lock, then
 * finds the version current and does nothing.
 *
 * `to` stops at an older version (for the tests that migrate a database made by older code).
 *
 * @throws {StoreError} when the schema was written by a newer Kinetik
 */
export async function migrate(sql: Sql, schema: string, to = SCHEMA_VERSION): Promise<void> {
  const quoted = `"${schema}"`;
  await sql.begin(async (tx) => {
    await tx.unsafe("SELECT pg_advisory_xact_lock(hashtext($1))", [LOCK_KEY + schema]);
    // CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists, so
    // a database whose schema an administrator made works with a user who may not create one.
    const [found] = await tx.unsafe("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (!found) await tx.unsafe(`CREATE SCHEMA ${quoted}`);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${quoted}.migrations (
        version integer PRIMARY KEY,
        applied timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const [{ version }] = await tx.unsafe(
      `SELECT coalesce(max(version), 0)::int AS version FROM ${quoted}.migrations`,
    );
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        "postgres",
        `Cannot open the schema ${schema} as it was written by a newer Kinetik (schema ${SCHEMA_VERSION} supported): current value is ${version}`,
      );
    }
    for (let step = version; step < to; step++) {
      await tx.unsafe(MIGRATIONS[step].replaceAll("$S", quoted));
      await tx.unsafe(`INSERT INTO ${quoted}.migrations (version) VALUES ($1)`, [step + 1]);
    }
  });
}
