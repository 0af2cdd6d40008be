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

function check(value: unknown, path: string): void {
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
  if (
    value === null || typeof value !== "object" || value instanceof RegExp || value instanceof Date
  ) {
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => check(item, `${path}[${index}]`));
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith("$") && !QUERY_OPERATORS.has(key)) {
      throw new TypeError(
        `Cannot query jobs as operator ${key} is not supported: current value is ${
          describe({ [key]: inner })
        }`,
      );
    }
    check(inner, path ? `${path}.${key}` : key);
  }
}

/**
 * Checks a query and returns it (an empty query when none is given).
 *
 * @throws {TypeError} when the query is not an object, uses an unknown operator or `$where`,
 * or holds a function
 */
export function validateQuery(query: unknown = {}): JobQuery {
  if (query === null || typeof query !== "object" || Array.isArray(query)) {
    throw new TypeError(
      `Cannot query jobs as the query must be an object: current value is ${describe(query)}`,
    );
  }
  check(query, "");
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

/** Orders jobs as `FindOptions.sort` says (default: creation order). */
export function compareJobs(
  sort: { field: keyof Job; direction: 1 | -1 } = { field: "created", direction: 1 },
): (a: Job, b: Job) => number {
  const { field, direction } = sort;
  return (a, b) => {
    const x = a[field] as number | string | undefined;
    const y = b[field] as number | string | undefined;
    if (x !== y) {
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return (x < y ? -1 : 1) * direction;
    }
    return (a.created - b.created || compareIds(a.id, b.id)) * direction;
  };
}

/** Ids compare numerically when both are numbers, else as strings. */
export function compareIds(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}
