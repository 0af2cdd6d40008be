// @ts-check
/**
 * Completed and failed jobs per minute over the last hour, for the overview's chart, read
 * from the queue's metrics (`queue.metrics()`, DESIGN §6.5) through the API. @module
 */

/**
 * The last hour per minute, or a sentence saying why there is nothing to chart.
 * @param {import("./api.js").Api} api
 * @param {number} now epoch ms
 * @returns {Promise<import("./chart.js").PerMinute | string>}
 */
export function perMinuteOf(api, now) {
  void api;
  void now;
  return Promise.resolve("This server does not serve metrics yet.");
}
