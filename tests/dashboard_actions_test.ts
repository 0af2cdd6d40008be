/**
 * The dashboard's actions that the SQLite store cannot take yet (it has no remove, promote,
 * pause or schedules verbs: the API answers 501 there), in headless Chromium against the
 * handler serving a memory queue in this process: remove after a confirmation, bulk remove
 * of what a filter shows, promote, pause and resume.
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { kinetik } from "../mod.ts";
import { chromiumMissing, launchBrowser, waitForText, watchedPage } from "./_browser.ts";
import { serveApi } from "./_http.ts";
import { unavailable } from "./_unavailable.ts";

const skip = unavailable("the dashboard browser tests", chromiumMissing());
/** A browser, a server and a worker take seconds to start (Bun's default limit is 5 s). */
const options = { skip, timeout: 60_000 };
let browser: Browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => await browser?.close());

/** A memory queue with two tasks (nothing processes them) and its dashboard. */
async function served() {
  const queue = kinetik();
  queue.define("send email").tag("messaging").action(() => {});
  queue.define("resize").tag("media").action(() => {});
  const api = await serveApi(queue);
  return {
    queue,
    url: `${api.base}/`,
    async close() {
      await api.close();
      await queue.close();
    },
  };
}

test(
  "a bulk remove removes what the filter shows, after a confirmation naming how many",
  options,
  async () => {
    const dashboard = await served();
    try {
      const mails = await dashboard.queue.createMany(
        Array.from({ length: 7 }, (_, n) => ({ task: "send email", data: { n } })),
      );
      const other = await dashboard.queue.create("resize", { n: 99 });
      const { page, trouble } = await watchedPage(browser);
      await page.goto(`${dashboard.url}#/jobs?tag=messaging`);
      await page.locator('[data-test="job-rows"] tbody tr').nth(6).waitFor();
      await page.locator('[data-action="bulk-remove"]').click();
      const dialog = page.locator('dialog[data-test="confirm"]');
      assert.match(
        await dialog.textContent() ?? "",
        /Remove 7 jobs \(tag messaging\) and their logs\?/,
      );
      await page.locator('[data-test="confirm-yes"]').click();
      await page.locator("#notice", { hasText: "Removed 7 jobs." }).waitFor();
      await page.getByText("No job matches this filter.").waitFor();
      for (const job of mails) assert.equal(await dashboard.queue.get(job.id), undefined);
      assert.equal((await dashboard.queue.get(other.id))?.status, "queued", "outside the filter");
      assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
    } finally {
      await dashboard.close();
    }
  },
);

test("a job is promoted, then removed from its page", options, async () => {
  const dashboard = await served();
  try {
    const job = await dashboard.queue.create("send email", {}, "1h");
    const { page } = await watchedPage(browser);
    await page.goto(`${dashboard.url}#/jobs/${job.id}`);
    await page.locator('h1[data-status="delayed"]').waitFor();
    await page.locator('[data-action="promote"]').click();
    await page.locator('h1[data-status="queued"]').waitFor();
    assert.equal((await dashboard.queue.get(job.id))?.status, "queued");

    await page.locator('[data-action="remove"]').click();
    await page.locator('[data-test="confirm-yes"]').click();
    await page.waitForURL(/#\/jobs$/);
    assert.equal(await dashboard.queue.get(job.id), undefined);
  } finally {
    await dashboard.close();
  }
});

test(
  "the schedules page lists schedules, and pauses and resumes a tag and a task",
  options,
  async () => {
    const dashboard = await served();
    try {
      await dashboard.queue.schedule("nightly report", { cron: "0 3 * * *", task: "send email" });
      const { page, trouble } = await watchedPage(browser);
      await page.goto(`${dashboard.url}#/schedules`);
      const schedule = page.locator('[data-test="schedules"] tr', { hasText: "nightly report" });
      await schedule.waitFor();
      assert.match(await schedule.textContent() ?? "", /send emailcron 0 3 \* \* \*UTC/);

      const tagRow = page.locator('[data-test="pauses"] tr', { hasText: "messaging" });
      await tagRow.locator('[data-action="pause-tags"]').click();
      await tagRow.locator('[data-action="resume-tags"]').waitFor();
      assert.deepEqual(await dashboard.queue.paused(), { tags: ["messaging"], tasks: [] });
      await waitForText(page, "#notice", "Paused tag messaging.");

      const taskRow = page.locator('[data-test="pauses"] tr', { hasText: "resize" });
      await taskRow.locator('[data-action="pause-tasks"]').click();
      await taskRow.locator('[data-action="resume-tasks"]').waitFor();
      assert.deepEqual(await dashboard.queue.paused(), { tags: ["messaging"], tasks: ["resize"] });

      await tagRow.locator('[data-action="resume-tags"]').click();
      await tagRow.locator('[data-action="pause-tags"]').waitFor();
      assert.deepEqual(await dashboard.queue.paused(), { tags: [], tasks: ["resize"] });
      assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
    } finally {
      await dashboard.close();
    }
  },
);
