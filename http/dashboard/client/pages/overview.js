/**
 * The overview: what an operator wants first (Oban Web's order): counts by status, what is
 * running, what failed lately, completed and failed per minute over the last hour (with each
 * task's run-time p50/p95), counts by tag and by task, and the live workers. It reloads (at
 * most once a second) when jobs change state. Two things change without an event: workers
 * beat, and processors write metrics in batches every 5 s; so the workers also reload every
 * 30 s and the metrics every 10 s (one small request each, not a poll of the page). @module
 */

import { perMinuteChart } from "../chart.js";
import { h, replace } from "../dom.js";
import { formatAge, formatCount, formatDuration, formatJsonShort } from "../format.js";
import { coalesce } from "../live.js";
import { notifyError } from "../notice.js";
import { lastHour } from "../metrics.js";
import { jobLink, statusBadge, STATUSES, table } from "../widgets.js";

/** Events that change a count. */
const STATE_EVENTS = [
  "created",
  "started",
  "completed",
  "failed",
  "timeout",
  "cancelled",
  "retry",
  "stalled",
];

/**
 * @param {import("../app.js").PageContext} context
 * @returns {import("../app.js").Page}
 */
export function overviewPage({ api }) {
  const counts = h("section", { class: "counts", "data-test": "counts" });
  const chartBox = h("div", { class: "chart" });
  const chartNote = h("p", { class: "muted", "data-test": "chart-note" });
  const runTimes = h("section", { "data-test": "run-times" });
  const running = h("section");
  const failures = h("section");
  const byTag = h("section");
  const byTask = h("section");
  const workers = h("section");
  const element = h(
    "div",
    { class: "overview" },
    counts,
    h(
      "section",
      { "data-test": "chart" },
      h("h2", null, "Completed and failed per minute, last hour"),
      chartBox,
      chartNote,
    ),
    h("div", { class: "columns" }, running, failures),
    h("div", { class: "columns" }, byTag, byTask),
    h("div", { class: "columns" }, workers, runTimes),
  );
  const chart = perMinuteChart(chartBox);

  async function loadStats() {
    /** @type {any} */
    const stats = await api.get("/api/stats");
    replace(
      counts,
      h(
        "a",
        { class: "count total", href: "#/jobs", "data-test": "count-total" },
        h("span", { class: "n" }, formatCount(stats.total)),
        h("span", { class: "label" }, "jobs"),
      ),
      STATUSES.map((status) =>
        h(
          "a",
          {
            class: `count ${status}`,
            href: `#/jobs?status=${status}`,
            "data-test": `count-${status}`,
          },
          h("span", { class: "n" }, formatCount(stats.status[status] ?? 0)),
          h("span", { class: "label" }, status),
        )
      ),
    );
    // The statuses some job is in, and always the three an operator looks for.
    const columns = STATUSES.filter((status) =>
      stats.status[status] > 0 || ["queued", "completed", "failed"].includes(status)
    );
    /** @param {string} what @param {Record<string, any>} rows @param {string} param */
    const countTable = (what, rows, param) =>
      table(
        [what, "total", ...columns],
        Object.entries(rows).map(([name, row]) => [
          h("a", { href: `#/jobs?${param}=${encodeURIComponent(name)}` }, name),
          formatCount(row.total),
          ...columns.map((status) => row.status[status] ? formatCount(row.status[status]) : ""),
        ]),
        `No jobs.`,
      );
    replace(byTag, h("h2", null, "By tag"), countTable("tag", stats.tags, "tag"));
    replace(byTask, h("h2", null, "By task"), countTable("task", stats.tasks, "task"));
  }

  /** @param {HTMLElement} section @param {string} title @param {string} query */
  async function loadJobs(section, title, query) {
    /** @type {any} */
    const page = await api.get(`/api/jobs?${query}`);
    replace(
      section,
      h("h2", null, title),
      table(
        ["job", "task", "status", "data"],
        page.jobs.map((/** @type {any} */ job) => [
          jobLink(job),
          job.task,
          statusBadge(job.status),
          formatJsonShort(job.data, 60),
        ]),
        "None.",
      ),
    );
  }

  async function loadWorkers() {
    /** @type {any[]} */
    const list = await api.get("/api/workers");
    replace(
      workers,
      h("h2", null, `Workers (${list.length})`),
      table(
        ["worker", "tags", "tasks", "started", "last beat"],
        list.map((worker) => [
          worker.id,
          worker.tags.join(", "),
          worker.tasks.map((/** @type {any} */ task) => task.name).join(", "),
          formatAge(worker.started),
          formatAge(worker.seen),
        ]),
        "No live worker.",
      ),
    );
  }

  async function loadMetrics() {
    const hour = await lastHour(api);
    if (typeof hour === "string") {
      replace(chartNote, hour);
      replace(runTimes);
      return;
    }
    replace(chartNote);
    chart.update(hour.perMinute);
    replace(
      runTimes,
      h("h2", null, "Last hour by task"),
      table(
        ["task", "completed", "failed", "p50", "p95"],
        hour.tasks.map(([task, overall]) => [
          task,
          formatCount(overall.completed),
          formatCount(overall.failed),
          overall.p50 === null ? "—" : formatDuration(overall.p50),
          overall.p95 === null ? "—" : formatDuration(overall.p95),
        ]),
        "Nothing ran in the last hour.",
      ),
    );
  }

  const reload = coalesce(
    () =>
      Promise.all([
        loadStats(),
        loadJobs(running, "Running", "status=processing&limit=10"),
        loadJobs(failures, "Recent failures", "status=failed,timeout&sort=-created&limit=10"),
        loadWorkers(),
        loadMetrics(),
      ]),
    1000,
    notifyError,
  );
  const beat = setInterval(() => loadWorkers().catch(notifyError), 30_000);
  const tick = setInterval(() => loadMetrics().catch(notifyError), 10_000);

  return {
    title: "Overview",
    element,
    events: { type: STATE_EVENTS },
    load: () => reload(),
    onEvent: () => reload(),
    dispose() {
      reload.cancel();
      clearInterval(beat);
      clearInterval(tick);
      chart.dispose();
    },
  };
}
