/**
 * `find` and `count`: narrow by the indexed status and task columns in SQL, match the rest of
 * the query in JavaScript (the same matcher as every store), and page. @module
 */

import type { Job } from "../../src/job.ts";
import { JOB_STATUSES } from "../../src/job.ts";
import { compareJobs, compileQuery, queryHints } from "../../src/query.ts";
import type { FindOptions, JobQuery } from "../../src/store.ts";
import type { Connection } from "./_connection.ts";
import { jobColumns, toJob } from "./_rows.ts";
import { SORT_COLUMNS } from "../_sort_columns.ts";

/** Rows fetched per round trip while matching in JavaScript. */
const BATCH = 500;

interface Narrowed {
  /** The `WHERE` clause (or empty) and its parameters. */
  where: string;
  params: unknown[];
  /** Whether the SQL filter is the whole query, so no match in JavaScript is needed. */
  exact: boolean;
}

/**
 * The SQL part of a query. A task-only query lists every status too, so it still reads the
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
  const params: unknown[] = [hints.status ?? [...JOB_STATUSES]];
  let where = "WHERE j.status = ANY($1::text[])";
  if (hints.task !== undefined) {
    where += " AND j.task = ANY($2::text[])";
    params.push(hints.task);
  }
  return { where, params, exact };
}

/**
 * `ORDER BY` matching {@linkcode compareJobs}: missing values last in both directions, ties by
 * creation time then id. Text columns compare in the "C" collation (by code point, whatever the
 * database's locale), which JavaScript's order by UTF-16 units matches except between astral
 * characters and U+E000–U+FFFF.
 */
function orderBy(sort: FindOptions["sort"]): string | undefined {
  const field = sort?.field ?? "created";
  const column = SORT_COLUMNS[field];
  if (column === undefined) return undefined;
  const dir = (sort?.direction ?? 1) === 1 ? "ASC" : "DESC";
  if (column === "id") return `ORDER BY j.id ${dir}`;
  const tie = `j.created ${dir}, j.id ${dir}`;
  if (column === "created") return `ORDER BY ${tie}`;
  if (column === "status") {
    // Life order, as JOB_STATUSES lists the statuses, not the alphabet.
    return `ORDER BY array_position('{${
      JOB_STATUSES.join(",")
    }}'::text[], j.status) ${dir}, ${tie}`;
  }
  const text = ["task", "key", "worker"].includes(column) ? ' COLLATE "C"' : "";
  return `ORDER BY j.${column}${text} ${dir} NULLS LAST, ${tie}`;
}

/**
 * The SQL range of `options.after` for the creation and id orders (ids of this store are
 * bigints), numbered after `used` parameters; `undefined` for other orders.
 */
function keysetOf(
  options: FindOptions,
  used: number,
): { sql: string; params: unknown[] } | undefined {
  const { after } = options;
  const field = options.sort?.field ?? "created";
  if (after === undefined || !/^[0-9]{1,18}$/.test(after.id)) return undefined;
  const op = (options.sort?.direction ?? 1) === 1 ? ">" : "<";
  if (field === "id") return { sql: `j.id ${op} $${used + 1}::bigint`, params: [after.id] };
  if (field !== "created") return undefined;
  return {
    sql: `(j.created, j.id) ${op} ($${used + 1}::bigint, $${used + 2}::bigint)`,
    params: [after.created, after.id],
  };
}

/** Jobs matching a validated query, ordered and paged. */
export async function find(
  connection: Connection,
  schema: string,
  query: JobQuery,
  options: FindOptions,
): Promise<Job[]> {
  const { where, params, exact } = narrow(query);
  const order = orderBy(options.sort);
  const offset = Math.max(0, Math.trunc(options.offset));
  const limit = Math.max(0, Math.trunc(options.limit));
  if (limit === 0) return [];
  // Keyset paging (`after`): in SQL for the creation and id orders, a range of the ordered
  // read; for other orders the rows before it are skipped here.
  const compare = compareJobs(options.sort);
  const { after } = options;
  const isAfter = (job: Job) => after === undefined || compare(job, after) > 0;
  const range = keysetOf(options, params.length);
  const conditions = [where.replace(/^WHERE /, ""), ...range ? [range.sql] : []].filter(Boolean);
  const select = `SELECT ${jobColumns("j")} FROM "${schema}".jobs j ${
    conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""
  }`;
  const values = [...params, ...range?.params ?? []];

  if (order !== undefined && exact && (after === undefined || range !== undefined)) {
    const n = values.length;
    const rows = await connection.query(
      "find jobs",
      `${select} ${order} LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...values, limit, offset],
    );
    return rows.map(toJob);
  }

  const match = compileQuery(query);
  if (order !== undefined) {
    // Rows arrive in order: skip and take matches, then stop reading.
    const jobs: Job[] = [];
    let skipped = 0;
    for await (const rows of connection.cursor("find jobs", `${select} ${order}`, values, BATCH)) {
      for (const row of rows) {
        const job = toJob(row);
        if (!match(job) || !isAfter(job)) continue;
        if (skipped < offset) skipped++;
        else if (jobs.push(job) >= limit) return jobs;
      }
    }
    return jobs;
  }
  const rows = await connection.query("find jobs", select, values);
  return rows.map(toJob).filter((job) => match(job) && isAfter(job)).sort(compare).slice(
    offset,
    offset + limit,
  );
}

/** How many jobs match a validated query. */
export async function count(
  connection: Connection,
  schema: string,
  query: JobQuery,
): Promise<number> {
  const { where, params, exact } = narrow(query);
  if (exact) {
    const [{ n }] = await connection.query(
      "count jobs",
      `SELECT count(*) AS n FROM "${schema}".jobs j ${where}`,
      params,
    );
    return Number(n);
  }
  const match = compileQuery(query);
  let n = 0;
  const select = `SELECT ${jobColumns("j")} FROM "${schema}".jobs j ${where}`;
  for await (const rows of connection.cursor("count jobs", select, params, BATCH)) {
    for (const row of rows) if (match(toJob(row))) n++;
  }
  return n;
}
