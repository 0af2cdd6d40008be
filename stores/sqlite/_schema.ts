/**
 * The SQLite schema, as TypeScript string constants (no build step, no migration files),
 * versioned through `PRAGMA user_version`. @module
 */

import type { DatabaseSync } from "node:sqlite";
import { StoreError } from "../../src/store.ts";

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = 7;

/**
 * Migrations by the version they bring the file to; `MIGRATIONS[0]` creates version 1.
 * A new version appends a step, never edits an old one, so any older file can be brought up.
 */
export const MIGRATIONS: readonly string[] = [
  `
  -- One row per job. JSON fields (data, error, progress) are text; times are epoch ms.
  -- ready_at is the time the job became ready, the claim order after priority. logs holds the
  -- job's log as JSON lines: a log is only ever appended to and read whole, and appending to
  -- the row every outcome rewrites anyway costs no B-tree insert of its own. It is the last
  -- column, so reading the others never touches a long log's overflow pages.
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    data TEXT,
    status TEXT NOT NULL,
    created INTEGER NOT NULL,
    run_at INTEGER,
    priority INTEGER NOT NULL DEFAULT 0,
    key TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER,
    error TEXT,
    started INTEGER,
    finished INTEGER,
    progress TEXT,
    worker TEXT,
    lease_until INTEGER,
    token TEXT,
    ready_at INTEGER GENERATED ALWAYS AS (coalesce(run_at, created)) VIRTUAL,
    logs TEXT NOT NULL DEFAULT ''
  );
  -- The claim path: per task, waiting jobs in claim order. Partial, so finished jobs cost
  -- nothing; status is a trailing column so "queued, or delayed and due" is read from the index.
  CREATE INDEX jobs_ready ON jobs (task, priority, ready_at, id, status)
    WHERE status IN ('queued', 'delayed');
  -- The earliest delayed job per task, for ClaimResult.next.
  CREATE INDEX jobs_delayed ON jobs (task, run_at) WHERE status = 'delayed';
  -- Dedupe: add looks a key up among unfinished jobs. Not UNIQUE: add's check runs under the
  -- write lock, and a job requeued by hand may share its key with a newer one, as in memory.
  CREATE INDEX jobs_key ON jobs (key)
    WHERE key IS NOT NULL AND status IN ('queued', 'delayed', 'processing');
  -- Listing, counting, stats and clean, narrowed by status and task; recovery reads the
  -- few processing jobs through it (no lease index to update on every claim and settle).
  CREATE INDEX jobs_status ON jobs (status, task, created);

  -- Messages between processes, read by a short poll; AUTOINCREMENT keeps ids rising even
  -- after pruning, so a reader's cursor never goes back. origin is the writing connection,
  -- which delivers its own messages directly and skips their bodies when polling.
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    time INTEGER NOT NULL,
    body TEXT NOT NULL
  );

  CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    expires INTEGER NOT NULL
  );
  `,
  `
  -- Version 2: keyset paging of find (the HTTP API's job lists). A page in creation order is
  -- one range of one of these, overall, per status or per task (per status and task it is
  -- jobs_status); the id ties are the rowid every index ends with. created never changes, so
  -- only jobs_status_created is rewritten when a job changes status.
  CREATE INDEX jobs_created ON jobs (created);
  CREATE INDEX jobs_status_created ON jobs (status, created);
  CREATE INDEX jobs_task_created ON jobs (task, created);
  `,
  `
  -- Version 3: run counts per task and minute (see _metrics.ts): completed, failed, and the run-time
  -- histogram as a JSON object of bucket index → runs. Keyed (minute, task), so the upsert of
  -- a sample, the read of minutes since a time and the drop of minutes past 24 hours are each
  -- one range of the primary key; WITHOUT ROWID keeps the row inside that key's B-tree.
  CREATE TABLE metrics (
    minute INTEGER NOT NULL,
    task TEXT NOT NULL,
    completed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    runtimes TEXT NOT NULL,
    PRIMARY KEY (minute, task)
  ) WITHOUT ROWID;
  `,
  `
  -- Version 4: what a job carries through its life (results, per-job overrides, trace) and
  -- retention sweeps. ADD COLUMN puts the new columns after logs, unlike a rebuild of the
  -- table, which would hold the write lock (and every other process's claims) for as long as
  -- copying a large file takes. They are NULL on most rows, and a NULL column is read from the
  -- record header alone, so only a job that has one and a log longer than a page pays for
  -- walking the log's overflow pages when it is read.
  ALTER TABLE jobs ADD COLUMN result TEXT;
  ALTER TABLE jobs ADD COLUMN retry TEXT;
  ALTER TABLE jobs ADD COLUMN timeout INTEGER;
  ALTER TABLE jobs ADD COLUMN trace TEXT;
  -- The job's own maxAttempts (from a per-job retry), which a claim keeps; NULL: the claim
  -- records the request's.
  ALTER TABLE jobs ADD COLUMN own_max_attempts INTEGER;
  -- Sweeps and clean({ before }): per final status, oldest finished first (the rowid that
  -- ends every index breaks ties). Partial, so claims, renewals and waiting jobs never touch
  -- it: a job enters it once, when it finishes (only a final job has a finish time). Partial
  -- on finished rather than on a status list: measured, a status IN (...) condition made the
  -- settle-and-claim of one job about 8% dearer, finished IS NOT NULL under 6%.
  CREATE INDEX jobs_finished ON jobs (status, finished) WHERE finished IS NOT NULL;
  `,
  `
  -- Version 5: pause, rate limits and schedules. Each claim probes paused by primary key, so
  -- it stays a table of a few rows with no rowid.
  CREATE TABLE paused (
    kind TEXT NOT NULL, -- 'tag' or 'task'
    name TEXT NOT NULL,
    PRIMARY KEY (kind, name)
  ) WITHOUT ROWID;
  -- One row per start of a rate-limited task inside its window; the claims of the task prune
  -- the rest, so it holds at most the window's max rows per task.
  CREATE TABLE rate_starts (
    task TEXT NOT NULL,
    time INTEGER NOT NULL
  );
  CREATE INDEX rate_starts_task ON rate_starts (task, time);
  -- A schedule: next in its own column for the compare-and-set of a fire, spec beside it for
  -- the idempotent upsert, the rest of the record as JSON.
  CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    next INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  `,
  `
  -- Version 6: the connections subscribed to the events table (see _events.ts), so that a
  -- writer can tell whether anyone else would read a job event. A row expires unless its
  -- connection refreshes it.
  CREATE TABLE subscribers (
    origin TEXT PRIMARY KEY,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- Version 7: an index diet. jobs_status_created (status, created) had an entry rewritten by
  -- every claim and every settle (out of one status, into the next), beside the same rewrite
  -- in jobs_status: about a WAL page per job at concurrency 1. A status's jobs in creation
  -- order are now read from jobs_status (status, task, created), one range per task that has
  -- jobs of that status (found by a skip scan), merged (see _keyset.ts); counts, recovery and
  -- removal by status read the status prefix of jobs_status. jobs_task_created (task, created)
  -- cost every add an entry; a task's jobs are its ranges of jobs_status, one per status.
  DROP INDEX jobs_status_created;
  DROP INDEX jobs_task_created;
  `,
];

/**
 * Sets the connection up (WAL, busy timeout) and brings the schema to
 * {@linkcode SCHEMA_VERSION} inside one `BEGIN IMMEDIATE`, so processes opening a new file at
 * the same moment create it once.
 *
 * @throws {StoreError} when the file was written by a newer Kinetik
 */
export function prepareDatabase(
  db: DatabaseSync,
  options: { busyTimeout: number; synchronous: "NORMAL" | "FULL" },
): void {
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeout)}`);
  // Switching to WAL needs a moment of exclusive access; when another process holds the file
  // the busy timeout covers it, and a file already in WAL is left as it is.
  const { journal_mode: mode } = db.prepare("PRAGMA journal_mode").get() as {
    journal_mode: string;
  };
  if (mode !== "wal" && mode !== "memory") db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${options.synchronous}`);
  db.exec("PRAGMA temp_store = MEMORY");

  db.exec("BEGIN IMMEDIATE");
  try {
    const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        "sqlite",
        `Cannot open the database as it was written by a newer Kinetik (schema ${SCHEMA_VERSION} supported): current value is ${version}`,
      );
    }
    for (let step = version; step < SCHEMA_VERSION; step++) db.exec(MIGRATIONS[step]);
    if (version !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
