/**
 * The jobs list in headless Chromium against `kinetik serve` on SQLite, a worker in another
 * process: a Mongo-style data query finds the one matching job, pages follow the cursor, and
 * a bulk retry acts on what the filter shows after a confirmation.
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchBrowser, watchedPage } from "./_browser.ts";
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

test("a filter by data query finds the one matching job", options, async () => {
  const dashboard = await startDashboard({ worker: false });
  try {
    const jobs = await dashboard.queue.createMany(
      Array.from({ length: 30 }, (_, n) => ({
        task: "send email",
        data: { to: `user${n}@example.com`, user: n, plan: n % 2 ? "pro" : "free" },
      })),
    );
    const { page, trouble } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/jobs`);
    await page.locator('[data-test="job-rows"] tbody tr').nth(29).waitFor();

    await page.locator('[data-test="query"]').fill('{ "data.user": 17, "data.plan": "pro" }');
    await page.locator('[data-test="apply"]').click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { location: { hash: string } }).location.hash.includes("query=")
    );
    const rows = page.locator('[data-test="job-rows"] tbody tr');
    await page.locator(`[data-test="job-rows"] tr[data-job="${jobs[17].id}"]`).waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent() ?? "", /user17@example\.com/);

    // A query that matches nothing says so; one that is not JSON is refused before any call.
    await page.locator('[data-test="query"]').fill('{ "data.user": 99 }');
    await page.locator('[data-test="apply"]').click();
    await page.getByText("No job matches this filter.").waitFor();
    await page.locator('[data-test="query"]').fill("{ data.user: 1 }");
    await page.locator('[data-test="apply"]').click();
    await page.locator("#notice.error", { hasText: "Cannot filter jobs as the query must be JSON" })
      .waitFor();
    assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
  } finally {
    await dashboard.close();
  }
});

test("the jobs list pages by the API's cursor", options, async () => {
  const dashboard = await startDashboard({ worker: false });
  try {
    await dashboard.queue.createMany(
      Array.from({ length: 60 }, (_, n) => ({ task: "send email", data: { n } })),
    );
    const { page } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/jobs?sort=created`);
    const ids = () =>
      page.locator('[data-test="job-rows"] tbody tr').evaluateAll((rows) =>
        rows.map((row) => (row as unknown as { dataset: { job: string } }).dataset.job)
      );
    await page.locator('[data-test="job-rows"] tbody tr').nth(49).waitFor();
    const first = await ids();
    assert.equal(first.length, 50);
    await page.locator('[data-test="next-page"]').click();
    await page.waitForFunction(
      (count) =>
        (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } })
          .document.querySelectorAll('[data-test="job-rows"] tbody tr').length === count,
      10,
    );
    const second = await ids();
    assert.equal(second.length, 10);
    assert.equal(await page.locator('[data-test="next-page"]').count(), 0, "the last page");
    const all = [...first, ...second];
    assert.equal(new Set(all).size, 60);
    const expected = (await Array.fromAsync(dashboard.queue.fetch({}))).map((job) => job.id);
    assert.deepEqual(all, expected, "oldest first, as asked");
  } finally {
    await dashboard.close();
  }
});

test("a bulk retry acts on what the filter shows, after a confirmation", options, async () => {
  const dashboard = await startDashboard();
  try {
    const flaky = await dashboard.queue.createMany(
      Array.from({ length: 3 }, (_, n) => ({ task: "flaky", data: { n } })),
    );
    const other = await dashboard.queue.create("echo failure", { message: "stays failed" });
    for (const job of [...flaky, other]) {
      const done = await dashboard.queue.wait(job.id, { timeout: 20_000 });
      assert.equal(done.status, "failed");
    }
    const { page, trouble } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/jobs?status=failed&task=flaky`);
    await page.locator('[data-test="job-rows"] tbody tr').nth(2).waitFor();

    // Cancelled at the confirmation: nothing is retried.
    await page.locator('[data-action="bulk-retry"]').click();
    const dialog = page.locator('dialog[data-test="confirm"]');
    await dialog.waitFor();
    assert.match(
      await dialog.textContent() ?? "",
      /Retry 3 failed, timed-out or cancelled jobs \(status failed, task flaky\)\?/,
    );
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.equal((await dashboard.queue.get(flaky[0].id))?.status, "failed");

    await page.locator('[data-action="bulk-retry"]').click();
    await page.locator('[data-test="confirm-yes"]').click();
    await page.locator("#notice", { hasText: "Retried 3 jobs." }).waitFor();
    for (const job of flaky) {
      const done = await dashboard.queue.wait(job.id, { timeout: 20_000 });
      assert.equal(done.status, "completed");
    }
    assert.equal((await dashboard.queue.get(other.id))?.status, "failed", "outside the filter");
    // The list follows: the filter shows failed jobs of flaky, and there are none left.
    await page.getByText("No job matches this filter.").waitFor();
    assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
  } finally {
    await dashboard.close();
  }
});
