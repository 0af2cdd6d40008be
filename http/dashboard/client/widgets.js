/**
 * Pieces every page uses: tables, status badges, job links, action buttons. All built with
 * `h()`, so every value is a Text node. @module
 */

import { h } from "./dom.js";
import { notifyError } from "./notice.js";

/** Every job status, in life order (as `JOB_STATUSES` in src/job.ts). */
export const STATUSES = [
  "queued",
  "delayed",
  "processing",
  "completed",
  "failed",
  "cancelled",
  "timeout",
];

/**
 * A table of `rows` (each a list of cells), or `empty` when there are none.
 * @param {string[]} headers
 * @param {import("./dom.js").Child[][]} rows
 * @param {string} empty
 * @param {(row: number) => Record<string, string>} [rowProps] attributes of each `<tr>`
 */
export function table(headers, rows, empty, rowProps) {
  if (rows.length === 0) return h("p", { class: "muted" }, empty);
  return h(
    "div",
    { class: "table" },
    h(
      "table",
      null,
      h("thead", null, h("tr", null, headers.map((header) => h("th", null, header)))),
      h(
        "tbody",
        null,
        rows.map((cells, i) =>
          h("tr", rowProps?.(i) ?? null, cells.map((cell) => h("td", null, cell)))
        ),
      ),
    ),
  );
}

/** @param {string} status */
export function statusBadge(status) {
  return h("span", { class: `badge ${STATUSES.includes(status) ? status : ""}` }, status);
}

/**
 * A link to a job's page, showing its id.
 * @param {{ id: string }} job
 */
export function jobLink(job) {
  return h("a", { href: `#/jobs/${encodeURIComponent(job.id)}`, class: "job-id" }, job.id);
}

/**
 * An action button, absent in read-only mode (the API refuses writes there too). While its
 * action runs it is disabled, so a double click does not act twice; a failure is shown in the
 * notice line.
 * @param {{ readOnly: boolean }} context
 * @param {string} label
 * @param {() => Promise<void>} action
 * @param {{ danger?: boolean, test?: string }} [options]
 */
export function actionButton(context, label, action, options = {}) {
  if (context.readOnly) return null;
  const button = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: options.danger ? "action danger" : "action",
    "data-action": options.test ?? label.toLowerCase(),
    onclick: async () => {
      button.disabled = true;
      try {
        await action();
      } catch (error) {
        notifyError(error);
      } finally {
        button.disabled = false;
      }
    },
  }, label));
  return button;
}
