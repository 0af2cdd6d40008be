/**
 * `find` and `count`: narrow by the indexed status and task columns in SQL, match the rest of
 * the query in memory, and page; pages of plain status/task queries come from the indexes
 * alone (`_keyset.ts`). @module
 */

import type { Job } from "../../src/job.ts";
import { JOB_STATUSES } from "../../src/job.ts";
import { compareJobs, compileQuery, queryHints } from "../../src/query.ts";
import type { FindOptions, JobQuery } from "../../src/store.ts";
import { canFindByKeyset, findByKeyset, inCreatedOrder, keyset } from "./_keyset.ts";
import { JOB_COLUMNS, type JobRow, toJob } from "./_rows.ts";
import { SORT_COLUMNS } from "../_sort_columns.ts";
import type { Statements } from "./_statements.ts";

interface Narrowed {
  /** The `WHERE` clause (or empty) and its parameters. */
  where: string;
  params: string[];
  /** Whether the SQL filter is the whole query, so no match in memory is needed. */
  exact: boolean;
}

function list(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/**
 * The SQL part of a query. A task-only query lists every status too, so it still walks the
 * `(status, task)` index (a few seeks) instead of the whole table.
 */
function narrow(query: JobQuery): Narrowed {
  const hints = queryHints(query);
  const keys = Object.keys(query);
  const exact = keys.every((key) =>
    (key === "status" && hints.status !== undefined) || (key === "task" && hints.task !== undefined)
  );
  if (hints.status === undefined && hints.task === undefined) {
    return { where: "", params: [], exact: keys.length === 0 };
  }
  const status = hints.status ?? [...JOB_STATUSES];
  const params: string[] = [...status];
  let where = `WHERE status IN (${list(status.length)})`;
  if (hints.task !== undefined) {
    where += ` AND task IN (${list(hints.task.length)})`;
    params.push(...hints.task);
  }
  return { where, params, exact };
}

/** `status` in life order (`JOB_STATUSES`), as {@linkcode compareJobs} sorts it. */
const STATUS_RANK = `CASE status ${
  JOB_STATUSES.map((status, rank) => `WHEN '${status}' THEN ${rank}`).join(" ")
} ELSE ${JOB_STATUSES.length} END`;

/**
 * `ORDER BY` matching {@linkcode compareJobs}: ids as the integers they are, statuses in life
 * order, text by its UTF-8 bytes (SQLite's `BINARY`, which is code point order, as
 * `compareStrings` sorts), missing values last in both directions, ties by creation time then
 * id.
 */
function orderBy(sort: FindOptions["sort"]): string | undefined {
  const field = sort?.field ?? "created";
  const column = SORT_COLUMNS[field];
  if (column === undefined) return undefined;
  const dir = (sort?.direction ?? 1) === 1 ? "ASC" : "DESC";
  if (column === "id") return `ORDER BY id ${dir}`;
  const tie = `created ${dir}, id ${dir}`;
  if (column === "created") return `ORDER BY ${tie}`;
  if (column === "status") return `ORDER BY ${STATUS_RANK} ${dir}, ${tie}`;
  return `ORDER BY (${column} IS NULL), ${column} ${dir}, ${tie}`;
}

/**
 * Jobs matching a validated query, ordered and paged. A query of plain status and task
 * conditions in creation or id order reads its page from the indexes (`_keyset.ts`); others
 * narrow by status and task in SQL and match the rest here, `after` by the keyset in SQL when
 * the order allows it, else here.
 */
export function find(statements: Statements, query: JobQuery, options: FindOptions): Job[] {
  const { where, params, exact } = narrow(query);
  const order = orderBy(options.sort);
  const offset = Math.max(0, Math.trunc(options.offset));
  const limit = Math.max(0, Math.trunc(options.limit));
  if (limit === 0) return [];
  if (exact && canFindByKeyset(options)) {
    return findByKeyset(statements, queryHints(query), options, offset, limit);
  }
  const { after } = options;
  if (order !== undefined && exact && after === undefined) {
    const rows = statements.get(
      `SELECT ${JOB_COLUMNS} FROM jobs ${where} ${order} LIMIT ? OFFSET ?`,
    )
      .all(...params, limit, offset) as unknown as JobRow[];
    return rows.map(toJob);
  }

  const match = compileQuery(query);
  const compare = compareJobs(options.sort);
  const isAfter = (job: Job) => after === undefined || compare(job, after) > 0;
  const range = keyset(options);
  const conditions = [where.replace(/^WHERE /, ""), ...range?.where ?? []].filter(Boolean);
  const statement = () =>
    statements.get(
      `SELECT ${JOB_COLUMNS} FROM jobs ${
        conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""
      } ${order ?? ""}`,
    );
  const values = [...params, ...range?.params ?? []];
  if (order !== undefined) {
    // Rows arrive in order: skip and take matches, then stop reading. The jobs of statuses or
    // tasks in creation order are their (status, task) lanes merged (see `inCreatedOrder`).
    const hints = queryHints(query);
    const lanes = hints.status !== undefined || hints.task !== undefined;
    const rows = lanes && (options.sort?.field ?? "created") === "created"
      ? inCreatedOrder(statements, hints, options)
      : statement().iterate(...values) as Iterable<JobRow>;
    const jobs: Job[] = [];
    let skipped = 0;
    for (const row of rows) {
      const job = toJob(row);
      if (!match(job) || !isAfter(job)) continue;
      if (skipped < offset) skipped++;
      else if (jobs.push(job) >= limit) break;
    }
    return jobs;
  }
  const rows = statement().all(...values) as unknown as JobRow[];
  return rows.map(toJob).filter((job) => match(job) && isAfter(job)).sort(compare).slice(
    offset,
    offset + limit,
  );
}

/** How many jobs match a validated query. */
export function count(statements: Statements, query: JobQuery): number {
  const { where, params, exact } = narrow(query);
  if (exact) {
    return (statements.get(`SELECT count(*) AS n FROM jobs ${where}`).get(...params) as {
      n: number;
    }).n;
  }
  const match = compileQuery(query);
  let n = 0;
  for (const row of statements.get(`SELECT ${JOB_COLUMNS} FROM jobs ${where}`).iterate(...params)) {
    if (match(toJob(row as unknown as JobRow))) n++;
  }
  return n;
}
