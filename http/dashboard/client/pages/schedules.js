/**
 * Schedules and pauses: the stored schedules with their next fire time, and what is paused,
 * with pause and resume buttons for every known tag and task. A pause is stored, so it
 * reaches every worker on the store; running jobs finish. @module
 */

import { h, replace } from "../dom.js";
import { formatAge, formatDuration, formatTime } from "../format.js";
import { coalesce } from "../live.js";
import { notify, notifyError } from "../notice.js";
import { actionButton, table } from "../widgets.js";

/**
 * @param {import("../app.js").PageContext} context
 * @returns {import("../app.js").Page}
 */
export function schedulesPage(context) {
  const { api } = context;
  const schedules = h("section", { "data-test": "schedules" });
  const pauses = h("section", { "data-test": "pauses" });
  const element = h(
    "div",
    { class: "schedules" },
    h("h1", null, "Schedules and pauses"),
    schedules,
    pauses,
  );

  /**
   * @param {"pause" | "resume"} verb
   * @param {"tags" | "tasks"} kind
   * @param {string} name
   */
  const toggle = (verb, kind, name) => async () => {
    await api.send("POST", `/api/${verb}`, { [kind]: [name] });
    notify(
      `${verb === "pause" ? "Paused" : "Resumed"} ${kind === "tags" ? "tag" : "task"} ${name}.`,
    );
    reload();
  };

  async function load() {
    // A store may lack schedules or pauses (the API answers 501 with the reason): that
    // section says so, the other one still shows.
    const [list, paused, tasks, stats] = await Promise.all([
      api.get("/api/schedules").catch((/** @type {Error} */ error) => error),
      api.get("/api/paused").catch((/** @type {Error} */ error) => error),
      api.get("/api/tasks"),
      api.get("/api/stats"),
    ]);
    replace(
      schedules,
      h("h2", null, "Schedules"),
      list instanceof Error ? h("p", { class: "error" }, list.message) : table(
        ["schedule", "task", "when", "time zone", "next"],
        list.map((/** @type {any} */ schedule) => [
          schedule.id,
          h("a", { href: `#/jobs?task=${encodeURIComponent(schedule.task)}` }, schedule.task),
          schedule.cron !== undefined
            ? `cron ${schedule.cron}`
            : `every ${formatDuration(schedule.every)}`,
          schedule.tz ?? "UTC",
          `${formatTime(schedule.next)} (${formatAge(schedule.next)})`,
        ]),
        "No schedule.",
      ),
    );
    if (paused instanceof Error) {
      return replace(pauses, h("h2", null, "Pauses"), h("p", { class: "error" }, paused.message));
    }
    const tagNames = [
      ...new Set([
        ...tasks.map((/** @type {any} */ t) => t.tag),
        ...Object.keys(stats.tags),
        ...paused.tags,
      ]),
    ]
      .filter((tag) => tag !== "?").sort();
    const taskNames = [
      ...new Set([
        ...tasks.map((/** @type {any} */ t) => t.name),
        ...Object.keys(stats.tasks),
        ...paused.tasks,
      ]),
    ].sort();
    /** @param {"tags" | "tasks"} kind @param {string[]} names */
    const rows = (kind, names) =>
      names.map((name) => {
        const isPaused = paused[kind].includes(name);
        return [
          name,
          h(
            "span",
            { class: isPaused ? "badge paused" : "badge running" },
            isPaused ? "paused" : "running",
          ),
          isPaused
            ? actionButton(context, "Resume", toggle("resume", kind, name), {
              test: `resume-${kind}`,
            })
            : actionButton(context, "Pause", toggle("pause", kind, name), {
              test: `pause-${kind}`,
            }),
        ];
      });
    replace(
      pauses,
      h("h2", null, "Tags"),
      table(["tag", "state", ""], rows("tags", tagNames), "No tag is known."),
      h("h2", null, "Tasks"),
      table(["task", "state", ""], rows("tasks", taskNames), "No task is known."),
    );
  }
  const reload = coalesce(load, 1000, notifyError);

  return {
    title: "Schedules and pauses",
    element,
    events: null,
    load: () => reload(),
    dispose: () => reload.cancel(),
  };
}
