/**
 * Kinetik's job queries as MongoDB filters. The query language is MongoDB's own, so most of a
 * query goes to the server as it is; only field names are mapped (`id` → `_id`), and what the
 * server cannot answer exactly is matched in memory afterwards. @module
 */

import { type Job, JOB_STATUSES } from "../../src/job.ts";
import type { FindOptions, JobQuery } from "../../src/store.ts";
import { documentId, RECORD_FIELDS } from "./_documents.ts";

/** A filter for the server, and whether it is the whole query. */
export interface Translated {
  /** Matches every job the query matches (and, when `exact` is false, maybe more). */
  filter: Record<string, unknown>;
  /** When false, the query must still be matched in memory on what the filter returns. */
  exact: boolean;
}

/** Operators on `id` whose string values map one to one onto numeric `_id`s. */
const ID_OPERATORS = new Set(["$eq", "$ne", "$in", "$nin", "$exists"]);

/** A record id as the value `_id` holds: a number, or the string itself, which matches nothing. */
function idValue(value: unknown): unknown {
  return typeof value === "string" ? documentId(value) ?? value : value;
}

/** The `_id` condition for an `id` condition, or `undefined` when it cannot be mapped. */
function idCondition(condition: unknown): unknown {
  if (typeof condition === "string") return idValue(condition);
  if (condition === null || typeof condition !== "object" || Array.isArray(condition)) {
    return undefined;
  }
  if (condition instanceof RegExp) return undefined;
  const mapped: Record<string, unknown> = {};
  for (const [operator, value] of Object.entries(condition)) {
    if (!ID_OPERATORS.has(operator)) return undefined;
    if (operator === "$exists") mapped.$exists = value;
    else if (operator === "$in" || operator === "$nin") {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return undefined;
      mapped[operator] = value.map(idValue);
    } else if (typeof value === "string") mapped[operator] = idValue(value);
    else return undefined;
  }
  return mapped;
}

/**
 * One `field: condition` pair as a server condition, or `undefined` when the server cannot
 * answer it as the in-memory matcher would: `id` with operators other than (in)equality, and
 * fields that are not part of a record (such as the store's own `_` fields).
 */
function translateField(path: string, condition: unknown): [string, unknown] | undefined {
  const head = path.split(".")[0];
  if (head === "id") {
    if (path !== "id") return undefined;
    const mapped = idCondition(condition);
    return mapped === undefined ? undefined : ["_id", mapped];
  }
  if (!RECORD_FIELDS.includes(head as keyof Job)) return undefined;
  return [path, condition];
}

/** A whole sub-query (inside `$and`/`$or`/`$nor`), or `undefined` when any part is not exact. */
function translateExact(query: Record<string, unknown>): Record<string, unknown> | undefined {
  const { filter, exact } = translateQuery(query);
  return exact ? filter : undefined;
}

/**
 * Translates a validated query. Top-level conditions are a conjunction, so one the server
 * cannot answer is left out of the filter (which then matches more, never less) and the whole
 * query is matched in memory too.
 */
export function translateQuery(query: JobQuery): Translated {
  const filter: Record<string, unknown> = {};
  let exact = true;
  for (const [key, condition] of Object.entries(query)) {
    if (key === "$and" || key === "$or" || key === "$nor") {
      const parts = Array.isArray(condition)
        ? condition.map((part) =>
          part && typeof part === "object" && !Array.isArray(part)
            ? translateExact(part as Record<string, unknown>)
            : undefined
        )
        : [undefined];
      if (parts.every((part) => part !== undefined)) filter[key] = parts;
      else exact = false;
      continue;
    }
    if (key === "result" || key.startsWith("result.")) {
      // A result too deep for a document is JSON text (`_resultJson`, see `_depth.ts`), which
      // the server cannot look into: it sends those jobs along, and the match in memory, on
      // the parsed result, decides.
      const either = { $or: [{ [key]: condition }, { _resultJson: { $exists: true } }] };
      filter.$and = [...(filter.$and as unknown[] ?? []), either];
      exact = false;
      continue;
    }
    const mapped = key.startsWith("$") ? undefined : translateField(key, condition);
    if (mapped === undefined) {
      exact = false;
      continue;
    }
    const [field, value] = mapped;
    if (field in filter) {
      // Two keys naming one field (`id` and `_id` cannot both be record keys, but be safe).
      filter.$and = [...(filter.$and as unknown[] ?? []), { [field]: value }];
    } else filter[field] = value;
  }
  return { filter, exact };
}

/** Fields that every document has, so sorting on them needs no care for missing values. */
const ALWAYS_SET = new Set<keyof Job>(["id", "task", "status", "created", "attempts", "priority"]);
/** Scalar fields that may be missing: sorted with missing values last, as in memory. */
const SOMETIMES_SET = new Set<keyof Job>([
  "runAt",
  "key",
  "started",
  "finished",
  "worker",
  "leaseUntil",
  "maxAttempts",
  "timeout",
]);

/** How the server orders a `find`. */
export interface ServerSort {
  /** The sort document: the field (or its computed key), then `created`, then `_id`. */
  sort: Record<string, 1 | -1>;
  /**
   * Keys computed for the sort (an aggregation's `$addFields`, removed again afterwards), when
   * the field's own values do not sort as `compareJobs` does.
   */
  computed?: Record<string, unknown>;
}

/**
 * The server's order for `FindOptions.sort`, matching `compareJobs`: `_id` is numeric, so ids
 * sort as numbers; strings compare by their UTF-8 bytes (MongoDB's simple binary comparison,
 * which is code point order, as `compareStrings`); statuses by their place in `JOB_STATUSES`
 * (a computed `_rank`, not alphabetically); missing values last in both directions (a
 * computed `_missing`); ties by creation time then id. `undefined` for fields without a
 * scalar order (data, error, progress), which are sorted in memory.
 */
export function serverSort(sort: FindOptions["sort"]): ServerSort | undefined {
  const field = sort?.field ?? "created";
  const direction = sort?.direction ?? 1;
  if (field === "id") return { sort: { _id: direction } };
  if (field === "created") return { sort: { created: direction, _id: direction } };
  if (field === "status") {
    return {
      sort: { _rank: direction, created: direction, _id: direction },
      computed: { _rank: { $indexOfArray: [{ $literal: JOB_STATUSES }, "$status"] } },
    };
  }
  const ordered = { sort: { [field]: direction, created: direction, _id: direction } };
  if (ALWAYS_SET.has(field)) return ordered;
  if (SOMETIMES_SET.has(field)) {
    return {
      sort: { _missing: 1, ...ordered.sort },
      computed: { _missing: { $cond: [{ $eq: [{ $type: `$${field}` }, "missing"] }, 1, 0] } },
    };
  }
  return undefined;
}
