/**
 * The dashboard's defences in headless Chromium against `kinetik serve` on SQLite, a worker
 * in another process: job values that look like markup stay text and run nothing; the token
 * is asked for, kept in the tab, sent in a header and never in a URL; read-only mode shows no
 * action and the API refuses one all the same.
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
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

const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT = '"><script>alert(2)</script>';

/** Elements markup in job values would have made, and scripts that are not the dashboard's. */
function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<{ outerHTML: string; src?: string }> };
    }).document;
    const found = [...Array.from(doc.querySelectorAll("img, svg, iframe, object, embed"))];
    for (const script of Array.from(doc.querySelectorAll("script"))) {
      if (!/\/dashboard\/app\.js$/.test(script.src ?? "")) found.push(script);
    }
    return found.map((element) => element.outerHTML);
  });
}

test("job values that look like markup are shown as text and run nothing", options, async () => {
  const dashboard = await startDashboard();
  try {
    const data = { name: IMG, bio: SCRIPT, [IMG]: SCRIPT };
    const job = await dashboard.queue.create("echo failure", {
      message: `${IMG}${SCRIPT}`,
      ...data,
    });
    const done = await dashboard.queue.wait(job.id, { timeout: 20_000 });
    assert.equal(done.status, "failed");
    const { page, trouble } = await watchedPage(browser);

    // The overview lists it under recent failures, data and all.
    await page.goto(dashboard.url);
    await page.locator("section", { hasText: "Recent failures" }).getByText(IMG, { exact: false })
      .waitFor();
    // The jobs list: data and error columns.
    await page.goto(`${dashboard.url}#/jobs?status=failed`);
    const row = page.locator(`[data-test="job-rows"] tr[data-job="${job.id}"]`);
    await row.waitFor();
    assert.match(
      await row.textContent() ?? "",
      /<img src=x onerror=alert\(1\)>"><script>alert\(2\)<\/script>/,
    );
    // The job's page: data, error, and the log line the action wrote with it.
    await page.goto(`${dashboard.url}#/jobs/${job.id}`);
    await page.locator('h1[data-status="failed"]').waitFor();
    const shown = JSON.parse(await page.locator('[data-test="data"]').textContent() ?? "");
    assert.deepEqual(shown, { message: `${IMG}${SCRIPT}`, ...data });
    await waitForText(page, '[data-test="error"] .error', `${IMG}${SCRIPT}`);
    await page.locator('[data-test="logs"] td', { hasText: SCRIPT }).first().waitFor();

    assert.deepEqual(await injected(page), []);
    assert.deepEqual(trouble, { dialogs: [], errors: [], violations: [] });
  } finally {
    await dashboard.close();
  }
});

test(
  "the dashboard asks for the token, keeps it in the tab and never puts it in a URL",
  options,
  async () => {
    const token = "s3cret-token";
    const dashboard = await startDashboard({ token });
    try {
      await dashboard.queue.create("send email", { to: "a@example.com" });
      const { page } = await watchedPage(browser);
      const urls: string[] = [];
      const authorized: string[] = [];
      page.on("request", (request) => {
        urls.push(request.url());
        if (request.headers().authorization === `Bearer ${token}`) authorized.push(request.url());
      });
      await page.goto(dashboard.url);
      const input = page.locator('[data-test="token-input"]');
      await input.fill("wrong");
      await page.locator('[data-test="token-submit"]').click();
      await page.locator("dialog.token", { hasText: "the bearer token is not the one" }).waitFor();
      await page.locator('[data-test="token-input"]').fill(token);
      await page.locator('[data-test="token-submit"]').click();
      await waitForText(page, '[data-test="count-completed"] .n', "1");
      await waitForText(page, ".live", "live");

      assert.equal(await page.evaluate(() => sessionStorage.getItem("kinetik.token")), token);
      assert.ok(authorized.some((url) => url.endsWith("/api/stats")));
      assert.ok(authorized.some((url) => url.includes("/api/events")), "the stream too");
      assert.deepEqual(urls.filter((url) => url.includes(token)), []);
      assert.doesNotMatch(page.url(), new RegExp(token));

      // A reload keeps the tab's token: no dialog.
      await page.reload();
      await waitForText(page, '[data-test="count-completed"] .n', "1");
      assert.equal(await page.locator("dialog.token").count(), 0);
    } finally {
      await dashboard.close();
    }
  },
);

test(
  "read-only mode shows no action button, and the API refuses the action",
  options,
  async () => {
    const dashboard = await startDashboard({ readOnly: true });
    try {
      const job = await dashboard.queue.create("flaky", {});
      assert.equal((await dashboard.queue.wait(job.id, { timeout: 20_000 })).status, "failed");
      const { page } = await watchedPage(browser);
      await page.goto(`${dashboard.url}#/jobs/${job.id}`);
      await page.locator('h1[data-status="failed"]').waitFor();
      await page.locator("header .mode", { hasText: "read-only" }).waitFor();
      assert.equal(await page.locator("button[data-action]").count(), 0);

      await page.goto(`${dashboard.url}#/jobs`);
      await page.locator(`[data-test="job-rows"] tr[data-job="${job.id}"]`).waitFor();
      assert.equal(await page.locator("button[data-action]").count(), 0);
      await page.goto(`${dashboard.url}#/schedules`);
      await page.locator('[data-test="pauses"] h2').first().waitFor();
      assert.equal(await page.locator("button[data-action]").count(), 0);

      const status = await page.evaluate(
        async (id) => (await fetch(`/api/jobs/${id}/retry`, { method: "POST" })).status,
        job.id,
      );
      assert.equal(status, 403);
      assert.equal((await dashboard.queue.get(job.id))?.status, "failed");
    } finally {
      await dashboard.close();
    }
  },
);
