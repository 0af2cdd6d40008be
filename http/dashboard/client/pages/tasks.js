/**
 * Tasks and workers: every task this server or a live worker defined (tag, description,
 * timeout, retry policy, rate and concurrency limits, who runs it), and the live workers with
 * their heartbeats. Heartbeats are not events, so the page reloads every 30 s. @module
 */

import { h, replace } from "../dom.js";
import { formatAge, formatDuration } from "../format.js";
import { coalesce } from "../live.js";
import { notifyError } from "../notice.js";
import { table } from "../widgets.js";

/** @param {any} retry */
function retryText(retry) {
  if (!retry) return "none";
  const max = retry.max === undefined ? "unlimited" : `${retry.max}×`;
  return `${max} after ${formatDuration(retry.delay)} (${retry.backoff})`;
}

/**
 * @param {import("../app.js").PageContext} context
 * @returns {import("../app.js").Page}
 */
export function tasksPage({ api }) {
  const tasks = h("section", { "data-test": "tasks" });
  const workers = h("section", { "data-test": "workers" });
  const element = h("div", { class: "tasks" }, h("h1", null, "Tasks and workers"), tasks, workers);

  async function load() {
    /** @type {[any[], any[]]} */
    const [taskList, workerList] = await Promise.all([
      api.get("/api/tasks"),
      api.get("/api/workers"),
    ]);
    replace(
      tasks,
      h("h2", null, "Tasks"),
      table(
        ["task", "tag", "description", "timeout", "retry", "rate", "concurrency", "workers"],
        taskList.map((task) => [
          h("a", { href: `#/jobs?task=${encodeURIComponent(task.name)}` }, task.name),
          task.tag,
          task.description ?? "",
          task.timeout === undefined ? "none" : formatDuration(task.timeout),
          retryText(task.retry),
          task.rate ? `${task.rate.max} per ${formatDuration(task.rate.per)}` : "",
          task.concurrency === undefined ? "" : String(task.concurrency),
          String(task.workers?.length ?? 0),
        ]),
        "No task is known: none is defined here and no live worker recorded any.",
      ),
    );
    replace(
      workers,
      h("h2", null, "Workers"),
      table(
        ["worker", "host", "pid", "tags", "tasks", "started", "last beat"],
        workerList.map((worker) => [
          worker.id,
          worker.host ?? "",
          worker.pid === undefined ? "" : String(worker.pid),
          worker.tags.join(", "),
          worker.tasks.map((/** @type {any} */ task) => task.name).join(", "),
          formatAge(worker.started),
          formatAge(worker.seen),
        ]),
        "No live worker.",
      ),
    );
  }
  const reload = coalesce(load, 1000, notifyError);
  const beat = setInterval(reload, 30_000);

  return {
    title: "Tasks and workers",
    element,
    events: null,
    load: () => reload(),
    dispose() {
      reload.cancel();
      clearInterval(beat);
    },
  };
}
