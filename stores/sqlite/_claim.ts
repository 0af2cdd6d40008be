/**
 * The claim: one `UPDATE … RETURNING` that selects, leases and counts the attempt of the
 * ready jobs of the requested priority groups. @module
 */

import type { ClaimRequest, ClaimResult, LeasedJob } from "../../src/store.ts";
import { JOB_COLUMNS, type JobRow, toJob } from "./_rows.ts";
import type { Statements } from "./_statements.ts";

/*
 * Why one statement, and why it is safe.
 *
 * SQLite has one writer at a time per file: every write transaction takes the database's
 * RESERVED lock, and in WAL mode readers never block it. So there is no row locking to get
 * right (no `FOR UPDATE SKIP LOCKED` as in Postgres): whichever process runs the claim holds
 * the write lock for its whole duration, and the `status IN ('queued', 'delayed')` it reads is
 * the status it changes. Two processes can never lease the same job; the price is that claims
 * from different processes run one after the other, which is why this statement must be short.
 *
 * It stays short because every arm of the inner query reads at most `limit` entries of the
 * partial index `jobs_ready (task, priority, ready_at, id)`, already in claim order: one arm
 * per task (a merge of per-task lists is cheaper than sorting every ready job of a tag), then
 * the small union is ordered by group, priority, ready time and id. Delayed jobs live in the
 * same index with `ready_at = run_at`, so "delayed and due" needs no separate promotion step;
 * a queued job is ready whatever its `created` says (another process's clock may run ahead).
 *
 * The token is `randomblob` per row, drawn inside the statement; `max_attempts` is the job's
 * own (saved with a per-job retry) or else comes from the request's map, read through
 * `json_each` so task names need no quoting.
 */
function claimSql(ranks: readonly number[]): string {
  const arms = ranks.map((rank, i) =>
    `SELECT * FROM (SELECT id, ${rank} AS g, priority, ready_at FROM jobs INDEXED BY jobs_ready
      WHERE task = :t${i} AND status IN ('queued', 'delayed')
        AND (status = 'queued' OR ready_at <= :now)
      ORDER BY priority, ready_at, id LIMIT :limit)`
  );
  return `UPDATE jobs SET status = 'processing', attempts = attempts + 1, started = :now,
      worker = :worker, lease_until = :lease_until, token = lower(hex(randomblob(12))),
      max_attempts = coalesce(own_max_attempts,
        (SELECT value FROM json_each(:max) WHERE key = jobs.task), 0)
    WHERE id IN (SELECT id FROM (${arms.join(" UNION ALL ")})
      ORDER BY g, priority, ready_at, id LIMIT :limit)
    RETURNING ${JOB_COLUMNS}`;
}

/** The earliest `run_at` of a delayed job of the tasks, one index probe per task. */
function nextSql(count: number): string {
  const arms = Array.from(
    { length: count },
    (_, i) => `SELECT min(run_at) AS m FROM jobs WHERE status = 'delayed' AND task = :t${i}`,
  );
  return `SELECT min(m) AS next FROM (${arms.join(" UNION ALL ")})`;
}

/**
 * Runs a claim (the caller holds a transaction when it pairs the claim with other writes).
 *
 * @returns the leased jobs in claim order, and the next due time when fewer than `limit`
 * were ready
 */
export function claim(statements: Statements, request: ClaimRequest): ClaimResult {
  const rank = new Map<string, number>();
  request.groups.forEach((group, g) => {
    for (const task of group) if (!rank.has(task)) rank.set(task, g);
  });
  if (!(request.limit >= 1)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be at least 1: current value is ${request.limit}`,
    );
  }
  if (rank.size === 0) return { jobs: [] };

  const tasks: Record<string, string> = {};
  [...rank.keys()].forEach((task, i) => tasks[`t${i}`] = task);
  const rows = statements.get(claimSql([...rank.values()])).all({
    ...tasks,
    now: request.now,
    limit: Math.trunc(request.limit),
    worker: request.worker,
    lease_until: request.now + request.leaseMs,
    max: JSON.stringify(request.maxAttempts ?? {}),
  }) as unknown as JobRow[];

  // RETURNING gives rows in update order; put them back in claim order.
  rows.sort((a, b) =>
    rank.get(a.task)! - rank.get(b.task)! || a.priority - b.priority ||
    (a.run_at ?? a.created) - (b.run_at ?? b.created) || a.id - b.id
  );
  const jobs: LeasedJob[] = rows.map((row) => ({ ...toJob(row), token: row.token! }));
  if (jobs.length >= request.limit) return { jobs };

  const { next } = statements.get(nextSql(rank.size)).get(tasks) as { next: number | null };
  return next === null ? { jobs } : { jobs, next };
}
