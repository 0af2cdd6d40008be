/**
 * The API token, kept in `sessionStorage`: it lives as long as the tab, is never written to a
 * URL or a cookie, and another site cannot read it. The page asks for it when the API answers
 * 401 (see api.js), in a modal dialog that stays until a token is given. @module
 */

import { h } from "./dom.js";

const KEY = "kinetik.token";

/** The token of this tab, or `null`. */
export function readToken() {
  return sessionStorage.getItem(KEY);
}

/** Forgets the token (a refused one, or on "forget token"). */
export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/** @type {Promise<void> | undefined} one dialog for every call that met a 401 at once */
let asking;

/**
 * Shows the token dialog with `reason`; resolves once a token is saved.
 * @param {string} reason
 * @returns {Promise<void>}
 */
export function askToken(reason) {
  asking ??= new Promise((resolve) => {
    const input = h("input", {
      type: "password",
      name: "token",
      autocomplete: "off",
      required: true,
      "aria-label": "API token",
      "data-test": "token-input",
    });
    const form = h(
      "form",
      { class: "token-form" },
      h("h2", null, "API token"),
      h("p", { class: "error" }, reason),
      h("p", null, "Kept in this tab only (sessionStorage), sent as Authorization: Bearer."),
      input,
      h("button", { type: "submit", "data-test": "token-submit" }, "Use token"),
    );
    const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "token" }, form));
    // Escape would close the dialog with no token given; every call waiting would hang.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const token = /** @type {HTMLInputElement} */ (input).value.trim();
      if (token === "") return;
      sessionStorage.setItem(KEY, token);
      dialog.close();
      dialog.remove();
      asking = undefined;
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
  return asking;
}
