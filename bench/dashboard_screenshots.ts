/**
 * `deno run -A bench/dashboard_screenshots.ts`: the README's pictures of the dashboard,
 * `docs/dashboard-overview.png` and `docs/dashboard-job.png`, taken in headless Chromium.
 *
 * A SQLite queue in a temporary file gets a small, plausible history: four tasks in three
 * tags, a few hundred jobs run by real processors (some fail), a job still running with its
 * progress halfway, and an hour of per-minute metrics written through the store's own
 * `recordMetrics` (an hour cannot be waited for). The dashboard is `httpHandler` on a free
 * port. @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kinetik } from "../mod.ts";
import { httpHandler } from "../http/mod.ts";
import { listen } from "../http/_server.ts";
import { bucketOf } from "../src/metrics.ts";
import type { MetricsSample } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { launchBrowser } from "../tests/_browser.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-screenshots-"));
const store = new SqliteStore({ path: join(dir, "kinetik.db") });
const queue = kinetik(store, { interval: 50 });
const docs = new URL("../docs/", import.meta.url).pathname;

let release: () => void = () => {};
const held = new Promise<void>((resolve) => release = resolve);
queue.define("send email").tag("mail").desc("Transactional mail").retry("1s", 2)
  .action((job) => {
    const { to } = job.data as { to: string };
    job.log("sending", { to });
    if (to.startsWith("bounce")) throw new Error(`550 mailbox unavailable: ${to}`);
    return { messageId: `<${job.id}@mail.example>` };
  });
queue.define("resize image").tag("media").timeout("30s").action((job) => {
  job.progress(1, 1);
  return { width: 640 };
});
queue.define("generate report").tag("reports").action(async (job) => {
  for (let step = 1; step <= 3; step++) {
    job.log(`rendered section ${step} of 6`, { rows: step * 1200 });
    job.progress(step, 6);
  }
  await held;
  return { pages: 12 };
});
queue.define("sync crm").tag("mail").rate(10, "1s").action(() => ({ synced: 25 }));

const now = Date.now();
const minute = 60_000;
const samples: MetricsSample[] = [];
for (let m = 60; m >= 1; m--) {
  const wave = Math.round(30 + 25 * Math.sin(m / 7) + (m % 5) * 3);
  for (const [task, scale, ms] of [["send email", 1, 180], ["resize image", 0.6, 900]] as const) {
    const completed = Math.round(wave * scale);
    const failed = task === "send email" ? (m % 9 === 0 ? 6 : m % 4 === 0 ? 1 : 0) : 0;
    const runtimes: Record<string, number> = {};
    for (let i = 0; i < completed + failed; i++) {
      const bucket = String(bucketOf(ms * (0.5 + ((i * 37) % 100) / 80)));
      runtimes[bucket] = (runtimes[bucket] ?? 0) + 1;
    }
    samples.push({
      task,
      minute: Math.floor((now - m * minute) / minute) * minute,
      completed,
      failed,
      runtimes,
    });
  }
}
await store.recordMetrics(samples, now);

const specs = [
  ...Array.from({ length: 40 }, (_, n) => ({
    task: "send email",
    data: {
      to: n % 13 === 5 ? `bounce${n}@example.org` : `user${n}@example.com`,
      template: "welcome",
    },
  })),
  ...Array.from(
    { length: 25 },
    (_, n) => ({ task: "resize image", data: { image: `img-${n}.png` } }),
  ),
  ...Array.from({ length: 6 }, () => ({ task: "sync crm", data: { account: "acme" } })),
];
const mail = queue.process(["mail", "media"], { concurrency: 4 });
const jobs = await queue.createMany(specs);
await Promise.all(jobs.map((job) => queue.wait(job.id, { timeout: 30_000 })));
const report = await queue.create("generate report", { month: "2025-05", format: "pdf" });
await queue.createMany(
  Array.from(
    { length: 12 },
    (_, n) => ({ task: "send email", data: { to: `later${n}@example.com` } }),
  ),
);

await mail.stop();
const closing = new AbortController();
const server = await listen(httpHandler(queue, { signal: closing.signal }), {
  hostname: "127.0.0.1",
  port: 0,
});
const browser = await launchBrowser();
let reports: { stop(): Promise<void> } | undefined;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: "en-US" });
  await page.goto(server.url.href);
  await page.locator('[data-test="count-total"] .n').getByText("84").waitFor();
  await page.locator(".chart canvas").waitFor();
  await page.locator('[data-test="run-times"] table').waitFor();
  await page.screenshot({ path: join(docs, "dashboard-overview.png"), fullPage: true });
  await page.goto(`${server.url.href}#/jobs/${report.id}`);
  await page.locator(".live.state-live").waitFor();
  // Started once its page follows it: log lines are stored when the job ends, and the page
  // shows the ones written before it opened only then.
  reports = queue.process(["reports"]);
  await page.locator('h1[data-status="processing"]').waitFor();
  await page.locator('[data-test="logs"] tr', { hasText: "section 3" }).waitFor();
  await page.screenshot({ path: join(docs, "dashboard-job.png"), fullPage: true });
  console.log(`wrote ${docs}dashboard-overview.png and ${docs}dashboard-job.png`);
} finally {
  await browser.close();
  release();
  closing.abort();
  await server.shutdown();
  await reports?.stop();
  await queue.close();
  rmSync(dir, { recursive: true, force: true });
}
