/**
 * Pages in creation or id order straight from the indexes, for queries of plain `status` and
 * `task` conditions (every job list of the HTTP API): `find` with `after` reads only the page,
 * never the jobs before it, whatever the size of the table. @module
 */

import type { Job } from "../../src/job.ts";
import type { QueryHints } from "../../src/query.ts";
import type { FindOptions } from "../../src/store.ts";
import { JOB_COLUMNS, type JobRow, toJob } from "./_rows.ts";
import type { Statements } from "./_statements.ts";

/** SQL conditions and their parameters: one index range, or the keyset of `after`. */
export interface Lane {
  where: string[];
  params: (string | number)[];
}

/**
 * Above this many (status, task) pairs a query reads one lane per status (or per task) and
 * filters the other column, instead of one lane per pair.
 */
const MAX_PAIRS = 32;

function list(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/**
 * The index ranges that together hold exactly the matches, each read in order: one per
 * status (`jobs_status_created`), per task (`jobs_task_created`), per pair (`jobs_status`),
 * or the whole table (`jobs_created`, or the primary key for id order).
 */
function lanes(hints: QueryHints): Lane[] {
  const status = hints.status && [...new Set(hints.status)];
  const task = hints.task && [...new Set(hints.task)];
  if (status === undefined && task === undefined) return [{ where: [], params: [] }];
  if (status === undefined) return task!.map((t) => ({ where: ["task = ?"], params: [t] }));
  if (task === undefined) return status.map((s) => ({ where: ["status = ?"], params: [s] }));
  if (status.length * task.length <= MAX_PAIRS) {
    return status.flatMap((s) =>
      task.map((t) => ({ where: ["status = ?", "task = ?"], params: [s, t] }))
    );
  }
  if (status.length <= task.length) {
    return status.map((s) => ({
      where: ["status = ?", `task IN (${list(task.length)})`],
      params: [s, ...task],
    }));
  }
  return task.map((t) => ({
    where: ["task = ?", `status IN (${list(status.length)})`],
    params: [t, ...status],
  }));
}

/**
 * The keyset condition for `after`: rows strictly after it in the order. SQLite reads a row
 * value comparison as an index range, seeking straight to `(created, id)`.
 */
export function keyset(options: FindOptions): Lane | undefined {
  const { after } = options;
  if (after === undefined || !canFindByKeyset(options)) return undefined;
  const field = options.sort?.field ?? "created";
  const op = (options.sort?.direction ?? 1) === 1 ? ">" : "<";
  const id = Number(after.id);
  return field === "id"
    ? { where: [`id ${op} ?`], params: [id] }
    : { where: [`(created, id) ${op} (?, ?)`], params: [after.created, id] };
}

/** Whether {@linkcode findByKeyset} can serve this order and `after`. */
export function canFindByKeyset(options: FindOptions): boolean {
  const field = options.sort?.field ?? "created";
  // Ids of this store are decimal; any other `after.id` is matched the general way.
  return (field === "created" || field === "id") &&
    (options.after === undefined || /^[0-9]{1,15}$/.test(options.after.id));
}

/**
 * Jobs matching exactly `hints` (the query has no other condition), in creation or id order,
 * after `options.after`, paged. One lane reads its page of rows directly. Several lanes read
 * only `(created, id)` of at most `offset + limit` entries each, from their index alone (it
 * covers both), merge those keys here, and then read the page's rows by id.
 */
export function findByKeyset(
  statements: Statements,
  hints: QueryHints,
  options: FindOptions,
  offset: number,
  limit: number,
): Job[] {
  const field = options.sort?.field === "id" ? "id" : "created";
  const direction = options.sort?.direction ?? 1;
  const dir = direction === 1 ? "ASC" : "DESC";
  const order = field === "id" ? `ORDER BY id ${dir}` : `ORDER BY created ${dir}, id ${dir}`;
  const after = keyset(options);
  const all = lanes(hints);
  const select = (columns: string, lane: Lane, take: number[]) => {
    const where = [...lane.where, ...after?.where ?? []];
    const sql = `SELECT ${columns} FROM jobs ${
      where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""
    } ${order} LIMIT ? OFFSET ?`;
    return statements.get(sql).all(...lane.params, ...after?.params ?? [], ...take);
  };
  if (all.length === 1) {
    return select(JOB_COLUMNS, all[0], [limit, offset]).map((row) =>
      toJob(row as unknown as JobRow)
    );
  }
  const keys: Key[] = [];
  for (const lane of all) {
    keys.push(...select("created, id", lane, [offset + limit, 0]) as unknown as Key[]);
  }
  const page = keys.sort(field === "id" ? byId(direction) : byCreated(direction))
    .slice(offset, offset + limit);
  if (page.length === 0) return [];
  const rows = statements.get(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE id IN (SELECT value FROM json_each(?))`,
  ).all(JSON.stringify(page.map((key) => key.id))) as unknown as JobRow[];
  const byKey = new Map(rows.map((row) => [row.id, row]));
  return page.flatMap((key) => {
    const row = byKey.get(key.id);
    return row ? [toJob(row)] : [];
  });
}

/** A row's place in creation order. */
interface Key {
  created: number;
  id: number;
}

function byCreated(direction: 1 | -1): (a: Key, b: Key) => number {
  return (a, b) => (a.created - b.created || a.id - b.id) * direction;
}

function byId(direction: 1 | -1): (a: Key, b: Key) => number {
  return (a, b) => (a.id - b.id) * direction;
}
