/**
 * `deno task bench:dashboard`: how long the dashboard takes to show its overview's counts
 * with `--jobs` jobs (default 100,000) in a SQLite store, in headless Chromium.
 *
 * It fills a fresh SQLite file (`bench/_fill.ts`: ten tasks in two tags, 80 % completed,
 * 10 % failed, 10 % queued), starts `kinetik serve` on it in a process of its own, and loads
 * the overview `--runs` times (default 5), each in a fresh browser context (nothing cached),
 * then as many times again reloading in one context (modules revalidated with 304s). A load is
 * timed by the page itself: `performance.now()` (ms since navigation started) at the moment
 * the total count shows the number of jobs. It also times `GET /api/stats` alone, the call
 * the counts wait for. Prints Markdown. @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { SqliteStore } from "../stores/sqlite.ts";
import { spawnChild } from "../tests/_cli_process.ts";
import { launchBrowser } from "../tests/_browser.ts";
import { fillStore } from "./_fill.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { jobs: { type: "string", default: "100000" }, runs: { type: "string", default: "5" } },
});
const jobs = Number(values.jobs);
const runs = Number(values.runs);

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${median.toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)})`;
}

const dir = mkdtempSync(join(tmpdir(), "kinetik-dashboard-bench-"));
const path = join(dir, "kinetik.db");
const store = new SqliteStore({ path });
const filling = performance.now();
await fillStore(store, jobs);
await store.close();
console.error(`filled ${jobs} jobs in ${((performance.now() - filling) / 1000).toFixed(1)} s`);

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const server = spawnChild(process.execPath, [
  ...isBun ? [] : ["run", "-A"],
  new URL("../cli.ts", import.meta.url).pathname,
  "--store",
  `sqlite:${path}`,
  "serve",
  "--port",
  "0",
]);
const browser = await launchBrowser();
try {
  await server.printed("Serving the Kinetik", 30_000);
  const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(server.output())![1];
  const total = new Intl.NumberFormat("en-US").format(jobs);

  const stats: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await (await fetch(`${url}api/stats`)).json();
    stats.push(performance.now() - start);
  }

  /** Navigates (or reloads) and resolves to ms since navigation start at counts shown. */
  const load = async (page: import("playwright-core").Page, reload: boolean) => {
    await (reload ? page.reload() : page.goto(url));
    const shown = await page.waitForFunction(
      (total) => {
        const doc = globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string | null } | null };
          performance: { now(): number };
        };
        const text = doc.document.querySelector('[data-test="count-total"] .n')?.textContent;
        return text === total ? doc.performance.now() : false;
      },
      total,
      { timeout: 60_000, polling: "raf" },
    );
    return await shown.jsonValue() as number;
  };
  const cold: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ locale: "en-US" });
    cold.push(await load(await context.newPage(), false));
    await context.close();
  }
  const warm: number[] = [];
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await load(page, false);
  for (let i = 0; i < runs; i++) warm.push(await load(page, true));
  await context.close();

  const runtime = isBun ? `Bun ${process.versions.bun}` : `Deno ${process.versions.deno}`;
  console.log(
    `Dashboard overview with ${total} jobs on SQLite (${runtime}, kinetik serve), ${runs} runs each:\n`,
  );
  console.log("| measure | median (min, max) |");
  console.log("|---|---|");
  console.log(`| GET /api/stats alone | ${summary(stats)} |`);
  console.log(`| first load, fresh context, to counts shown | ${summary(cold)} |`);
  console.log(`| reload, cached modules revalidated, to counts shown | ${summary(warm)} |`);
} finally {
  await browser.close();
  server.child.kill("SIGTERM");
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}
