/**
 * The dashboard's entry: reads the settings the server wrote into the page (`<meta>`:
 * read-only mode, heartbeat), routes `#/…` fragments to page modules, and is the one
 * place that turns the live event stream into page updates: each page names the events it
 * wants, gets them in `onEvent`, and reloads everything after every (re)connection.
 *
 * Routes live in the fragment, so the server serves one page for all of them. The API is found
 * beside the page: the page is served at `<basePath>/` and the API at `<basePath>/api/…`, so
 * the page's own directory is the base, whether the prefix came from `basePath` or from a
 * server that mounts the handler under a prefix it strips (Hono's `app.mount`). @module
 */

import { createApi } from "./api.js";
import { find, replace } from "./dom.js";
import { LiveEvents } from "./live.js";
import { notifyError } from "./notice.js";
import { jobPage } from "./pages/job.js";
import { jobsPage } from "./pages/jobs.js";
import { overviewPage } from "./pages/overview.js";
import { schedulesPage } from "./pages/schedules.js";
import { tasksPage } from "./pages/tasks.js";
import { askToken, forgetToken, readToken } from "./token.js";

/**
 * What a page gets.
 * @typedef {{
 *   api: import("./api.js").Api,
 *   readOnly: boolean,
 *   navigate(hash: string): void,
 * }} PageContext
 */

/**
 * What a page module returns.
 * @typedef {{
 *   title: string,
 *   element: HTMLElement,
 *   events: import("./live.js").EventFilter | null,
 *   load(): void,
 *   onEvent?(event: unknown): void,
 *   dispose?(): void,
 * }} Page
 */

/** @param {string} name */
function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
}

const base = new URL(".", location.href).pathname.replace(/\/$/, "");
const readOnly = meta("kinetik-read-only") === "true";
const heartbeatMs = Number(meta("kinetik-heartbeat")) || 15_000;
document.body.classList.toggle("read-only", readOnly);

/** @type {HTMLButtonElement} */
const forget = find(document, "#forget-token");
forget.hidden = readToken() === null;
forget.addEventListener("click", () => {
  forgetToken();
  location.reload();
});

const api = createApi({
  base,
  async askToken(reason) {
    await askToken(reason);
    forget.hidden = false;
  },
});
/** @type {PageContext} */
const context = {
  api,
  readOnly,
  navigate(hash) {
    location.hash = hash;
  },
};

/**
 * The page of a fragment: `#/`, `#/jobs?…`, `#/jobs/ID`, `#/tasks`, `#/schedules`.
 * @param {string} hash
 * @returns {Page}
 */
function pageOf(hash) {
  const [path, search = ""] = hash.replace(/^#/, "").split("?", 2);
  const params = new URLSearchParams(search);
  const job = /^\/jobs\/(.+)$/.exec(path);
  if (job) return jobPage(context, decodeURIComponent(job[1]));
  switch (path) {
    case "/jobs":
      return jobsPage(context, params);
    case "/tasks":
      return tasksPage(context);
    case "/schedules":
      return schedulesPage(context);
    default:
      return overviewPage(context);
  }
}

const main = find(document, "#page");
/** @type {HTMLElement} */
const liveDot = find(document, "#live");
/** @type {Page | undefined} */
let current;

const live = new LiveEvents({
  open: (query, signal) => api.open(`/api/events${query}`, signal),
  onEvent: (event) => current?.onEvent?.(event),
  // Events sent while no stream was open are gone: read the page's state again.
  onOpen: () => current?.load(),
  onState(state, detail) {
    liveDot.className = `live state-${state}`;
    replace(liveDot, state === "live" ? "live" : state === "waiting" ? "offline" : state);
    liveDot.title = detail ?? "";
  },
  onError: notifyError,
  // Three heartbeats missed (and some slack): the connection is dead.
  silenceMs: heartbeatMs * 3 + 5000,
});

function route() {
  current?.dispose?.();
  const page = pageOf(location.hash || "#/");
  current = page;
  document.title = `${page.title} · Kinetik`;
  main.replaceChildren(page.element);
  const section = (location.hash.match(/^#\/(\w+)/) ?? [])[1] ?? "";
  for (const link of document.querySelectorAll("header nav a")) {
    link.classList.toggle("current", link.getAttribute("data-section") === section);
  }
  live.follow(page.events);
  page.load();
}

addEventListener("hashchange", route);
route();
