/**
 * The claim: one statement that selects, locks, leases and counts the attempt of the ready
 * jobs of the requested priority groups, passing over paused tags and tasks and holding
 * limited tasks to their limits, and reports the next due time. @module
 */

import type { ClaimRequest, ClaimResult, LeasedJob } from "../../src/store.ts";
import type { Row } from "./_connection.ts";
import { gateCte, hasLimits, PAUSED_CTE, rateNext, startsCte } from "./_limits.ts";
import { carriedCte } from "./_listeners.ts";
import { jobColumns, toJob } from "./_rows.ts";
import { statement } from "./_statements.ts";

/*
 * Why the statement is shaped as it is.
 *
 * Reads: `jobs` through the partial index `jobs_waiting (task, priority, ready_at, id) WHERE
 * status IN ('queued', 'delayed')`, one ordered range per requested task, and through
 * `jobs_delayed (task, run_at)` for the next due time; the `paused` table (a few rows); with
 * limits, `claim_gate` (running jobs through `jobs_status`, starts through `rate_starts`, see
 * `_limits.ts`). Writes: the claimed rows (status, attempts, started, worker, lease_until,
 * token, max_attempts); with a rate limit, one `rate_starts` row per start.
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
 * keeps) on PostgreSQL 15, 100,000 waiting and 100,000 finished jobs over 20 tasks, groups
 * [[t1, t2], [t3]] with tags, limit 10, t1 limited by rate and concurrency (without limits
 * the `gate` and `rate_started` parts are not in the statement); execution 1.35 ms with limits,
 * 0.45 ms without, on the loaded 2-core VM:
 *
 *   Nested Loop Left Join (actual rows=10 loops=1)
 *     CTE paused_now
 *       ->  Aggregate (actual rows=1 loops=1)
 *             ->  Seq Scan on paused (actual rows=0 loops=1)
 *     CTE gate
 *       ->  Function Scan on claim_gate (actual rows=1 loops=1)
 *             InitPlan 4 (returns $3)
 *               ->  Function Scan on t (actual rows=3 loops=1)
 *                     Filter: ((task <> ALL ($1)) AND (NOT COALESCE((tag = ANY ($2)), false)))
 *     CTE g0
 *       ->  Limit (actual rows=10 loops=1)
 *             ->  Sort (actual rows=10 loops=1)
 *                   Sort Key: c.priority, c.ready_at, c.id
 *                   ->  Nested Loop (actual rows=10 loops=1)
 *                         ->  Nested Loop Left Join (actual rows=2 loops=1)
 *                               Join Filter: (a.task = t_1.task)
 *                               ->  Function Scan on t_1 (actual rows=2 loops=1)
 *                                     Filter: ((task <> ALL ($5)) AND (NOT COALESCE((tag = ANY ($6)), false)))
 *                               ->  CTE Scan on gate a (actual rows=1 loops=2)
 *                         ->  Subquery Scan on c (actual rows=5 loops=2)
 *                               ->  Limit (actual rows=5 loops=2)
 *                                     ->  LockRows (actual rows=5 loops=2)
 *                                           ->  Index Scan using jobs_waiting on jobs j (actual rows=5 loops=2)
 *                                                 Index Cond: (task = t_1.task)
 *                                                 Filter: ((status = ANY ('{queued,delayed}'::text[])) AND ((status = 'queued'::text) OR (ready_at <= $1)))
 *     CTE g1
 *       ->  Limit (actual rows=0 loops=1)
 *             InitPlan 11 (returns $14)
 *               ->  Aggregate (actual rows=1 loops=1)
 *                     ->  CTE Scan on g0 (actual rows=10 loops=1)
 *             ->  Sort (never executed)
 *                   ->  … the same arms over group 1 (never executed)
 *     CTE claimed
 *       ->  Update on jobs j_2 (actual rows=10 loops=1)
 *             InitPlan 15 (returns $22)
 *               ->  Append (actual rows=10 loops=1)
 *                     ->  CTE Scan on g0 g0_3 (actual rows=10 loops=1)
 *                     ->  CTE Scan on g1 (actual rows=0 loops=1)
 *             ->  Index Scan using jobs_pkey on jobs j_2 (actual rows=10 loops=1)
 *                   Index Cond: (id = ANY ($22))
 *     CTE rate_started
 *       ->  Insert on rate_starts (actual rows=0 loops=1)
 *             ->  Hash Join (actual rows=0 loops=1)
 *                   Hash Cond: (a_2.task = r_1.task)
 *                   ->  CTE Scan on gate a_2 (actual rows=1 loops=1)
 *                         Filter: (rate_max IS NOT NULL)
 *                   ->  Hash (actual rows=10 loops=1)
 *                         ->  CTE Scan on claimed r_1 (actual rows=10 loops=1)
 *     InitPlan 18 (returns $27)
 *       ->  Aggregate (actual rows=1 loops=1)
 *             ->  CTE Scan on claimed (actual rows=10 loops=1)
 *     InitPlan 21 (returns $31)
 *       ->  Aggregate (never executed)
 *             ->  … one probe of jobs_delayed per task not paused (never executed)
 *     InitPlan 27 (returns $38)
 *       ->  Aggregate (never executed)
 *             ->  … a rate-limited task held back: its next ready job by jobs_waiting (never executed)
 *     ->  Result (actual rows=1 loops=1)
 *     ->  CTE Scan on claimed r (actual rows=10 loops=1)
 */

/** A claim request made ready for SQL: its shape (which picks the statement) and parameters. */
export interface ClaimPlan {
  /** The tasks by group, each task in its first group only (empty: nothing to claim). */
  groups: string[][];
  /** At most this many jobs, a whole number. */
  limit: number;
  /** Whether the request names each group's tag, so paused tags' groups are passed over. */
  isTagged: boolean;
  /** Whether a requested task has limits, so the claim goes through the gate. */
  isLimited: boolean;
  /** The parameters of {@linkcode claimCtes}, in order. */
  params: unknown[];
}

/** How many parameters the claim part of a statement takes before the task names. */
const FIXED_PARAMS = 4;

/**
 * Checks a request and plans its claim: parameters now, worker, lease until, maxAttempts
 * (JSON), every task name group after group, then (when tagged) one tag per group, then (when
 * limited) the limits as JSON.
 *
 * @throws {RangeError} when the limit is below 1 or not finite
 */
export function claimPlan(request: ClaimRequest): ClaimPlan {
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
  const isTagged = request.tags !== undefined && groups.length > 0;
  const isLimited = groups.some((group) => group.some((task) => hasLimits(request, task)));
  const params: unknown[] = [
    request.now,
    request.worker,
    request.now + request.leaseMs,
    JSON.stringify(request.maxAttempts ?? {}),
    ...groups.flat(),
  ];
  if (isTagged) params.push(...groups.map((_, g) => request.tags![g] ?? null));
  if (isLimited) params.push(JSON.stringify(request.limits));
  return { groups, limit: Math.trunc(request.limit), isTagged, isLimited, params };
}

/** The statement cache's name for a claim's shape. */
export function claimShape(plan: ClaimPlan): string {
  const flags = `${plan.isTagged ? "t" : ""}${plan.isLimited ? "l" : ""}`;
  return `${plan.groups.map((group) => group.length).join(",")} ${plan.limit} ${flags}`;
}

/**
 * The CTEs of a claim, its parameters numbered from `$first` (see {@linkcode claimPlan}).
 * Defines `claimed` (the leased rows, with `ready_at`) and `claim_next` (the next due time, or
 * NULL). `settling` names a CTE of the same statement with the `id` and `token` of jobs it
 * settles, which the gate does not count as running.
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
  plan: ClaimPlan,
  first: number,
  settling?: string,
): string {
  const { groups, limit, isTagged, isLimited } = plan;
  const p = (i: number) => `$${first + i}`;
  const [now, worker, until, max] = [0, 1, 2, 3].map(p);
  let next = FIXED_PARAMS;
  const taskParams = groups.map((group) => group.map(() => `${p(next++)}::text`));
  const tagParams = groups.map(() => isTagged ? `${p(next++)}::text` : "NULL::text");
  const limits = isLimited ? `${p(next++)}::text` : "";
  const array = (items: string[]) => items.length ? `ARRAY[${items.join(", ")}]` : "'{}'::text[]";
  // Every requested task beside its group's tag, for the gate and the next due time.
  const everyTask = `unnest(${array(taskParams.flat())}, ${
    array(groups.flatMap((group, g) => group.map(() => tagParams[g])))
  }) AS t(task, tag)`;
  // (The casts make each subquery one array value, not a set of rows to compare with.)
  const open = "t.task <> ALL((SELECT tasks FROM paused_now)::text[]) AND " +
    "NOT coalesce(t.tag = ANY((SELECT tags FROM paused_now)::text[]), false)";

  const ctes: string[] = [PAUSED_CTE(schema)];
  if (isLimited) {
    ctes.push(gateCte(schema, `ARRAY(SELECT t.task FROM ${everyTask} WHERE ${open})`, {
      now,
      limits,
      settling,
    }));
  }
  groups.forEach((group, g) => {
    const before = Array.from({ length: g }, (_, i) => ` - (SELECT count(*) FROM g${i})`).join("");
    const left = g === 0 ? String(limit) : `(${limit}${before})`;
    const armLimit = isLimited ? `least(${left}, coalesce(a.allowance, ${left}))` : left;
    ctes.push(`g${g} AS MATERIALIZED (
      SELECT c.id FROM unnest(${array(taskParams[g])}, ${array(group.map(() => tagParams[g]))})
        AS t(task, tag)
      ${isLimited ? "LEFT JOIN gate a ON a.task = t.task" : ""}
      CROSS JOIN LATERAL (
        SELECT j.id, j.priority, j.ready_at FROM "${schema}".jobs j
        WHERE j.task = t.task AND j.status IN ('queued', 'delayed')
          AND (j.status = 'queued' OR j.ready_at <= ${now}::bigint)
        ORDER BY j.priority, j.ready_at, j.id
        LIMIT ${armLimit}
        FOR UPDATE SKIP LOCKED
      ) c
      WHERE ${open}
      ORDER BY c.priority, c.ready_at, c.id
      LIMIT ${left})`);
  });
  const picked = groups.map((_, g) => `SELECT id FROM g${g}`).join(" UNION ALL ") ||
    "SELECT NULL::bigint";
  ctes.push(`claimed AS (
    UPDATE "${schema}".jobs j SET status = 'processing', attempts = j.attempts + 1,
      started = ${now}::bigint, worker = ${worker}::text, lease_until = ${until}::bigint,
      token = gen_random_uuid()::text,
      max_attempts = coalesce(j.own_max_attempts, (${max}::text::json ->> j.task)::int, 0)
    WHERE j.id = ANY(ARRAY(${picked}))
    RETURNING 'c' AS kind, NULL::int AS n, j.ready_at, j.token, ${jobColumns("j")})`);
  if (isLimited) ctes.push(startsCte(schema, now));
  const delayed = `(SELECT min(d.run_at) FROM ${everyTask}
      CROSS JOIN LATERAL (
        SELECT run_at FROM "${schema}".jobs
        WHERE task = t.task AND status = 'delayed' AND run_at > ${now}::bigint
        ORDER BY run_at LIMIT 1) d
      WHERE ${open})`;
  ctes.push(`claim_next AS (
    SELECT CASE WHEN (SELECT count(*) FROM claimed) < ${limit} THEN
      ${isLimited ? `least(${delayed}, ${rateNext(schema, now)})` : delayed}
    END AS next)`);
  return ctes.join(",\n");
}

/**
 * The whole claim statement: the CTEs, then every claimed row beside the next due time. With
 * `channel`, it also sends held job events (see `_outbox.ts`), their parameters after the
 * claim's.
 *
 * Its commit does not wait for the WAL to reach the disk (`synchronous_commit` off for this
 * transaction only): a claim lost in a crash of the server leaves its jobs waiting, and the
 * worker's settle is then refused, so nothing acknowledged is lost, and an idle processor's
 * claim is not held up by a flush. Settles (and adds) keep synchronous commits.
 */
export function claimSql(schema: string, plan: ClaimPlan, channel?: string): string {
  const carried = channel === undefined
    ? ""
    : `,\n${carriedCte(schema, channel, plan.params.length + 1)}`;
  const count = channel === undefined ? "" : ", (SELECT count(*) FROM carried) AS carried";
  return statement(
    `claim ${schema} ${claimShape(plan)}${channel === undefined ? "" : " e"}`,
    () =>
      `WITH ${claimCtes(schema, plan, 1)},
    async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)${carried}
    SELECT x.next, (SELECT setting FROM async_commit)${count}, r.*
    FROM claim_next x LEFT JOIN claimed r ON true`,
  );
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
