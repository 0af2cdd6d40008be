/**
 * The parts of a claim statement that pass over paused tags and tasks and hold limited tasks
 * to their rate and concurrency limits, across every worker on the schema. @module
 */

import type { ClaimRequest } from "../../src/store.ts";

/*
 * Pause. Every claim reads the `paused` table (a few rows, one scan) into two arrays in a CTE
 * and leaves out the tasks it names, and the groups whose tag (`ClaimRequest.tags`) it names,
 * before any job is read. A pause committed before a claim's statement starts is in that
 * statement's snapshot, so once `pause()` resolves no later claim takes a paused job.
 *
 * Limits: why a function, and why an advisory lock. Two claims that count a task's running
 * jobs at the same time would both see room for the last slot: a statement's snapshot is taken
 * when it starts, before anything inside it could wait for the other. So a claim whose request
 * has limits calls `claim_gate` (created by the schema, see `_schema.ts`) first: it takes a
 * transaction-level advisory lock per limited task (in name order, so claims of overlapping
 * tasks never deadlock), held until the claim commits, and only then counts. A PL/pgSQL
 * function is VOLATILE, so each of its queries takes a fresh snapshot, which sees everything
 * the previous holder of the lock committed: its leased jobs (`processing`, through
 * `jobs_status`) and its starts (`rate_starts (task, at)`). The rows of this statement's own
 * settle are not counted as running: they leave `processing` in the same statement.
 *
 * The jobs the previous holder leased are still waiting in this statement's older snapshot;
 * the arms' `FOR UPDATE SKIP LOCKED` re-checks each row after locking it and passes over those
 * that changed (as for every claim), so the arms take only what is left, at most the task's
 * allowance. The claim then records one start per leased job of a rate-limited task.
 *
 * Claims without limits for their tasks pay nothing of this: no function, no lock.
 */

/** Whether a request limits `task` (by rate or concurrency). */
export function hasLimits(request: ClaimRequest, task: string): boolean {
  const limits = request.limits?.[task];
  return limits !== undefined && (limits.rate !== undefined || limits.concurrency !== undefined);
}

/** The CTE `paused_now`: the paused task names and tags, as two arrays. */
export function PAUSED_CTE(schema: string): string {
  return `paused_now AS MATERIALIZED (
    SELECT coalesce(array_agg(name) FILTER (WHERE kind = 'task'), '{}') AS tasks,
      coalesce(array_agg(name) FILTER (WHERE kind = 'tag'), '{}') AS tags
    FROM "${schema}".paused)`;
}

/**
 * The CTE `gate`: per limited task among `tasks` (an SQL array), how many jobs the claim may
 * lease, its rate (max, per) and the starts in its window. `settling` names a CTE with the id
 * and token of the jobs the same statement settles.
 */
export function gateCte(
  schema: string,
  tasks: string,
  params: { now: string; limits: string; settling?: string },
): string {
  const { now, limits, settling } = params;
  const ids = settling ? `ARRAY(SELECT id FROM ${settling})` : "'{}'::bigint[]";
  const tokens = settling ? `ARRAY(SELECT token FROM ${settling})` : "'{}'::text[]";
  return `gate AS MATERIALIZED (
    SELECT * FROM "${schema}".claim_gate(${tasks}, ${now}::bigint, ${limits}, ${ids}, ${tokens}))`;
}

/** The CTE `rate_started`: one start per leased job of a rate-limited task. */
export function startsCte(schema: string, now: string): string {
  return `rate_started AS (
    INSERT INTO "${schema}".rate_starts (task, at)
    SELECT r.task, ${now}::bigint FROM claimed r JOIN gate a ON a.task = r.task
    WHERE a.rate_max IS NOT NULL)`;
}

/**
 * When the rate window of a task held back reopens (NULL when none is): a task is held back
 * when the claim leased its whole allowance and a ready job of it is left. With `k` starts in
 * the window before the claim (ascending) and `c` leased now, the window is full when
 * `k + c >= max`, and it reopens when the start `k + c - max` (counting from 0 over the old
 * starts, then the new ones at `now`) leaves it, `per` after it was made. A task held back by
 * its concurrency alone has no such time: a settle elsewhere wakes its processors.
 */
export function rateNext(schema: string, now: string): string {
  return `(SELECT min(CASE WHEN n.k + n.c >= a.rate_max THEN
        CASE WHEN n.k + n.c - a.rate_max < n.k THEN a.starts[n.k + n.c - a.rate_max + 1]
          ELSE ${now}::bigint END + a.rate_per END)
      FROM gate a
      CROSS JOIN LATERAL (SELECT cardinality(a.starts) AS k,
        (SELECT count(*) FROM claimed r WHERE r.task = a.task)::int AS c) n
      WHERE a.rate_max IS NOT NULL AND n.c >= a.allowance AND EXISTS (
        SELECT 1 FROM "${schema}".jobs j
        WHERE j.task = a.task AND j.status IN ('queued', 'delayed')
          AND (j.status = 'queued' OR j.ready_at <= ${now}::bigint)
          AND j.id <> ALL(ARRAY(SELECT id FROM claimed))))`;
}
