/**
 * Mongo-style job queries: validated once at the call site, then either matched in memory
 * (through `sift`) or narrowed by a store's own indexes first.
 *
 * Queries are data, never code: `$where`, function values and operators outside the list
 * below are refused with a `TypeError`, before anything reaches a store. @module
 */

import * as siftModule from "sift";
import type { Job, JobStatus } from "./job.ts";
import { JOB_STATUSES } from "./job.ts";
import type { JobQuery } from "./store.ts";

// sift is CommonJS: its default export arrives as `default` or as the module itself,
// depending on the runtime's interop.
type Tester = (query: object) => (item: unknown) => boolean;
const siftExports = siftModule as unknown as { default?: Tester | { default?: Tester } };
const sift: Tester = typeof siftExports.default === "function"
  ? siftExports.default
  : (siftExports.default?.default as Tester);

/** The operators a query may use. */
export const QUERY_OPERATORS: ReadonlySet<string> = new Set([
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$and",
  "$or",
  "$nor",
  "$not",
  "$regex",
  "$options",
  "$size",
  "$all",
  "$elemMatch",
  "$type",
  "$mod",
]);

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * How deep a query may nest (each object or array one level): MongoDB's own limit for
 * queries, so the MongoDB store never sends one its server refuses. `sift`, which matches
 * queries in memory for the other stores, recurses per level and overflows the stack at
 * about 900 nested `$and`s (1,800 levels) under Deno; 100 keeps far below that.
 */
export const MAX_QUERY_DEPTH = 100;

function checkValue(value: unknown, path: string): void {
  if (typeof value === "function") {
    throw new TypeError(
      `Cannot query jobs as functions are not allowed: current value of ${path} is a function`,
    );
  }
  if (typeof value === "bigint" || typeof value === "symbol") {
    throw new TypeError(
      `Cannot query jobs as ${path} must be JSON: current value is ${String(value)}`,
    );
  }
}

/** A part of a query still to check: its value, path, depth and the key that leads to it. */
type Pending = [value: unknown, path: string, depth: number, key?: string];

/**
 * Walks a query depth first, in key order, with an explicit stack (no recursion, so a deep
 * query gets the RangeError below rather than a stack overflow).
 */
function check(query: object): void {
  const stack: Pending[] = [[query, "", 0]];
  while (stack.length > 0) {
    const [value, path, depth, key] = stack.pop()!;
    if (key !== undefined && key.startsWith("$") && !QUERY_OPERATORS.has(key)) {
      throw new TypeError(
        `Cannot query jobs as operator ${key} is not supported: current value is ${
          describe({ [key]: value })
        }`,
      );
    }
    checkValue(value, path);
    if (
      value === null || typeof value !== "object" || value instanceof RegExp ||
      value instanceof Date
    ) {
      continue;
    }
    if (depth >= MAX_QUERY_DEPTH) {
      throw new RangeError(
        `Cannot query jobs as a query must be nested at most ${MAX_QUERY_DEPTH} levels deep: current value is nested deeper at ${
          path || "the top"
        }`,
      );
    }
    const children: Pending[] = Array.isArray(value)
      ? value.map((item, index) => [item, `${path}[${index}]`, depth + 1])
      : Object.entries(value).map(([name, inner]) => [
        inner,
        path ? `${path}.${name}` : name,
        depth + 1,
        name,
      ]);
    // Reversed, so the first child is checked first, as a recursive walk would.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

/**
 * Checks a query and returns it (an empty query when none is given).
 *
 * @throws {TypeError} when the query is not an object, uses an unknown operator or `$where`,
 * or holds a function
 * @throws {RangeError} when the query nests deeper than {@linkcode MAX_QUERY_DEPTH} levels
 */
export function validateQuery(query: unknown = {}): JobQuery {
  if (query === null || typeof query !== "object" || Array.isArray(query)) {
    throw new TypeError(
      `Cannot query jobs as the query must be an object: current value is ${describe(query)}`,
    );
  }
  check(query);
  return query as JobQuery;
}

/** A predicate for a validated query. */
export function compileQuery(query: JobQuery): (job: Job) => boolean {
  if (Object.keys(query).length === 0) return () => true;
  return sift(query) as (job: Job) => boolean;
}

/** What a store may use to narrow a query by its indexes before matching the rest. */
export interface QueryHints {
  /** Only these statuses can match. */
  status?: JobStatus[];
  /** Only these tasks can match. */
  task?: string[];
}

function valuesOf(condition: unknown): string[] | undefined {
  if (typeof condition === "string") return [condition];
  if (condition && typeof condition === "object" && !Array.isArray(condition)) {
    const keys = Object.keys(condition);
    const operators = condition as Record<string, unknown>;
    if (keys.length === 1 && typeof operators.$eq === "string") return [operators.$eq];
    if (
      keys.length === 1 && Array.isArray(operators.$in) &&
      operators.$in.every((v) => typeof v === "string")
    ) {
      return operators.$in as string[];
    }
  }
  return undefined;
}

/**
 * The top-level `status` and `task` conditions of a query, when they are plain values or
 * `$in`/`$eq` lists. The full query must still be matched afterwards.
 */
export function queryHints(query: JobQuery): QueryHints {
  const hints: QueryHints = {};
  const status = valuesOf(query.status);
  if (status) {
    hints.status = status.filter((s): s is JobStatus => JOB_STATUSES.includes(s as JobStatus));
  }
  const task = valuesOf(query.task);
  if (task) hints.task = task;
  return hints;
}

/** A status's place in a job's life (`JOB_STATUSES` order): how `status` sorts. */
const STATUS_RANK: ReadonlyMap<string, number> = new Map(
  JOB_STATUSES.map((status, rank) => [status, rank]),
);

/** How the values of one sort field compare (both set and different). */
function valueOrder(field: keyof Job): (x: unknown, y: unknown) => number {
  if (field === "id") return (x, y) => compareIds(x as string, y as string);
  if (field === "status") {
    const rank = (status: unknown) => STATUS_RANK.get(status as string) ?? STATUS_RANK.size;
    return (x, y) => rank(x) - rank(y);
  }
  return (x, y) => {
    if (typeof x === "string" && typeof y === "string") return compareStrings(x, y);
    return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
  };
}

/**
 * Orders jobs as `FindOptions.sort` says (default: creation order); see there for the rules
 * every store follows: ids as numbers, strings by code point, statuses in life order, missing
 * values last, ties by creation order.
 */
export function compareJobs(
  sort: { field: keyof Job; direction: 1 | -1 } = { field: "created", direction: 1 },
): (a: Job, b: Job) => number {
  const { field, direction } = sort;
  const compareValues = valueOrder(field);
  return (a, b) => {
    const x = a[field];
    const y = b[field];
    if (x !== y) {
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const order = compareValues(x, y);
      if (order !== 0) return order * direction;
    }
    return (a.created - b.created || compareIds(a.id, b.id)) * direction;
  };
}

const DECIMAL = /^[0-9]+$/;

/**
 * Ids in creation order where a store's ids say it: decimal ids (every built-in store's)
 * compare as numbers, of any length, and go before other ids, which compare as strings
 * ({@linkcode compareStrings}). A total order, so paging by id never skips or repeats a job.
 */
export function compareIds(a: string, b: string): number {
  const isDecimal = DECIMAL.test(a);
  if (isDecimal !== DECIMAL.test(b)) return isDecimal ? -1 : 1;
  if (!isDecimal) return compareStrings(a, b);
  const x = a.replace(/^0+(?=.)/, "");
  const y = b.replace(/^0+(?=.)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : compareStrings(a, b);
}

/**
 * Strings in Unicode code point order, which is also the order of their UTF-8 bytes: the
 * order SQLite (`BINARY`), MongoDB (its simple binary comparison) and Redis use natively, so
 * every store can sort by a string field on its server. It differs from JavaScript's `<`
 * (UTF-16 code units) only between characters above U+FFFF, which UTF-16 writes as
 * surrogates (U+D800–U+DFFF), and U+E000–U+FFFF: code point order puts the former last.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Move surrogates above U+E000–U+FFFF, as their code points (U+10000 and up) are.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
