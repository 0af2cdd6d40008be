/**
 * Pages in creation or id order straight from the indexes, for queries of plain `status` and
 * `task` conditions (every job list of the HTTP API): `find` with `after` reads only the page,
 * never the jobs before it, whatever the size of the table. @module
 */

import { type Job, JOB_STATUSES } from "../../src/job.ts";
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
 * The tasks that have jobs of `status`, each found by one seek of `jobs_status (status, task,
 * created)` past the one before (a skip scan), so the cost is per task, not per job.
 */
function tasksOf(statements: Statements, status: string): string[] {
  const rows = statements.get(
    `WITH RECURSIVE t(task) AS (
       SELECT (SELECT min(task) FROM jobs WHERE status = ?1)
       UNION ALL
       SELECT (SELECT min(task) FROM jobs WHERE status = ?1 AND task > t.task)
       FROM t WHERE t.task IS NOT NULL
     ) SELECT task FROM t WHERE task IS NOT NULL`,
  ).all(status) as { task: string }[];
  return rows.map((row) => row.task);
}

/**
 * The index ranges that together hold exactly the matches, each read in order: one per
 * (status, task) pair (`jobs_status`), or the whole table (`jobs_created`, or the primary key
 * for id order). A status without tasks is read as its pairs with the tasks that have jobs of
 * it, and a task without statuses as its pairs with every status: schema 7 dropped
 * `jobs_status_created` (whose entries every claim and settle rewrote) and `jobs_task_created`
 * (one more entry per add), and `jobs_status` holds jobs in creation order per pair only.
 */
export function lanes(statements: Statements, hints: QueryHints): Lane[] {
  const status = hints.status && [...new Set(hints.status)];
  const task = hints.task && [...new Set(hints.task)];
  if (status === undefined && task === undefined) return [{ where: [], params: [] }];
  return (status ?? JOB_STATUSES).flatMap((s) =>
    (task ?? tasksOf(statements, s)).map((t) => ({
      where: ["status = ?", "task = ?"],
      params: [s, t],
    }))
  );
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
  const all = lanes(statements, hints);
  if (all.length === 0) return [];
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

/** Rows a lane of {@linkcode inCreatedOrder} reads at a time. */
const CHUNK = 64;

/**
 * The rows of every lane of `hints`, after `options.after`, in creation order: each lane is
 * read in index order and the lanes are merged here, so a query with more conditions than the
 * indexes hold reads only as far as its page (no sort of every job of a status). Lanes share
 * one cached statement, so each reads a chunk at a time, from the keyset of its last row.
 */
export function* inCreatedOrder(
  statements: Statements,
  hints: QueryHints,
  options: FindOptions,
): Generator<JobRow> {
  const direction = options.sort?.direction ?? 1;
  const dir = direction === 1 ? "ASC" : "DESC";
  const op = direction === 1 ? ">" : "<";
  const read = (lane: Lane, from: Key | undefined): JobRow[] => {
    const where = from === undefined ? lane.where : [...lane.where, `(created, id) ${op} (?, ?)`];
    const params = from === undefined ? lane.params : [...lane.params, from.created, from.id];
    return statements.get(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE ${where.join(" AND ")}
       ORDER BY created ${dir}, id ${dir} LIMIT ${CHUNK}`,
    ).all(...params) as unknown as JobRow[];
  };
  const after = keyset(options) && options.after;
  const start = after && { created: after.created, id: Number(after.id) };
  const heads: { lane: Lane; rows: JobRow[]; at: number }[] = [];
  for (const lane of lanes(statements, hints)) {
    const rows = read(lane, start);
    if (rows.length > 0) heads.push({ lane, rows, at: 0 });
  }
  const order = byCreated(direction);
  while (heads.length > 0) {
    // Few lanes (statuses × tasks): a linear pick of the least head beats a heap here.
    let least = 0;
    for (let i = 1; i < heads.length; i++) {
      const a = heads[i], b = heads[least];
      if (order(a.rows[a.at], b.rows[b.at]) < 0) least = i;
    }
    const head = heads[least];
    const row = head.rows[head.at++];
    yield row;
    if (head.at < head.rows.length) continue;
    head.rows = head.rows.length < CHUNK ? [] : read(head.lane, row);
    head.at = 0;
    if (head.rows.length === 0) heads.splice(least, 1);
  }
}
