/**
 * The job fields a SQL store (SQLite, PostgreSQL) can sort by, and their columns: both name
 * their columns alike. @module
 */

import type { Job } from "../src/job.ts";

/** Job fields that map to a sortable column, for `ORDER BY` in SQL. */
export const SORT_COLUMNS: Readonly<Partial<Record<keyof Job, string>>> = {
  id: "id",
  task: "task",
  status: "status",
  created: "created",
  runAt: "run_at",
  attempts: "attempts",
  priority: "priority",
  key: "key",
  started: "started",
  finished: "finished",
  worker: "worker",
  leaseUntil: "lease_until",
  maxAttempts: "max_attempts",
  timeout: "timeout",
};
