/**
 * The notice line under the header: what an action did, or why it failed (an API error's
 * message is the library's own, e.g. "Cannot retry job 7 as it must be failed or …"). @module
 */

import { find, replace } from "./dom.js";

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;

/**
 * Shows `message`; an error stays until the next notice, other notices fade after 6 s.
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
export function notify(message, kind = "info") {
  const line = find(document, "#notice");
  clearTimeout(timer);
  line.className = kind;
  replace(line, message);
  if (kind === "info") timer = setTimeout(() => replace(line), 6000);
}

/**
 * Shows an error thrown by a call or a page.
 * @param {unknown} error
 */
export function notifyError(error) {
  notify(error instanceof Error ? error.message : String(error), "error");
}
