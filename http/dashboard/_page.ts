/**
 * The dashboard's one HTML page: the header and navigation rendered here on the server, the
 * settings the client needs as `<meta>` tags (an inline script would break the CSP), and the
 * scripts and styles as same-origin files. Pages themselves are client modules; see
 * `client/app.js`. @module
 */

import { ASSETS } from "./_assets.ts";

/** What the page tells the client. */
export interface PageSettings {
  /** Whether the API refuses writes: the client shows no action button. */
  isReadOnly: boolean;
  /** How often the event stream sends a heartbeat, in ms. */
  heartbeatMs: number;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` safe inside an HTML attribute or element. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** The HTML of the dashboard page. */
export function dashboardPage({ isReadOnly, heartbeatMs }: PageSettings): string {
  // Relative: the page is always served at a path ending in "/" (`<basePath>/`), and a
  // server that mounts the handler under a prefix it strips (Hono's `app.mount`) gives it no
  // way to know that prefix. The client finds the API the same way (see app.js).
  const asset = (name: string) => escapeHtml(`dashboard/${name}`);
  // Every module up front: the browser fetches them in parallel instead of one import level
  // after another.
  const preloads = [...ASSETS.keys()].filter((name) => name.endsWith(".js") && name !== "app.js")
    .map((name) => `<link rel="modulepreload" href="${asset(name)}">`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="kinetik-read-only" content="${isReadOnly}">
<meta name="kinetik-heartbeat" content="${heartbeatMs}">
<title>Kinetik</title>
<link rel="icon" href="${asset("favicon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="${asset("vendor/uPlot.min.css")}">
<link rel="stylesheet" href="${asset("style.css")}">
${preloads}
<script type="module" src="${asset("app.js")}"></script>
</head>
<body>
<header>
<span class="brand">Kinetik</span>
<nav>
<a href="#/" data-section="">Overview</a>
<a href="#/jobs" data-section="jobs">Jobs</a>
<a href="#/tasks" data-section="tasks">Tasks and workers</a>
<a href="#/schedules" data-section="schedules">Schedules and pauses</a>
</nav>
${
    isReadOnly
      ? '<span class="mode">read-only</span>\n'
      : ""
  }<span id="live" class="live">connecting</span>
<button type="button" id="forget-token" hidden>Forget token</button>
</header>
<div id="notice" role="status" aria-live="polite"></div>
<main id="page"><p class="muted">Loading…</p></main>
<noscript><p>The Kinetik dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;
}
