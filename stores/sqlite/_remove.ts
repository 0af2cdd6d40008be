/**
 * `remove`: whole statuses (and tasks) at once, or, narrowed by `before`, `keep` and `limit`,
 * the oldest finished jobs first, read from the `jobs_finished` index. @module
 */

import { isFinalStatus, type JobStatus } from "../../src/job.ts";
import type { RemoveFilter } from "../../src/store.ts";
import type { Statements } from "./_statements.ts";

/** The `WHERE` of the partial index `jobs_finished`, repeated so the planner may use it. */
const FINISHED = "finished IS NOT NULL";
/** Where a job without a finish time sorts: after every finished one (it is the newest). */
const UNFINISHED_AT = Number.MAX_SAFE_INTEGER;

/*
 * How a narrowed remove stays bounded: one arm per status, each reading its status's range
 * of `jobs_finished` (final statuses always have `finished`) from the oldest entry and
 * stopping after `limit` matches, so a sweep of 1,000 jobs reads about 1,000 index entries
 * however many finished jobs the file holds. The arms are merged by (finished, id), as the
 * claim merges its per-task arms.
 *
 * `keep` first finds the oldest job it spares: the `keep`-th newest match, `keep` entries
 * read from the newest end of each arm. Only jobs before it, in (finished, id) order, may go.
 * Statuses that are not final (a filter may name them) have no `finished`, so `before` spares
 * them all, and otherwise they sort after every finished job, as the memory store does.
 */

/** A condition on a job, given the SQL of its finish time. */
type Term = (f: string) => string;

/** One status's matches as `(id, f)`, `f` the finish time; `order` is `ASC` or `DESC`. */
function arm(status: JobStatus, i: number, where: Term[], order: "ASC" | "DESC"): string {
  const final = isFinalStatus(status);
  const f = final ? "finished" : `coalesce(finished, ${UNFINISHED_AT})`;
  const from = final ? "jobs INDEXED BY jobs_finished" : "jobs";
  const terms = [`status = :s${i}`, ...(final ? [FINISHED] : []), ...where.map((t) => t(f))];
  return `SELECT * FROM (SELECT id, ${f} AS f FROM ${from} WHERE ${terms.join(" AND ")}
    ORDER BY f ${order}, id ${order} LIMIT :take)`;
}

/** The merged arms, ordered and limited. */
function merged(statuses: JobStatus[], where: Term[], order: "ASC" | "DESC"): string {
  return `SELECT id, f FROM (${
    statuses.map((status, i) => arm(status, i, where, order)).join(" UNION ALL ")
  }) ORDER BY f ${order}, id ${order}`;
}

/** Deletes every job of the filter's statuses (and tasks), their logs with them. */
function removeAll(statements: Statements, filter: RemoveFilter): number {
  const where = filter.tasks === undefined
    ? "status IN (SELECT value FROM json_each(?))"
    : "status IN (SELECT value FROM json_each(?)) AND task IN (SELECT value FROM json_each(?))";
  const params = [JSON.stringify(filter.status)];
  if (filter.tasks !== undefined) params.push(JSON.stringify(filter.tasks));
  return Number(statements.get(`DELETE FROM jobs WHERE ${where}`).run(...params).changes);
}

/**
 * Deletes the jobs `filter` selects, with their logs; the caller holds the transaction, so
 * the spared boundary and the delete see the same jobs.
 *
 * @returns how many were deleted
 */
export function remove(statements: Statements, filter: RemoveFilter): number {
  const { before, keep, limit } = filter;
  if (before === undefined && keep === undefined && limit === undefined) {
    return removeAll(statements, filter);
  }
  const statuses = [...new Set(filter.status)];
  if (statuses.length === 0 || (limit !== undefined && !(limit >= 1))) return 0;
  const params: Record<string, number | string> = {};
  statuses.forEach((status, i) => params[`s${i}`] = status);
  const where: Term[] = [];
  if (filter.tasks !== undefined) {
    where.push(() => "task IN (SELECT value FROM json_each(:tasks))");
    params.tasks = JSON.stringify(filter.tasks);
  }

  if (keep !== undefined && keep >= 1) {
    const spared = Math.trunc(keep);
    const oldestKept = statements.get(
      `${merged(statuses, where, "DESC")} LIMIT 1 OFFSET :offset`,
    ).get({ ...params, take: spared, offset: spared - 1 }) as
      | { id: number; f: number }
      | undefined;
    if (oldestKept === undefined) return 0;
    where.push((f) => `(${f} < :kept_f OR (${f} = :kept_f AND id < :kept_id))`);
    params.kept_f = oldestKept.f;
    params.kept_id = oldestKept.id;
  }
  if (before !== undefined) {
    where.push(() => "finished < :before");
    params.before = before;
  }
  const take = limit === undefined ? -1 : Math.trunc(limit);
  return Number(
    statements.get(
      `DELETE FROM jobs WHERE id IN (SELECT id FROM (${
        merged(statuses, where, "ASC")
      } LIMIT :take))`,
    ).run({ ...params, take }).changes,
  );
}
