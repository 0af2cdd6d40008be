/**
 * One job's page in headless Chromium against `kinetik serve` on SQLite, a worker in another
 * process: a failed job is retried from its page and turns completed; the log and the
 * progress bar grow while the job runs, before anything is stored.
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchBrowser, waitForText, watchedPage } from "./_browser.ts";
import { startDashboard } from "./_dashboard.ts";
import { unavailable } from "./_unavailable.ts";

const skip = unavailable("the dashboard browser tests", chromiumMissing());
/** A browser, a server and a worker take seconds to start (Bun's default limit is 5 s). */
const options = { skip, timeout: 60_000 };
let browser: Browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => await browser?.close());

test("a failed job is retried from its page and turns completed", options, async () => {
  const dashboard = await startDashboard();
  try {
    const job = await dashboard.queue.create("flaky", { order: 7 });
    const { page, trouble } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/jobs/${job.id}`);
    await page.locator('h1[data-status="failed"]').waitFor();
    await waitForText(page, '[data-test="error"] .error', "the first attempt fails");
    assert.equal(await page.locator('[data-action="cancel"]').count(), 0, "no cancel once failed");

    await page.locator('[data-action="retry"]').click();
    await page.locator('h1[data-status="completed"]').waitFor();
    await waitForText(page, '[data-field="attempts"]', "2");
    await waitForText(page, '[data-test="error"]', "");
    const stored = await dashboard.queue.get(job.id);
    assert.equal(stored?.status, "completed");
    assert.equal(stored?.attempts, 2);
    // The log shows the whole story, the retry included.
    await page.locator('[data-test="logs"] tr', { hasText: "Completed" }).waitFor();
    const log = await page.locator('[data-test="logs"]').textContent();
    assert.match(log ?? "", /Failed.*the first attempt fails/s);
    assert.match(log ?? "", /Completed/);
    assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
  } finally {
    await dashboard.close();
  }
});

test("a job's page shows its log and progress live while it runs", options, async () => {
  const dashboard = await startDashboard({ worker: false });
  try {
    const job = await dashboard.queue.create("steps", { batch: 1 });
    const { page } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/jobs/${job.id}`);
    await page.locator('h1[data-status="queued"]').waitFor();
    await waitForText(page, ".live", "live");
    // The job starts once the page follows it, so it sees every event.
    await dashboard.startWorker();
    await page.locator('h1[data-status="processing"]').waitFor();
    // Lines an action logs are stored when the job ends (or its lease is renewed): this one
    // can only have come over the event stream.
    await page.locator('[data-test="logs"] tr', { hasText: "step 1" }).waitFor();
    await waitForText(page, '[data-test="progress"] span', "1 / 2 (50 %)");
    assert.equal(await page.locator('[data-test="progress"] progress').getAttribute("max"), "2");
    assert.equal(
      await page.locator('[data-test="progress"] progress').evaluate((bar) =>
        (bar as unknown as { value: number }).value
      ),
      1,
    );
    assert.deepEqual(
      await dashboard.queue.logs(job.id).then((lines) =>
        lines.map((l) => l.message).filter((m) => m.startsWith("step"))
      ),
      [],
    );

    dashboard.release(job.id);
    await page.locator('h1[data-status="completed"]').waitFor();
    await waitForText(page, '[data-test="progress"] span', "2 / 2 (100 %)");
    await page.locator('[data-test="logs"] tr', { hasText: "step 2" }).waitFor();
    // Each line once, though it came both as an event and from the store.
    const messages = await page.locator('[data-test="logs"] tr td:nth-child(2)').allTextContents();
    assert.equal(messages.filter((m) => m === "step 1").length, 1);
    assert.equal(messages.filter((m) => m === "step 2").length, 1);
  } finally {
    await dashboard.close();
  }
});
