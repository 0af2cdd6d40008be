/**
 * The overview in headless Chromium against `kinetik serve` on SQLite, with a worker in
 * another process: counts follow the jobs as they complete, and the page keeps following them
 * after the server restarts under it (what a page left open for an hour meets).
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

test("the overview's counts change as jobs complete", options, async () => {
  const dashboard = await startDashboard({ worker: false });
  try {
    for (let n = 0; n < 5; n++) {
      await dashboard.queue.create("send email", { to: `${n}@example.com` });
    }
    const { page, trouble } = await watchedPage(browser);
    await page.goto(dashboard.url);
    await waitForText(page, '[data-test="count-queued"] .n', "5");
    await waitForText(page, '[data-test="count-completed"] .n', "0");
    await waitForText(page, ".live", "live");

    await dashboard.startWorker(); // the page is not reloaded: the events move the counts
    await waitForText(page, '[data-test="count-completed"] .n', "5");
    await waitForText(page, '[data-test="count-queued"] .n', "0");
    await waitForText(page, '[data-test="count-total"] .n', "5");
    // The worker's heartbeat names its tags, so the by-tag table knows "messaging".
    await page.locator("section", { hasText: "By tag" }).getByRole("link", { name: "messaging" })
      .waitFor();
    assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
  } finally {
    await dashboard.close();
  }
});

test("the overview follows new jobs after kinetik serve restarts under it", options, async () => {
  const dashboard = await startDashboard();
  try {
    await dashboard.queue.create("send email", { to: "before@example.com" });
    const { page } = await watchedPage(browser);
    await page.goto(dashboard.url);
    await waitForText(page, '[data-test="count-completed"] .n', "1");
    await waitForText(page, ".live", "live");

    await dashboard.restartServer();
    // The stream died with the old server; the page reconnects by itself and reloads.
    await waitForText(page, ".live", "live", 30_000);
    for (let n = 0; n < 3; n++) {
      await dashboard.queue.create("send email", { to: `after${n}@example.com` });
    }
    await waitForText(page, '[data-test="count-completed"] .n', "4");
  } finally {
    await dashboard.close();
  }
});

test("the overview charts the last hour from the queue's metrics", options, async () => {
  const dashboard = await startDashboard();
  try {
    const jobs = await dashboard.queue.createMany([
      ...Array.from(
        { length: 3 },
        (_, n) => ({ task: "send email", data: { to: `${n}@example.com` } }),
      ),
      { task: "echo failure", data: { message: "no such mailbox" } },
    ]);
    for (const job of jobs) await dashboard.queue.wait(job.id, { timeout: 20_000 });
    const { page, trouble } = await watchedPage(browser);
    await page.goto(dashboard.url);
    // Workers write their metrics every few seconds: the page shows them as they come.
    const runTimes = page.locator('[data-test="run-times"]');
    await runTimes.locator("tr", { hasText: "send email" }).waitFor({ timeout: 30_000 });
    const cells = async (task: string) =>
      (await runTimes.locator("tr", { hasText: task }).locator("td").allTextContents()).slice(0, 3);
    assert.deepEqual(await cells("send email"), ["send email", "3", "0"]);
    await runTimes.locator("tr", { hasText: "echo failure" }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await cells("echo failure"), ["echo failure", "0", "1"]);
    await page.locator('[data-test="chart"] canvas').waitFor();
    assert.equal(await page.locator('[data-test="chart-note"]').textContent(), "");
    assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
  } finally {
    await dashboard.close();
  }
});

test("the tasks page lists the worker's tasks and the worker itself", options, async () => {
  const dashboard = await startDashboard();
  try {
    const { page } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/tasks`);
    const flaky = page.locator('[data-test="tasks"] tr', { hasText: "flaky" });
    await flaky.waitFor();
    assert.match(await flaky.textContent() ?? "", /^flakymessaging/);
    const worker = page.locator('[data-test="workers"] tbody tr');
    await worker.waitFor();
    assert.equal(await worker.count(), 1);
    assert.match(await worker.textContent() ?? "", /messaging, batch/);
  } finally {
    await dashboard.close();
  }
});
