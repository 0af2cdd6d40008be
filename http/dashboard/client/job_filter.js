/**
 * The jobs page's filter, in its three forms: the route's parameters (`#/jobs?status=failed
 * &query=…`, so a filtered view can be bookmarked and shared without any token in it), the
 * `GET /api/jobs` query string, and the Mongo-style query a bulk action sends
 * (`POST /api/retry`), where tags become the tasks that have them. Pure functions, tested
 * under Deno. @module
 */

/**
 * @typedef {{
 *   status: string[], task: string[], tag: string[], query: string,
 *   sort: "created" | "-created", cursor?: string,
 * }} JobFilter
 */

/** Statuses a retry applies to (as `queue.retry(query)` requeues them). */
export const RETRYABLE = ["failed", "timeout", "cancelled"];

/** @param {string | null} value */
function listOf(value) {
  return (value ?? "").split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/**
 * The filter a route's parameters describe.
 * @param {URLSearchParams} params
 * @returns {JobFilter}
 */
export function filterOf(params) {
  return {
    status: listOf(params.get("status")),
    task: listOf(params.get("task")),
    tag: listOf(params.get("tag")),
    query: params.get("query") ?? "",
    sort: params.get("sort") === "created" ? "created" : "-created",
    cursor: params.get("cursor") ?? undefined,
  };
}

/**
 * The parameters of a filter (a route's, or the API's with `limit`): empty parts left out.
 * @param {JobFilter} filter
 * @param {{ limit?: number, cursor?: string }} [extra]
 */
export function paramsOf(filter, extra = {}) {
  const params = new URLSearchParams();
  if (filter.status.length) params.set("status", filter.status.join(","));
  if (filter.task.length) params.set("task", filter.task.join(","));
  if (filter.tag.length) params.set("tag", filter.tag.join(","));
  if (filter.query.trim() !== "") params.set("query", filter.query.trim());
  params.set("sort", filter.sort);
  if (extra.limit !== undefined) params.set("limit", String(extra.limit));
  const cursor = "cursor" in extra ? extra.cursor : filter.cursor;
  if (cursor !== undefined) params.set("cursor", cursor);
  return params;
}

/**
 * The data query the user typed, parsed: `undefined` when empty.
 * @param {string} text
 * @returns {Record<string, unknown> | undefined}
 * @throws {TypeError} when it is not a JSON object, in the library's message shape
 */
export function parseQuery(text) {
  if (text.trim() === "") return undefined;
  let query;
  try {
    query = JSON.parse(text);
  } catch (error) {
    throw new TypeError(
      `Cannot filter jobs as the query must be JSON (${
        error instanceof Error ? error.message : error
      }): current value is ${text}`,
    );
  }
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    throw new TypeError(
      `Cannot filter jobs as the query must be a JSON object: current value is ${text}`,
    );
  }
  return query;
}

/**
 * The Mongo-style query of what a filter shows, limited to `statuses` when given (a retry
 * only applies to finished jobs). `tasksOfTag` tells which tasks have a tag. `null` when the
 * filter can match nothing (no known task has its tags, or no status is left).
 *
 * @param {JobFilter} filter
 * @param {(tag: string) => string[]} tasksOfTag
 * @param {string[]} [statuses]
 * @returns {Record<string, unknown> | null}
 */
export function queryOf(filter, tasksOfTag, statuses) {
  /** @type {Record<string, unknown>[]} */
  const conditions = [];
  const query = parseQuery(filter.query);
  if (query) conditions.push(query);
  let status = filter.status.length ? filter.status : undefined;
  if (statuses) status = (status ?? statuses).filter((s) => statuses.includes(s));
  if (status?.length === 0) return null;
  if (status) conditions.push({ status: { $in: status } });
  let tasks = filter.task.length ? filter.task : undefined;
  if (filter.tag.length) {
    const ofTags = filter.tag.flatMap(tasksOfTag);
    tasks = tasks ? tasks.filter((task) => ofTags.includes(task)) : ofTags;
    if (tasks.length === 0) return null;
  }
  if (tasks) conditions.push({ task: { $in: tasks } });
  if (conditions.length === 0) return {};
  return conditions.length === 1 ? conditions[0] : { $and: conditions };
}

/**
 * A sentence saying what a filter selects, for a confirmation.
 * @param {JobFilter} filter
 */
export function describeFilter(filter) {
  const parts = [];
  if (filter.status.length) parts.push(`status ${filter.status.join(" or ")}`);
  if (filter.task.length) parts.push(`task ${filter.task.join(" or ")}`);
  if (filter.tag.length) parts.push(`tag ${filter.tag.join(" or ")}`);
  if (filter.query.trim() !== "") parts.push(`query ${filter.query.trim()}`);
  return parts.length ? parts.join(", ") : "every job";
}
