/**
 * The overview's chart: jobs completed and failed per minute over the last hour, drawn by
 * uPlot (npm `uplot`, MIT). uPlot because it is maintained, small (no dependencies), draws
 * on a canvas (thousands of points cost nothing) and never writes HTML: its legend and axes
 * are made with `textContent`, so it runs under the dashboard's Trusted Types policy. The
 * server reads it from the npm package at run time and serves it from this origin
 * (`http/dashboard/_assets.ts`); no CDN is involved. @module
 */

import uPlot from "./vendor/uPlot.esm.js";

/**
 * @typedef {{ time: number[], completed: number[], failed: number[] }} PerMinute
 *   bucket starts (epoch ms) and the counts in each bucket, oldest first
 */

const HEIGHT = 220;

/**
 * A chart in `container`; `update()` redraws it with new counts.
 * @param {HTMLElement} container
 * @returns {{ update(data: PerMinute): void, dispose(): void }}
 */
export function perMinuteChart(container) {
  /** @type {uPlot | undefined} */
  let plot;
  const width = () => Math.max(320, container.clientWidth);
  const bars = uPlot.paths.bars?.({ size: [0.8, 24], gap: 1 });
  /** @type {uPlot.Options} */
  const options = {
    width: width(),
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{}, { label: "jobs / minute", size: 60 }],
    series: [
      {},
      {
        label: "completed",
        stroke: "#2e7d32",
        fill: "rgba(46,125,50,0.35)",
        paths: bars,
        points: { show: false },
      },
      // Drawn over the completed bar of the same minute: failures are the few, in front.
      {
        label: "failed",
        stroke: "#c62828",
        fill: "rgba(198,40,40,0.6)",
        paths: bars,
        points: { show: false },
      },
    ],
    legend: { live: true },
  };
  const resize = new ResizeObserver(() => plot?.setSize({ width: width(), height: HEIGHT }));
  resize.observe(container);
  return {
    update(data) {
      // uPlot's time scale is in seconds.
      /** @type {uPlot.AlignedData} */
      const aligned = [data.time.map((ms) => ms / 1000), data.completed, data.failed];
      if (plot) plot.setData(aligned);
      else plot = new uPlot(options, aligned, container);
    },
    dispose() {
      resize.disconnect();
      plot?.destroy();
    },
  };
}
