/**
 * Headless Chromium for the dashboard's tests: Debian's `chromium` (installed by `.ci/run`)
 * driven by `playwright-core` from npm, which brings no browser of its own. Playwright starts
 * it with a fresh profile (a temporary `--user-data-dir` it removes on close) and these
 * flags: no sandbox (root in a container has none to use), no GPU, and nothing that reaches
 * the network behind the test's back (component updates, sync, background requests). Runs
 * under Deno and Bun alike. @module
 */

import { existsSync } from "node:fs";
import process from "node:process";
import { type Browser, chromium, type ConsoleMessage, type Page } from "playwright-core";

/** The little of the DOM that functions run in the page use here. */
type InPage = {
  document: { querySelector(selector: string): { textContent: string | null } | null };
};

/** Where Debian puts its Chromium; `KINETIK_CHROMIUM` points elsewhere. */
export const CHROMIUM_PATH: string = process.env.KINETIK_CHROMIUM ?? "/usr/bin/chromium";

/** The flags Chromium runs with (beside Playwright's own, `--headless` among them). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Why the browser tests cannot run here, or `undefined` when Chromium is installed. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `${CHROMIUM_PATH} does not exist (apt-get install chromium, or set KINETIK_CHROMIUM)`;
}

/** Starts the browser; closing it is the caller's. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    headless: true,
    timeout: 30_000,
  });
}

/** What a page did that a dashboard must never do: dialogs, errors, CSP violations. */
export interface PageTrouble {
  dialogs: string[];
  errors: string[];
  violations: string[];
}

/**
 * Chromium's console line for a response with an error status (a 401 before the token is
 * given, a 501 from a store without a verb): the page shows those itself, they are not script
 * errors.
 */
const HTTP_ERROR_LINE = /^Failed to load resource: the server responded with a status of \d+/;

/**
 * A new page (in a context of its own: no storage shared with other tests) that records
 * every dialog (dismissed), console error, uncaught exception and CSP violation.
 */
export async function watchedPage(browser: Browser): Promise<{ page: Page; trouble: PageTrouble }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const trouble: PageTrouble = { dialogs: [], errors: [], violations: [] };
  page.on("dialog", (dialog) => {
    trouble.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() === "error" && !HTTP_ERROR_LINE.test(message.text())) {
      trouble.errors.push(message.text());
    }
  });
  page.on("pageerror", (error) => trouble.errors.push(`uncaught: ${error.message}`));
  // A violation fires this event in the page even when nothing is logged for it.
  await page.exposeFunction("__reportViolation", (text: string) => trouble.violations.push(text));
  // Run in the page (a string: the tests are not compiled with the DOM's types).
  await page.addInitScript(`document.addEventListener("securitypolicyviolation", (event) => {
    globalThis.__reportViolation(event.violatedDirective + " blocked " + (event.blockedURI || "inline"));
  });`);
  return { page, trouble };
}

/**
 * Waits until the element of `selector` shows exactly `text` (trimmed); on a timeout the
 * error says what it showed instead.
 */
export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeout = 20_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      ([selector, text]) =>
        (globalThis as unknown as InPage).document.querySelector(selector)?.textContent?.trim() ===
          text,
      [selector, text] as const,
      { timeout },
    );
  } catch (error) {
    const shown = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(
      () => "(no such element)",
    );
    throw new Error(
      `${selector} did not show ${JSON.stringify(text)} within ${timeout} ms: it shows ${
        JSON.stringify(shown?.trim())
      }`,
      { cause: error },
    );
  }
}
