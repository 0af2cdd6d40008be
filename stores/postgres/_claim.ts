/**
 * The claim: one statement that selects, locks, leases and counts the attempt of the ready
 * jobs of the requested priority groups, and reports the next due time. @module
 */

import type { ClaimRequest, ClaimResult, LeasedJob } from "../../src/store.ts";
import type { Row } from "./_connection.ts";
import { jobColumns, toJob } from "./_rows.ts";
import { statement } from "./_statements.ts";

/*
 * Why the statement is shaped as it is.
 *
 * Reads: `jobs` through the partial index `jobs_waiting (task, priority, ready_at, id) WHERE
 * status IN ('queued', 'delayed')`, one ordered range per requested task, and through
 * `jobs_delayed (task, run_at)` for the next due time. Writes: the claimed rows (status,
 * attempts, started, worker, lease_until, token, max_attempts).
 *
 * Each task is one arm (`CROSS JOIN LATERAL` over the group's task array): an index range
 * already in claim order, read lazily and cut at `limit`. A single scan over every task of a
 * group with `task = ANY(…)` would have to sort all their waiting jobs on every claim, and a
 * scan of one index on (priority, ready_at) would walk every other task's backlog. The arms'
 * few rows are merged by (priority, ready_at, id) and cut at `limit` again. Groups are CTEs
 * one after the other: group 1 asks only for what group 0 left of the limit (a limit of 0
 * reads nothing), so a busy first tag costs its followers nothing.
 *
 * Why `FOR UPDATE SKIP LOCKED` inside each arm: the lock is taken row by row as the ordered
 * index scan produces it (Limit → LockRows → Index Scan), and a row another claimer holds is
 * passed over instead of waited for, so concurrent claims never queue behind each other and
 * never hand out a job twice: a job is claimed by the transaction that locked it, and under
 * READ COMMITTED a row that changed since the snapshot is re-checked (still waiting, still
 * ready) after the lock, before it is taken. The price of locking in the arms rather than after
 * the merge: a group of several tasks locks up to `limit` rows per task for the statement's
 * few hundred microseconds, and a concurrent claim passes over the surplus too (it takes later
 * jobs, or finds none when the backlog is that short; the claimer loops anyway). Locking after
 * the merge would need a candidate list of fixed size, which concurrent claimers empty for
 * each other much sooner.
 *
 * A delayed job whose `run_at` has passed is claimable as it is (no promotion step): it sits in
 * the same index with `ready_at = run_at`. A queued job is ready whatever its `created` says,
 * as another process's clock may run ahead.
 *
 * The next due time is read only when the claim took fewer than `limit` (the CASE skips the
 * probe otherwise), one `jobs_delayed` probe per task.
 *
 * EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) of the generic plan (the one a prepared statement
 * keeps) on PostgreSQL 15, 200,000 waiting and 200,000 finished jobs over 20 tasks, groups
 * [[t1, t2], [t3]], limit 10; execution 0.62 ms on a busy 2-core VM:
 *
 *   Nested Loop Left Join (actual rows=10 loops=1)
 *     CTE g0
 *       ->  Limit (actual rows=10 loops=1)
 *             ->  Sort (actual rows=10 loops=1)
 *                   Sort Key: c.priority, c.ready_at, c.id
 *                   ->  Nested Loop (actual rows=20 loops=1)
 *                         ->  Function Scan on unnest t (actual rows=2 loops=1)
 *                         ->  Subquery Scan on c (actual rows=10 loops=2)
 *                               ->  Limit (actual rows=10 loops=2)
 *                                     ->  LockRows (actual rows=10 loops=2)
 *                                           ->  Index Scan using jobs_waiting on jobs j (actual rows=10 loops=2)
 *                                                 Index Cond: (task = t.task)
 *                                                 Filter: ((status = ANY ('{queued,delayed}'::text[])) AND ((status = 'queued'::text) OR (ready_at <= $1)))
 *     CTE g1
 *       ->  Limit (actual rows=0 loops=1)
 *             InitPlan 2 (returns $4)
 *               ->  Aggregate (actual rows=1 loops=1)
 *                     ->  CTE Scan on g0 (actual rows=10 loops=1)
 *             ->  Sort (never executed)
 *                   ->  … the same arms over group 1 (never executed)
 *     CTE claimed
 *       ->  Update on jobs j_2 (actual rows=10 loops=1)
 *             InitPlan 5 (returns $10)
 *               ->  Append (actual rows=10 loops=1)
 *                     ->  CTE Scan on g0 g0_2 (actual rows=10 loops=1)
 *                     ->  CTE Scan on g1 (actual rows=0 loops=1)
 *             ->  Index Scan using jobs_pkey on jobs j_2 (actual rows=10 loops=1)
 *                   Index Cond: (id = ANY ($10))
 *     InitPlan 7 (returns $13)
 *       ->  Aggregate (actual rows=1 loops=1)
 *             ->  CTE Scan on claimed (actual rows=10 loops=1)
 *     InitPlan 8 (returns $15)
 *       ->  Aggregate (never executed)
 *             ->  … one probe of the delayed jobs per task (never executed)
 *     ->  Result (actual rows=1 loops=1)
 *     ->  CTE Scan on claimed r (actual rows=10 loops=1)
 */

/** How many parameters the claim part of a statement takes before the task names. */
const FIXED_PARAMS = 4;

/**
 * The CTEs of a claim of at most `limit` jobs over groups of `sizes[g]` tasks, its parameters
 * numbered from `$first`: now, worker, lease until, maxAttempts (JSON), then every task name,
 * group after group. Defines `claimed` (the leased rows, with `ready_at`) and `claim_next` (the
 * next due time, or NULL).
 *
 * The shape is written into the text, so a prepared statement is planned once: with the limit
 * a parameter, the planner's generic plan guesses 10% of the table per LIMIT, and with task
 * arrays as parameters it guesses 10 tasks each; costing far more than a custom plan, the
 * generic plan is then never used, and PostgreSQL plans the statement anew on every call
 * (0.5–0.7 ms here, more than running it takes). With the limit a number and each task its own
 * parameter in an `ARRAY[…]`, the generic plan is the custom one and is kept. A processor has
 * one set of groups and asks for a few dozen limits at most, so a connection prepares that
 * many texts. The update finds its rows by `id = ANY(ARRAY(…))`, a primary-key probe whatever
 * the estimates say.
 */
export function claimCtes(
  schema: string,
  sizes: readonly number[],
  limit: number,
  first: number,
): string {
  const p = (i: number) => `$${first + i}`;
  const [now, worker, until, max] = [0, 1, 2, 3].map(p);
  let next = FIXED_PARAMS;
  const arrays = sizes.map((size) =>
    `ARRAY[${Array.from({ length: size }, () => `${p(next++)}::text`).join(", ")}]`
  );
  const ctes: string[] = [];
  sizes.forEach((_, g) => {
    const before = Array.from({ length: g }, (_, i) => ` - (SELECT count(*) FROM g${i})`).join("");
    const left = g === 0 ? String(limit) : `(${limit}${before})`;
    ctes.push(`g${g} AS MATERIALIZED (
      SELECT c.id FROM unnest(${arrays[g]}) AS t(task)
      CROSS JOIN LATERAL (
        SELECT j.id, j.priority, j.ready_at FROM "${schema}".jobs j
        WHERE j.task = t.task AND j.status IN ('queued', 'delayed')
          AND (j.status = 'queued' OR j.ready_at <= ${now}::bigint)
        ORDER BY j.priority, j.ready_at, j.id
        LIMIT ${left}
        FOR UPDATE SKIP LOCKED
      ) c
      ORDER BY c.priority, c.ready_at, c.id
      LIMIT ${left})`);
  });
  const picked = sizes.map((_, g) => `SELECT id FROM g${g}`).join(" UNION ALL ");
  ctes.push(`claimed AS (
    UPDATE "${schema}".jobs j SET status = 'processing', attempts = j.attempts + 1,
      started = ${now}::bigint, worker = ${worker}::text, lease_until = ${until}::bigint,
      token = gen_random_uuid()::text,
      max_attempts = coalesce(j.own_max_attempts, (${max}::text::json ->> j.task)::int, 0)
    WHERE j.id = ANY(ARRAY(${picked}))
    RETURNING 'c' AS kind, NULL::int AS n, j.ready_at, j.token, ${jobColumns("j")})`);
  ctes.push(`claim_next AS (
    SELECT CASE WHEN (SELECT count(*) FROM claimed) < ${limit} THEN (
      SELECT min(d.run_at) FROM unnest(${arrays.join(" || ")}) AS t(task)
      CROSS JOIN LATERAL (
        SELECT run_at FROM "${schema}".jobs
        WHERE task = t.task AND status = 'delayed' AND run_at > ${now}::bigint
        ORDER BY run_at LIMIT 1) d
    ) END AS next)`);
  return ctes.join(",\n");
}

/** The statement cache's name for a claim's shape. */
export function claimShape(groups: readonly (readonly string[])[], limit: number): string {
  return `${groups.map((group) => group.length).join(",")} ${limit}`;
}

/** The whole claim statement: the CTEs, then every claimed row beside the next due time. */
export function claimSql(
  schema: string,
  groups: readonly (readonly string[])[],
  limit: number,
): string {
  const sizes = groups.map((group) => group.length);
  return statement(
    `claim ${schema} ${claimShape(groups, limit)}`,
    () =>
      `WITH ${claimCtes(schema, sizes, limit, 1)}
    SELECT x.next, r.* FROM claim_next x LEFT JOIN claimed r ON true`,
  );
}

/** The tasks of a request by group, each task in its first group only. */
export function claimGroups(request: ClaimRequest): string[][] {
  if (!(request.limit >= 1)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be at least 1: current value is ${request.limit}`,
    );
  }
  if (!Number.isFinite(request.limit)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be a finite number: current value is ${request.limit}`,
    );
  }
  const seen = new Set<string>();
  const groups = request.groups.map((group) =>
    group.filter((task) => !seen.has(task) && (seen.add(task), true))
  );
  while (groups.length > 0 && groups.at(-1)!.length === 0) groups.pop();
  return groups;
}

/** The limit of a request as a whole number (see `claimCtes`). */
export function claimLimit(request: ClaimRequest): number {
  return Math.trunc(request.limit);
}

/** The parameters of {@linkcode claimCtes}, in order. */
export function claimParams(request: ClaimRequest, groups: string[][]): unknown[] {
  return [
    request.now,
    request.worker,
    request.now + request.leaseMs,
    JSON.stringify(request.maxAttempts ?? {}),
    ...groups.flat(),
  ];
}

/**
 * The claim's part of a result: the rows of kind `c`, in claim order (RETURNING gives update
 * order: group, found from the task, then priority, ready time and id), and the next due time
 * when one was read.
 */
export function claimResult(rows: readonly Row[], groups: string[][]): ClaimResult {
  const rank = new Map<string, number>();
  groups.forEach((group, g) => group.forEach((task) => rank.set(task, g)));
  const claimed = rows.filter((row) => row.kind === "c");
  claimed.sort((a, b) =>
    rank.get(a.task as string)! - rank.get(b.task as string)! ||
    Number(a.priority) - Number(b.priority) ||
    Number(a.ready_at) - Number(b.ready_at) || Number(a.id) - Number(b.id)
  );
  const jobs: LeasedJob[] = claimed.map((row) => ({ ...toJob(row), token: row.token as string }));
  const next = rows[0]?.next;
  return next === null || next === undefined ? { jobs } : { jobs, next: Number(next) };
}
