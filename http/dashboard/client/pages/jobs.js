/**
 * The jobs list: filters by status, task, tag and a Mongo-style data query (the search by
 * job data bull-board users have asked for since 2020), pages by the API's opaque cursor, and
 * bulk retry or remove of everything the filter selects, after a confirmation that says how
 * many jobs that is. The filter lives in the route, so the browser's back button and a
 * bookmark both work. The rows reload (at most every 1.5 s) as jobs change state. @module
 */

import { confirmAction } from "../confirm.js";
import { h, replace } from "../dom.js";
import { formatAge, formatCount, formatJsonShort } from "../format.js";
import {
  describeFilter,
  filterOf,
  paramsOf,
  parseQuery,
  queryOf,
  RETRYABLE,
} from "../job_filter.js";
import { coalesce } from "../live.js";
import { notify, notifyError } from "../notice.js";
import { actionButton, jobLink, statusBadge, STATUSES, table } from "../widgets.js";

const PAGE_SIZE = 50;
/** Bulk actions read the matching ids in pages this large. */
const BULK_PAGE = 500;

/**
 * @param {import("../app.js").PageContext} context
 * @param {URLSearchParams} params
 * @returns {import("../app.js").Page}
 */
export function jobsPage(context, params) {
  const { api } = context;
  const filter = filterOf(params);
  /** @type {Map<string, string>} task name → tag, from the stats */
  const tagOfTask = new Map();
  const tasksOfTag = (/** @type {string} */ tag) =>
    [...tagOfTask].filter(([, t]) => t === tag).map(([task]) => task);

  const taskList = h("datalist", { id: "known-tasks" });
  const tagList = h("datalist", { id: "known-tags" });
  const rows = h("div", { class: "rows", "data-test": "job-rows" });
  const pager = h("nav", { class: "pager" });

  const form = h(
    "form",
    { class: "filters", "data-test": "filters", onsubmit: apply },
    h(
      "fieldset",
      { class: "statuses" },
      h("legend", null, "Status"),
      STATUSES.map((status) =>
        h(
          "label",
          null,
          h("input", {
            type: "checkbox",
            name: "status",
            value: status,
            checked: filter.status.includes(status),
          }),
          status,
        )
      ),
    ),
    h(
      "label",
      null,
      "Task",
      h("input", { name: "task", list: "known-tasks", value: filter.task.join(",") }),
    ),
    h(
      "label",
      null,
      "Tag",
      h("input", { name: "tag", list: "known-tags", value: filter.tag.join(",") }),
    ),
    h(
      "label",
      { class: "query" },
      "Data query (JSON, Mongo-style)",
      h("textarea", {
        name: "query",
        rows: 2,
        spellcheck: "false",
        placeholder: '{ "data.user": 42 }',
        value: filter.query,
        "data-test": "query",
      }),
    ),
    h(
      "label",
      null,
      "Order",
      h(
        "select",
        { name: "sort" },
        h("option", { value: "-created", selected: filter.sort === "-created" }, "newest first"),
        h("option", { value: "created", selected: filter.sort === "created" }, "oldest first"),
      ),
    ),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", "data-test": "apply" }, "Filter"),
      h("a", { href: "#/jobs", class: "button" }, "Clear"),
      actionButton(context, "Retry matching…", retryMatching, { test: "bulk-retry" }),
      actionButton(context, "Remove matching…", removeMatching, {
        danger: true,
        test: "bulk-remove",
      }),
    ),
    taskList,
    tagList,
  );
  const element = h("div", { class: "jobs" }, h("h1", null, "Jobs"), form, rows, pager);

  /** @param {Event} event */
  function apply(event) {
    event.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (form));
    const next = {
      status: data.getAll("status").map(String),
      task: String(data.get("task") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      tag: String(data.get("tag") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      query: String(data.get("query") ?? ""),
      sort: /** @type {"created" | "-created"} */ (String(data.get("sort"))),
    };
    try {
      parseQuery(next.query);
    } catch (error) {
      return notifyError(error);
    }
    context.navigate(`#/jobs?${paramsOf(next)}`);
  }

  async function loadKnown() {
    /** @type {any} */
    const stats = await api.get("/api/stats");
    tagOfTask.clear();
    for (const [task, entry] of Object.entries(stats.tasks)) {
      if (entry.tag !== undefined) tagOfTask.set(task, entry.tag);
    }
    replace(taskList, Object.keys(stats.tasks).map((task) => h("option", { value: task })));
    replace(tagList, Object.keys(stats.tags).map((tag) => h("option", { value: tag })));
  }

  async function loadRows() {
    /** @type {any} */
    const page = await api.get(`/api/jobs?${paramsOf(filter, { limit: PAGE_SIZE })}`);
    replace(
      rows,
      table(
        ["job", "task", "status", "attempts", "created", "finished", "data", "error"],
        page.jobs.map((/** @type {any} */ job) => [
          jobLink(job),
          job.task,
          statusBadge(job.status),
          String(job.attempts),
          formatAge(job.created),
          job.finished === undefined
            ? (job.runAt ? `runs ${formatAge(job.runAt)}` : "")
            : formatAge(job.finished),
          h("code", null, formatJsonShort(job.data)),
          job.error?.message ?? "",
        ]),
        "No job matches this filter.",
        (i) => ({ "data-job": page.jobs[i].id }),
      ),
    );
    replace(
      pager,
      filter.cursor !== undefined &&
        h("a", { href: `#/jobs?${paramsOf(filter, { cursor: undefined })}` }, "« first page"),
      page.next !== undefined &&
        h(
          "a",
          { href: `#/jobs?${paramsOf(filter, { cursor: page.next })}`, "data-test": "next-page" },
          "next page »",
        ),
    );
  }

  /**
   * The ids of every job the filter (limited to `statuses`) selects, read page by page.
   * @param {string[]} [statuses]
   */
  async function matchingIds(statuses) {
    const scope = statuses
      ? {
        ...filter,
        status: filter.status.length ? filter.status.filter((s) => statuses.includes(s)) : statuses,
      }
      : filter;
    if (scope.status.length === 0 && statuses) return [];
    /** @type {string[]} */
    const ids = [];
    /** @type {string | undefined} */
    let cursor;
    do {
      /** @type {any} */
      const page = await api.get(
        `/api/jobs?${paramsOf({ ...scope, cursor: undefined }, { limit: BULK_PAGE, cursor })}`,
      );
      for (const job of page.jobs) ids.push(job.id);
      cursor = page.next;
      if (cursor !== undefined) notify(`Reading the matching jobs: ${formatCount(ids.length)}…`);
    } while (cursor !== undefined);
    return ids;
  }

  async function retryMatching() {
    const ids = await matchingIds(RETRYABLE);
    if (ids.length === 0) {
      return notify("No failed, timed-out or cancelled job matches this filter.");
    }
    const isSure = await confirmAction({
      title: "Retry jobs",
      message: `Retry ${formatCount(ids.length)} failed, timed-out or cancelled jobs (${
        describeFilter(filter)
      })?`,
      action: `Retry ${formatCount(ids.length)}`,
    });
    if (!isSure) return;
    const query = queryOf(filter, tasksOfTag, RETRYABLE);
    if (query === null) return notify("No known task has these tags.");
    /** @type {any} */
    const { count } = await api.send("POST", "/api/retry", query);
    notify(`Retried ${formatCount(count)} jobs.`);
    reload();
  }

  async function removeMatching() {
    const ids = await matchingIds();
    if (ids.length === 0) return notify("No job matches this filter.");
    const isSure = await confirmAction({
      title: "Remove jobs",
      message:
        `Remove ${formatCount(ids.length)} jobs (${describeFilter(filter)}) and their logs? ` +
        "Running ones are cancelled first. This cannot be undone.",
      action: `Remove ${formatCount(ids.length)}`,
    });
    if (!isSure) return;
    // The API removes one job per call (`DELETE /api/jobs/:id`); a few calls in flight at
    // once keep it quick without flooding the server.
    let done = 0;
    const next = async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        await api.send("DELETE", `/api/jobs/${encodeURIComponent(id)}`).catch((error) => {
          if (error.status !== 404) throw error; // already gone: that is what was asked
        });
        if (++done % 100 === 0) notify(`Removed ${formatCount(done)}…`);
      }
    };
    await Promise.all(Array.from({ length: 4 }, next));
    notify(`Removed ${formatCount(done)} jobs.`);
    reload();
  }

  const reload = coalesce(() => Promise.all([loadRows(), loadKnown()]), 1500, notifyError);

  return {
    title: "Jobs",
    element,
    events: {
      type: [
        "created",
        "started",
        "completed",
        "failed",
        "timeout",
        "cancelled",
        "retry",
        "stalled",
      ],
    },
    load: () => reload(),
    onEvent: () => reload(),
    dispose: () => reload.cancel(),
  };
}
