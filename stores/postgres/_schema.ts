/**
 * The PostgreSQL schema: one versioned list of migrations, applied on open inside one
 * transaction under an advisory lock, so processes opening a fresh database at the same
 * moment create it once. @module
 */

import { StoreError } from "../../src/store.ts";
import type { Sql } from "./_connection.ts";

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = 1;

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
];

/** The lock every opening store takes: one per schema name, within this database. */
const LOCK_KEY = "kinetik schema ";

/**
 * Brings the schema to {@linkcode SCHEMA_VERSION}: in one transaction, after
 * `pg_advisory_xact_lock` on the schema's name, it creates the schema when missing, reads the
 * applied version and applies the missing steps. A second process waits on the lock, then
 * finds the version current and does nothing.
 *
 * @throws {StoreError} when the schema was written by a newer Kinetik
 */
export async function migrate(sql: Sql, schema: string): Promise<void> {
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
    for (let step = version; step < SCHEMA_VERSION; step++) {
      await tx.unsafe(MIGRATIONS[step].replaceAll("$S", quoted));
      await tx.unsafe(`INSERT INTO ${quoted}.migrations (version) VALUES ($1)`, [step + 1]);
    }
  });
}
