/**
 * One job: its record, data, result and error, a progress bar and the log, both growing live
 * from the job's own event stream (`/api/events?job=ID`); and the actions its status allows
 * (retry, cancel, promote, remove). Log lines come twice over: as `log` events the moment the
 * action writes them, and from the store once they are flushed; a line is shown once, keyed by
 * its time and message. @module
 */

import { confirmAction } from "../confirm.js";
import { h, replace } from "../dom.js";
import { formatAge, formatJson, formatTime } from "../format.js";
import { coalesce } from "../live.js";
import { notify, notifyError } from "../notice.js";
import { actionButton, statusBadge } from "../widgets.js";

/** Fields shown in their own sections rather than in the record's list. */
const OWN_SECTIONS = new Set(["data", "result", "error", "progress"]);
/** Fields holding epoch ms, shown as times. */
const TIMES = new Set(["created", "runAt", "started", "finished", "leaseUntil"]);

/** @param {{ time: number, message: string }} line */
const keyOf = (line) => `${line.time}\u0000${line.message}`;

/**
 * @param {import("../app.js").PageContext} context
 * @param {string} id
 * @returns {import("../app.js").Page}
 */
export function jobPage(context, id) {
  const { api } = context;
  const path = `/api/jobs/${encodeURIComponent(id)}`;
  const heading = h("h1", null, "Job ", id);
  const actions = h("div", { class: "buttons", "data-test": "job-actions" });
  const progress = h("section", { class: "progress", "data-test": "progress", hidden: true });
  const record = h("dl", { class: "record", "data-test": "record" });
  const data = h("pre", { "data-test": "data" });
  const result = h("pre", { "data-test": "result" });
  const error = h("section", { class: "error-box", "data-test": "error" });
  const logBody = h("tbody", { "data-test": "logs" });
  const element = h(
    "div",
    { class: "job" },
    heading,
    actions,
    progress,
    h(
      "div",
      { class: "columns" },
      h("section", null, h("h2", null, "Record"), record),
      h(
        "section",
        null,
        h("h2", null, "Data"),
        data,
        h("h2", null, "Result"),
        result,
        error,
      ),
    ),
    h(
      "section",
      null,
      h("h2", null, "Log"),
      h(
        "table",
        { class: "log" },
        h(
          "thead",
          null,
          h("tr", null, h("th", null, "time"), h("th", null, "message"), h("th", null, "data")),
        ),
        logBody,
      ),
    ),
  );
  /** @type {Set<string>} */
  const shownLines = new Set();
  /**
   * The latest progress event of this attempt: a store may keep progress on the record only
   * when the job ends, so a reload meanwhile must not hide the bar.
   * @type {{ current: number, total: number } | undefined}
   */
  let liveProgress;

  /** @param {{ current: number, total: number } | undefined} value */
  function showProgress(value) {
    progress.hidden = value === undefined;
    if (value === undefined) return;
    const percent = value.total > 0 ? Math.min(100, (100 * value.current) / value.total) : 0;
    replace(
      progress,
      h("progress", { max: value.total, value: value.current, "aria-label": "progress" }),
      h("span", null, `${value.current} / ${value.total} (${percent.toFixed(0)} %)`),
    );
  }

  /** @param {any} job */
  function showRecord(job) {
    replace(heading, "Job ", id, " ", statusBadge(job.status));
    heading.setAttribute("data-status", job.status);
    replace(
      record,
      Object.entries(job).filter(([key]) => !OWN_SECTIONS.has(key)).map(([key, value]) => [
        h("dt", null, key),
        h(
          "dd",
          { "data-field": key },
          TIMES.has(key) && typeof value === "number"
            ? `${formatTime(value)} (${formatAge(value)})`
            : typeof value === "string"
            ? value
            : formatJson(value),
        ),
      ]),
    );
    replace(data, formatJson(job.data));
    replace(result, formatJson(job.result));
    replace(
      error,
      job.error && [
        h("h2", null, "Error"),
        h("p", { class: "error" }, job.error.message),
        job.error.code !== undefined && h("p", null, "code: ", job.error.code),
      ],
    );
    showProgress(job.progress ?? liveProgress);
    replace(actions, actionsFor(job));
  }

  /** @param {any} job */
  function actionsFor(job) {
    /** @param {string} action */
    const post = (action) => async () => {
      /** @type {any} */
      const answer = await api.send("POST", `${path}/${action}`);
      showRecord(answer.job);
      notify(`Job ${id}: ${action} done.`);
    };
    return [
      ["failed", "timeout", "cancelled"].includes(job.status) &&
      actionButton(context, "Retry", post("retry")),
      ["queued", "delayed", "processing"].includes(job.status) &&
      actionButton(context, "Cancel", post("cancel")),
      job.status === "delayed" && actionButton(context, "Promote", post("promote")),
      actionButton(context, "Remove", async () => {
        const isSure = await confirmAction({
          title: `Remove job ${id}`,
          message: "Remove this job and its log? A running job is cancelled first.",
          action: "Remove",
        });
        if (!isSure) return;
        await api.send("DELETE", path);
        notify(`Job ${id} removed.`);
        context.navigate("#/jobs");
      }, { danger: true }),
    ];
  }

  /** @param {{ time: number, message: string, data?: unknown }} line */
  function appendLine(line) {
    const key = keyOf(line);
    if (shownLines.has(key)) return;
    shownLines.add(key);
    const row = h(
      "tr",
      null,
      h("td", null, formatTime(line.time)),
      h("td", null, line.message),
      h("td", null, line.data === undefined ? "" : h("code", null, JSON.stringify(line.data))),
    );
    // Lines arrive in time order but two sources may interleave: keep the table sorted.
    const after = [...logBody.children].find((tr) =>
      Number(tr.getAttribute("data-time")) > line.time
    );
    row.setAttribute("data-time", String(line.time));
    logBody.insertBefore(row, after ?? null);
  }

  async function load() {
    // The record first, then its lines: a settle writes both at once, so lines read after
    // the record hold at least what its status says happened (read side by side, a record
    // already completed could come with the lines of before).
    const job = await api.get(path);
    const lines = /** @type {any[]} */ (await api.get(`${path}/logs`));
    showRecord(job);
    for (const line of lines) appendLine(line);
  }
  const reload = coalesce(load, 500, (e) => {
    notifyError(e);
    replace(actions);
  });

  return {
    title: `Job ${id}`,
    element,
    events: { job: id },
    load: () => reload(),
    onEvent(/** @type {any} */ event) {
      if (event.type === "log" && event.line) return appendLine(event.line);
      if (event.type === "progress" && event.progress) {
        liveProgress = event.progress;
        return showProgress(event.progress);
      }
      if (event.type === "started" || event.type === "retry") liveProgress = undefined;
      reload();
    },
    dispose: () => reload.cancel(),
  };
}
