/**
 * The claim: a `SELECT` of the ready jobs of the requested priority groups, skipping paused
 * tags and tasks, then one `UPDATE … RETURNING` by id that leases them and counts the
 * attempt, both in one write transaction (the caller's, or its own); with task limits, the
 * same transaction counts and records them. @module
 */

import type { SQLInputValue } from "node:sqlite";
import type { ClaimRequest, ClaimResult, LeasedJob } from "../../src/store.ts";
import { ClaimGate } from "./_limits.ts";
import { JOB_COLUMNS, toJob, toRow } from "./_rows.ts";
import type { Statements } from "./_statements.ts";

/*
 * Why a select and an update, and why it is safe.
 *
 * SQLite has one writer at a time per file: every write transaction takes the database's
 * RESERVED lock, and in WAL mode readers never block it. So there is no row locking to get
 * right (no `FOR UPDATE SKIP LOCKED` as in Postgres): the claim runs in a `BEGIN IMMEDIATE`
 * transaction, which holds the write lock from before the select to the commit, so the
 * `status IN ('queued', 'delayed')` the select reads is the status the update changes. Two
 * processes can never lease the same job; the price is that claims from different processes
 * run one after the other, which is why the transaction must be short.
 *
 * It stays short because every arm of the select reads at most `limit` entries of the
 * partial index `jobs_ready (task, priority, ready_at, id)`, already in claim order: one arm
 * per task (a merge of per-task lists is cheaper than sorting every ready job of a tag), then
 * the small union is ordered by group, priority, ready time and id; a claim of one task needs
 * no union and no sort. Delayed jobs live in the same index with `ready_at = run_at`, so
 * "delayed and due" needs no separate promotion step; a queued job is ready whatever its
 * `created` says (another process's clock may run ahead).
 *
 * Two statements, not one `UPDATE … WHERE id IN (SELECT …)`: measured on Bun 1.4 (its SQLite
 * 3.54), the one statement cost 90–120 µs of CPU against 30–40 µs for the select and the
 * update by id (Deno's SQLite 3.53: about 30 µs either way); every form with a subquery in the
 * update's `WHERE` (`id = (SELECT …)` too) was as slow there.
 *
 * Pauses are read by the select: each arm carries `NOT EXISTS` probes of the `paused` table
 * for its task and its group's tag. They name only parameters, so SQLite runs each once per
 * claim (two primary-key probes of a table that is almost always empty), and a pause that
 * committed before the claim took the write lock is seen by it, in whichever process.
 *
 * Limits need counts and a record of the starts (see `_limits.ts`): the counts it reads, the
 * jobs it leases and the starts it records all happen under the same write lock. Each arm
 * then takes at most its task's allowance. Unlimited, unpaused work never pays for any of it.
 *
 * The token is `randomblob` per row, drawn inside the update; `max_attempts` is the job's
 * own (saved with a per-job retry) or else comes from the request's map, read through
 * `json_each` so task names need no quoting.
 */

/** One task of a claim: its group (the first that names it) and the position of its arm. */
export interface Arm {
  task: string;
  group: number;
}

/*
 * Parameters are numbered (`?5`), not named: Deno's `node:sqlite` binds a named parameter
 * several times slower than a positional one, and a claim has a handful per job at concurrency
 * 1. The select's only one is ?1 now; the next statement's are ?1 now, then per arm its task
 * and (with tags) its group's tag; the update's are ?1 now, ?2 worker, ?3 lease_until, ?4 the
 * maxAttempts map, then the ids.
 *
 * The limits (the claim's and each arm's take) are written into the select: Deno's SQLite is
 * built with `SQLITE_ENABLE_STAT4`, which prepares a statement whose `LIMIT` is a bound
 * parameter again on every run: a `BEGIN` + claim + `COMMIT` measured 190–210 µs of CPU with
 * bound limits against 55–70 µs with literal ones. The takes run from 1 to the processor's
 * concurrency, so the shapes stay few.
 *
 * So are the tasks and tags, as SQL string literals: Bun's SQLite (3.54) runs a select with a
 * bound `task = ?` and an `ORDER BY` the index provides as if it prepared it again every time
 * (measured on an empty table: 8.2 µs against 0.5 with the task written in; Deno 1.7 either
 * way), and at concurrency 1 it was 42–47 µs of Bun's claim. A processor claims the same tasks
 * and tags every time, so this adds no shapes.
 */

/** A string as an SQL literal (a blob cast to text when it holds NUL, which ends SQL text). */
function literal(value: string | null): string {
  if (value === null) return "NULL";
  if (!value.includes("\0")) return `'${value.replaceAll("'", "''")}'`;
  const hex = Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, "0"));
  return `CAST(X'${hex.join("")}' AS TEXT)`;
}

/** The next statement's parameters of arm `i`. */
function armParams(i: number, hasTags: boolean): { task: number; tag: number } {
  const task = 2 + (hasTags ? 2 : 1) * i;
  return { task, tag: task + 1 };
}

/** `NOT EXISTS` probes of the paused table for an arm's task, and its tag when known. */
function unpaused(task: string, tag: string | undefined): string {
  const byTask = `AND NOT EXISTS (SELECT 1 FROM paused WHERE kind = 'task' AND name = ${task})`;
  if (tag === undefined) return byTask;
  return `${byTask} AND NOT EXISTS (SELECT 1 FROM paused WHERE kind = 'tag' AND name = ${tag})`;
}

/**
 * The SQL of each claim shape, built once: the same string object each time, so the statement
 * cache finds it by a hash the string already carries instead of hashing a new copy per claim.
 */
const shapes = new Map<string, string>();

function memo(key: string, build: () => string): string {
  let sql = shapes.get(key);
  if (sql === undefined) {
    if (shapes.size >= 1_000) shapes.clear();
    shapes.set(key, sql = build());
  }
  return sql;
}

function selectSql(
  arms: readonly Arm[],
  tags: readonly string[] | undefined,
  limit: number,
  takes: readonly number[],
): string {
  const key = JSON.stringify([limit, takes, arms, tags ?? null]);
  return memo(`select ${key}`, () => buildSelect(arms, tags, limit, takes));
}

function buildSelect(
  arms: readonly Arm[],
  tags: readonly string[] | undefined,
  limit: number,
  takes: readonly number[],
): string {
  const arm = (i: number, columns: string, take: number) => {
    const { task, group } = arms[i];
    const tag = tags === undefined ? undefined : literal(tags[group] ?? null);
    return `SELECT ${columns} FROM jobs INDEXED BY jobs_ready
      WHERE task = ${literal(task)} AND status IN ('queued', 'delayed')
        AND (status = 'queued' OR ready_at <= ?1) ${unpaused(literal(task), tag)}
      ORDER BY priority, ready_at, id LIMIT ${take}`;
  };
  if (arms.length === 1) return arm(0, "id", Math.min(limit, takes[0]));
  const selects = arms.map(({ group }, i) =>
    `SELECT * FROM (${arm(i, `id, ${group} AS g, priority, ready_at`, takes[i])})`
  );
  return `SELECT id FROM (${selects.join(" UNION ALL ")})
    ORDER BY g, priority, ready_at, id LIMIT ${limit}`;
}

/** Ids bound one parameter each up to this many; a longer list travels as one JSON array. */
const LISTED_IDS = 100;

/**
 * The update that leases `count` jobs by id. `+status` keeps the planner on the rowids: with
 * a list of ids and a plain `status IN (…)` it chose to walk every queued job of
 * `jobs_status_created` of schema 6 (measured at c50: 1,400 µs of CPU per claim of 50 against 580).
 */
function leaseSql(count: number): string {
  return memo(`lease ${Math.min(count, LISTED_IDS + 1)}`, () => {
    const ids = count > LISTED_IDS
      ? "SELECT value FROM json_each(?5)"
      : Array.from({ length: count }, (_, i) => `?${5 + i}`).join(", ");
    return `UPDATE jobs SET status = 'processing', attempts = attempts + 1, started = ?1,
        worker = ?2, lease_until = ?3, token = lower(hex(randomblob(12))),
        max_attempts = coalesce(own_max_attempts,
          (SELECT value FROM json_each(?4) WHERE key = jobs.task), 0)
      WHERE id IN (${ids}) AND +status IN ('queued', 'delayed')
      RETURNING ${JOB_COLUMNS}`;
  });
}

/**
 * The earliest `run_at` still to come of a delayed job of the unpaused tasks, one index probe
 * per task. (A due delayed job that a limit held back is not "next": it is ready now, and the
 * limit's own time, or a settle's wake-up, says when it may go.)
 */
function nextSql(count: number, hasTags: boolean): string {
  return memo(`next ${hasTags} ${count}`, () => buildNext(count, hasTags));
}

function buildNext(count: number, hasTags: boolean): string {
  const arms = Array.from({ length: count }, (_, i) => {
    const { task, tag } = armParams(i, hasTags);
    return `SELECT min(run_at) AS m FROM jobs WHERE status = 'delayed' AND task = ?${task}
        AND run_at > ?1 ${unpaused(`?${task}`, hasTags ? `?${tag}` : undefined)}`;
  });
  return `SELECT min(m) AS next FROM (${arms.join(" UNION ALL ")})`;
}

/** The request's tasks, each once, in the first group that names it. */
function armsOf(request: ClaimRequest): Arm[] {
  const seen = new Set<string>();
  const arms: Arm[] = [];
  request.groups.forEach((group, g) => {
    for (const task of group) {
      if (seen.has(task)) continue;
      seen.add(task);
      arms.push({ task, group: g });
    }
  });
  return arms;
}

/**
 * Runs a claim in the caller's transaction (settle pairs its claim with other writes), or
 * else in one of its own.
 *
 * @returns the leased jobs in claim order, and when fewer than `limit` were leased the
 * earliest time more may become claimable
 * @throws {RangeError} when `limit` is not at least 1
 */
export function claim(statements: Statements, request: ClaimRequest): ClaimResult {
  if (!(request.limit >= 1)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be at least 1: current value is ${request.limit}`,
    );
  }
  const arms = armsOf(request);
  if (arms.length === 0) return { jobs: [] };
  const { limits } = request;
  if (!limits || !arms.some(({ task }) => limits[task] !== undefined)) {
    return statements.atomic(() => claimArms(statements, request, arms));
  }
  return statements.atomic(() => {
    const gate = new ClaimGate(statements, request, arms);
    const result = claimArms(statements, request, arms, gate);
    gate.record(result.jobs);
    const next = earliest(result.next, gate.next());
    if (result.jobs.length >= request.limit || next === undefined) return { jobs: result.jobs };
    return { jobs: result.jobs, next };
  });
}

/** The earlier of two optional times. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || (b !== undefined && b < a) ? b : a;
}

/**
 * The ids to lease, in claim order: one select per priority group, each asked only for what
 * the groups before it left, so a processor over several tags reads no more than one over its
 * first tag while that one has enough. (One union of every group's arms read up to `limit`
 * entries of each and sorted them all: four tags kept 73–80% of the one-tag rate.) All run in
 * the claim's one write transaction, so they see one state of the queue.
 */
function selectIds(
  statements: Statements,
  request: ClaimRequest,
  arms: readonly Arm[],
  limit: number,
  takes: readonly number[],
): SQLInputValue[] {
  const ids: SQLInputValue[] = [];
  for (let start = 0, end = 1; start < arms.length && ids.length < limit; start = end++) {
    while (end < arms.length && arms[end].group === arms[start].group) end++;
    const isAll = start === 0 && end === arms.length; // one group: no copies
    const sql = selectSql(
      isAll ? arms : arms.slice(start, end),
      request.tags,
      limit - ids.length,
      isAll ? takes : takes.slice(start, end),
    );
    for (const row of statements.rows(sql).all(request.now)) {
      ids.push(Array.isArray(row) ? row[0] : (row as { id: number }).id);
    }
  }
  return ids;
}

/** The select and the update (and, when short of `limit`, the next due time of delayed jobs). */
function claimArms(
  statements: Statements,
  request: ClaimRequest,
  arms: readonly Arm[],
  gate?: ClaimGate,
): ClaimResult {
  // Written into the SQL: a whole number SQLite reads back as the same integer.
  const limit = Math.min(Math.trunc(request.limit), Number.MAX_SAFE_INTEGER);
  const hasTags = request.tags !== undefined;
  const takes = arms.map(({ task }) => Math.min(limit, gate?.allowance(task) ?? limit));
  const ids = selectIds(statements, request, arms, limit, takes);
  let jobs: LeasedJob[] = [];
  if (ids.length > 0) {
    const leaseArgs: SQLInputValue[] = [
      request.now,
      request.worker,
      request.now + request.leaseMs,
      JSON.stringify(request.maxAttempts ?? {}),
    ];
    if (ids.length > LISTED_IDS) leaseArgs.push(JSON.stringify(ids));
    else leaseArgs.push(...ids);
    const rows = statements.rows(leaseSql(ids.length)).all(...leaseArgs).map(toRow);
    // RETURNING gives rows in update order; put them back in the select's (claim) order.
    const order = new Map<number, number>(ids.map((id, i) => [id as number, i]));
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    jobs = rows.map((row) => {
      const job = toJob(row) as LeasedJob;
      job.token = row.token!;
      return job;
    });
  }
  if (jobs.length >= limit) return { jobs };

  const nextArgs: SQLInputValue[] = [request.now];
  for (const { task, group } of arms) {
    nextArgs.push(task);
    if (hasTags) nextArgs.push(request.tags![group] ?? null);
  }
  const { next } = statements.get(nextSql(arms.length, hasTags)).get(...nextArgs) as {
    next: number | null;
  };
  return next === null ? { jobs } : { jobs, next };
}
