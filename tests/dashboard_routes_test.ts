import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { kinetik } from "../mod.ts";
import { httpHandler, type HttpOptions } from "../http/mod.ts";
import { DASHBOARD_CSP } from "../http/dashboard/dashboard_handler.ts";

/** Calls `httpHandler(queue, options)` for each request, on a fresh memory queue. */
async function withHandler(
  options: HttpOptions,
  fn: (handle: (path: string, init?: RequestInit) => Promise<Response>) => Promise<void>,
): Promise<void> {
  const queue = kinetik();
  const handler = httpHandler(queue, options);
  try {
    await fn((path, init) => handler(new Request(`http://127.0.0.1${path}`, init)));
  } finally {
    await queue.close();
  }
}

test("httpHandler() serves the dashboard at / and its files, with the CSP", async () => {
  await withHandler({}, async (handle) => {
    const page = await handle("/");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-security-policy"), DASHBOARD_CSP);
    assert.match(await page.text(), /<script type="module" src="dashboard\/app\.js"><\/script>/);
    const app = await handle("/dashboard/app.js");
    assert.equal(app.status, 200);
    assert.equal(app.headers.get("content-type"), "text/javascript; charset=utf-8");
    const head = await handle("/", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const missing = await handle("/dashboard/nope.js");
    assert.equal(missing.status, 404);
  });
});

test("httpHandler() serves the page without the token, the API only with it", async () => {
  await withHandler({ token: "s3cret" }, async (handle) => {
    assert.equal((await handle("/")).status, 200);
    assert.equal((await handle("/dashboard/style.css")).status, 200);
    assert.equal((await handle("/api/stats")).status, 401);
    const authorized = await handle("/api/stats", { headers: { authorization: "Bearer s3cret" } });
    assert.equal(authorized.status, 200);
    await authorized.body?.cancel();
  });
});

test("httpHandler() tells the page it is read-only when the API is", async () => {
  await withHandler({ readOnly: true }, async (handle) => {
    assert.match(
      await (await handle("/")).text(),
      /<meta name="kinetik-read-only" content="true">/,
    );
  });
  await withHandler({ heartbeat: "2s" }, async (handle) => {
    const html = await (await handle("/")).text();
    assert.match(html, /<meta name="kinetik-read-only" content="false">/);
    assert.match(html, /<meta name="kinetik-heartbeat" content="2000">/);
  });
});

test("httpHandler() serves the dashboard below basePath, redirecting the bare prefix", async () => {
  await withHandler({ basePath: "/kinetik" }, async (handle) => {
    assert.equal((await handle("/kinetik/")).status, 200);
    const bare = await handle("/kinetik");
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get("location"), "/kinetik/");
    assert.equal((await handle("/kinetik/dashboard/app.js")).status, 200);
    const root = await handle("/");
    assert.equal(root.status, 404);
    assert.equal(root.headers.get("content-type"), "application/problem+json");
    await root.body?.cancel();
  });
});

test("httpHandler() with dashboard: false serves the API alone", async () => {
  await withHandler({ dashboard: false }, async (handle) => {
    for (const path of ["/", "/dashboard/app.js"]) {
      const response = await handle(path);
      assert.equal(response.status, 404, path);
      assert.match(
        (await response.json()).detail,
        /^Cannot GET \/(dashboard\/app\.js)? as there is no such route$/,
      );
    }
    assert.equal((await handle("/api/stats")).status, 200);
  });
});

test("httpHandler() checks the Host of dashboard requests as of the API's", async () => {
  await withHandler({ hosts: ["127.0.0.1"] }, async (handle) => {
    assert.equal((await handle("/")).status, 200);
  });
  const queue = kinetik();
  try {
    const handler = httpHandler(queue, { hosts: ["127.0.0.1"] });
    const rebound = await handler(new Request("http://evil.example/"));
    assert.equal(rebound.status, 403);
    await rebound.body?.cancel();
  } finally {
    await queue.close();
  }
});

test("httpHandler() mounted by Hono under a prefix serves the page and its files there", async () => {
  const queue = kinetik();
  try {
    const app = new Hono();
    app.mount("/kinetik", httpHandler(queue));
    const page = await app.fetch(new Request("http://127.0.0.1/kinetik/"));
    assert.equal(page.status, 200);
    // The page names its files relative to itself: /kinetik/dashboard/app.js.
    assert.match(await page.text(), /src="dashboard\/app\.js"/);
    const file = await app.fetch(new Request("http://127.0.0.1/kinetik/dashboard/app.js"));
    assert.equal(file.status, 200);
    await file.body?.cancel();
  } finally {
    await queue.close();
  }
});
