/**
 * Every file the dashboard sends to the browser, as text the server holds in memory.
 *
 * They are imported with `with { type: "text" }` rather than read from disk by path, because
 * that is the one way that works for every way Kinetik runs:
 * - from a checkout or `node_modules` (Bun), and from JSR, where the package's files are
 *   remote modules that Deno downloads and caches with the module graph (a path next to
 *   `import.meta.url` would be an `https:` URL there, fetched again at every start);
 * - for uPlot, from the npm package itself: Deno resolves the bare specifier through the
 *   import map into its npm cache, Bun through node_modules, with no path of either written
 *   here (the file is not vendored, so upgrading it is a version bump);
 * - in a binary made by `bun build --compile` (`deno task compile:bun`), whose bundler follows
 *   these imports and embeds the files.
 * Deno 2.9 and Bun 1.4 (the versions CI pins) take text imports without flags. @module
 */

import apiJs from "./client/api.js" with { type: "text" };
import appJs from "./client/app.js" with { type: "text" };
import chartJs from "./client/chart.js" with { type: "text" };
import confirmJs from "./client/confirm.js" with { type: "text" };
import domJs from "./client/dom.js" with { type: "text" };
import favicon from "./client/favicon.svg" with { type: "text" };
import formatJs from "./client/format.js" with { type: "text" };
import jobFilterJs from "./client/job_filter.js" with { type: "text" };
import liveJs from "./client/live.js" with { type: "text" };
import metricsJs from "./client/metrics.js" with { type: "text" };
import noticeJs from "./client/notice.js" with { type: "text" };
import jobPageJs from "./client/pages/job.js" with { type: "text" };
import jobsPageJs from "./client/pages/jobs.js" with { type: "text" };
import overviewPageJs from "./client/pages/overview.js" with { type: "text" };
import schedulesPageJs from "./client/pages/schedules.js" with { type: "text" };
import tasksPageJs from "./client/pages/tasks.js" with { type: "text" };
import sseJs from "./client/sse.js" with { type: "text" };
import styleCss from "./client/style.css" with { type: "text" };
import tokenJs from "./client/token.js" with { type: "text" };
import widgetsJs from "./client/widgets.js" with { type: "text" };
import uPlotJs from "uplot/dist/uPlot.esm.js" with { type: "text" };
import uPlotCss from "uplot/dist/uPlot.min.css" with { type: "text" };

/** One file the dashboard serves. */
export interface Asset {
  /** Its `content-type`. */
  type: string;
  /** Its text. */
  body: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The dashboard's files by path below `<basePath>/dashboard/`. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["api.js", { type: JS, body: apiJs }],
  ["app.js", { type: JS, body: appJs }],
  ["chart.js", { type: JS, body: chartJs }],
  ["confirm.js", { type: JS, body: confirmJs }],
  ["dom.js", { type: JS, body: domJs }],
  ["favicon.svg", { type: "image/svg+xml", body: favicon }],
  ["format.js", { type: JS, body: formatJs }],
  ["job_filter.js", { type: JS, body: jobFilterJs }],
  ["live.js", { type: JS, body: liveJs }],
  ["metrics.js", { type: JS, body: metricsJs }],
  ["notice.js", { type: JS, body: noticeJs }],
  ["pages/job.js", { type: JS, body: jobPageJs }],
  ["pages/jobs.js", { type: JS, body: jobsPageJs }],
  ["pages/overview.js", { type: JS, body: overviewPageJs }],
  ["pages/schedules.js", { type: JS, body: schedulesPageJs }],
  ["pages/tasks.js", { type: JS, body: tasksPageJs }],
  ["sse.js", { type: JS, body: sseJs }],
  ["style.css", { type: CSS, body: styleCss }],
  ["token.js", { type: JS, body: tokenJs }],
  ["widgets.js", { type: JS, body: widgetsJs }],
  ["vendor/uPlot.esm.js", { type: JS, body: uPlotJs }],
  ["vendor/uPlot.min.css", { type: CSS, body: uPlotCss }],
]);
