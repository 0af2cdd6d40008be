/**
 * The last hour of the queue's metrics (`queue.metrics()`, DESIGN §6.5) for the overview,
 * read from `GET /api/metrics?since=1h&bucket=1m`: per minute, jobs completed and failed (the
 * chart), and per task the hour's counts and run-time p50/p95 (a table). The answer is in
 * columns already (`times`, and a value per bucket in each series), as uPlot takes it. @module
 */

/**
 * @typedef {{
 *   completed: number[], failed: number[], p50: (number | null)[], p95: (number | null)[],
 *   overall: { completed: number, failed: number, p50: number | null, p95: number | null },
 * }} MetricsSeries
 * @typedef {{ times: number[], total: MetricsSeries, tasks: Record<string, MetricsSeries> }} QueueMetrics
 * @typedef {{ perMinute: import("./chart.js").PerMinute, tasks: [string, MetricsSeries["overall"]][] }} LastHour
 */

/**
 * The last hour, or a sentence saying why there is nothing to show (a server without the
 * route, a store that keeps no metrics: the API's own message).
 * @param {import("./api.js").Api} api
 * @returns {Promise<LastHour | string>}
 */
export async function lastHour(api) {
  /** @type {QueueMetrics} */
  let metrics;
  try {
    metrics = await api.get("/api/metrics?since=1h&bucket=1m");
  } catch (error) {
    const status = /** @type {{ status?: number }} */ (error).status;
    if (status === 404 || status === 501) {
      return `No metrics to chart: ${error instanceof Error ? error.message : error}`;
    }
    throw error;
  }
  return {
    perMinute: {
      time: metrics.times,
      completed: metrics.total.completed,
      failed: metrics.total.failed,
    },
    tasks: Object.entries(metrics.tasks).map(([task, series]) => [task, series.overall]),
  };
}
