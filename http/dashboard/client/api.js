/**
 * Calls to the Kinetik HTTP API from the page: JSON in and out, the token in an
 * `Authorization: Bearer` header on every call (never in a URL), and `401` answered by asking
 * the user for a token and trying again. No cookie ever authorizes anything, so a page on
 * another site cannot make the browser act on the queue (no CSRF). @module
 */

import { forgetToken, readToken } from "./token.js";

/** An API call that did not succeed: its status and the problem's detail. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/**
 * The error of a failed response: an `application/problem+json` body's `detail` (the
 * library's own message), else its status text.
 * @param {Response} response
 */
async function errorOf(response) {
  const text = await response.text().catch(() => "");
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const problem = JSON.parse(text);
    message = problem.detail ?? problem.title ?? message;
  } catch {
    if (text) message = `${message}: ${text.slice(0, 200)}`;
  }
  return new ApiError(response.status, message);
}

/**
 * What the pages call. Answers are the API's JSON as it is (`any`): the shapes are the
 * OpenAPI document's (`/api/openapi.json`), and a page reads only the fields it shows.
 * @typedef {{
 *   get(path: string): Promise<any>,
 *   send(method: string, path: string, body?: unknown): Promise<any>,
 *   open(path: string, signal: AbortSignal): Promise<Response>,
 * }} Api
 */

/**
 * The API at `base` (the handler's base path, `""` or like `/kinetik`).
 * @param {{ base: string, askToken(reason: string): Promise<void> }} options
 * @returns {Api}
 */
export function createApi({ base, askToken }) {
  /**
   * @param {string} path
   * @param {RequestInit} init
   */
  async function call(path, init) {
    for (;;) {
      const headers = new Headers(init.headers);
      const token = readToken();
      if (token !== null) headers.set("authorization", `Bearer ${token}`);
      const response = await fetch(base + path, { cache: "no-store", ...init, headers });
      if (response.status !== 401) return response;
      const error = await errorOf(response);
      forgetToken();
      await askToken(token === null ? "This dashboard needs the API token." : error.message);
    }
  }

  return {
    async get(path) {
      const response = await call(path, { headers: { accept: "application/json" } });
      if (!response.ok) throw await errorOf(response);
      return await response.json();
    },
    async send(method, path, body) {
      const response = await call(path, {
        method,
        headers: { accept: "application/json", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw await errorOf(response);
      return response.status === 204 ? undefined : await response.json();
    },
    open(path, signal) {
      return call(path, { signal, headers: { accept: "text/event-stream" } });
    },
  };
}
