/**
 * A confirmation in a modal `<dialog>` (not `window.confirm`, which blocks the page and which
 * the browser tests treat as a sign of injected script). Used before every bulk action, and
 * before removing a job. @module
 */

import { h } from "./dom.js";

/**
 * Asks the user to confirm; resolves `true` when they do, `false` on cancel or Escape.
 * @param {{ title: string, message: string, action: string }} text
 * @returns {Promise<boolean>}
 */
export function confirmAction({ title, message, action }) {
  return new Promise((resolve) => {
    /** @param {boolean} isSure */
    function answer(isSure) {
      dialog.close();
      dialog.remove();
      resolve(isSure);
    }
    const dialog = /** @type {HTMLDialogElement} */ (h(
      "dialog",
      { class: "confirm", "data-test": "confirm" },
      h("h2", null, title),
      h("p", null, message),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", onclick: () => answer(false) }, "Cancel"),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            "data-test": "confirm-yes",
            onclick: () => answer(true),
          },
          action,
        ),
      ),
    ));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      answer(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
