import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ASSETS } from "../http/dashboard/_assets.ts";
import {
  ASSET_PREFIX,
  DASHBOARD_CSP,
  dashboardHandler,
} from "../http/dashboard/dashboard_handler.ts";

const CLIENT = fileURLToPath(new URL("../http/dashboard/client/", import.meta.url));

function get(path: string, headers: Record<string, string> = {}): Request {
  return new Request(`http://localhost${path}`, { headers });
}

async function answer(
  handle: ReturnType<typeof dashboardHandler>,
  request: Request,
): Promise<Response> {
  const response = await handle(request);
  assert.ok(response, `no answer to ${request.method} ${request.url}`);
  return response;
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesIn(join(dir, entry.name)) : [join(dir, entry.name)]
  );
}

test("dashboardHandler() serves the page at / with the strict CSP and security headers", async () => {
  const response = await answer(dashboardHandler(), get("/"));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
  const csp = response.headers.get("content-security-policy");
  assert.equal(csp, DASHBOARD_CSP);
  for (
    const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "require-trusted-types-for 'script'",
    ]
  ) {
    assert.ok(csp!.split("; ").includes(directive), directive);
  }
  assert.doesNotMatch(csp!, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(response.headers.get("referrer-policy"), "no-referrer");
  assert.equal(response.headers.get("x-frame-options"), "DENY");
});

test("dashboardHandler() page has no inline script, style or handler, and only same-origin files", async () => {
  const html = await (await answer(dashboardHandler(), get("/"))).text();
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /\bsrc="dashboard\/app\.js"/);
    assert.equal(body.trim(), "");
  }
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  for (const [, url] of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) {
    assert.match(url, /^(#|dashboard\/)/, url);
  }
});

test("dashboardHandler() tells the page its read-only mode and heartbeat, with links relative to it", async () => {
  const html = await (await answer(
    dashboardHandler({ basePath: "/kinetik", readOnly: true, heartbeatMs: 2000 }),
    get("/kinetik/"),
  )).text();
  assert.match(html, /<meta name="kinetik-read-only" content="true">/);
  assert.match(html, /<meta name="kinetik-heartbeat" content="2000">/);
  // Relative to the page at /kinetik/: a prefix stripped by a mount (Hono's) works the same.
  assert.match(html, /src="dashboard\/app\.js"/);
  const plain = await (await answer(dashboardHandler(), get("/"))).text();
  assert.match(plain, /<meta name="kinetik-read-only" content="false">/);
  assert.match(plain, /<meta name="kinetik-heartbeat" content="15000">/);
});

test("dashboardHandler() redirects the bare base path to it with a slash", async () => {
  const response = await answer(dashboardHandler({ basePath: "/kinetik" }), get("/kinetik"));
  assert.equal(response.status, 308);
  assert.equal(response.headers.get("location"), "/kinetik/");
});

test("dashboardHandler() serves every client file with its type, and uPlot from npm", async () => {
  const handle = dashboardHandler();
  for (const [name, asset] of ASSETS) {
    const response = await answer(handle, get(`${ASSET_PREFIX}${name}`));
    assert.equal(response.status, 200, name);
    assert.equal(response.headers.get("content-type"), asset.type, name);
    assert.equal(response.headers.get("content-security-policy"), DASHBOARD_CSP, name);
    assert.equal(await response.text(), asset.body, name);
  }
  const uPlot = ASSETS.get("vendor/uPlot.esm.js")!.body;
  assert.match(uPlot, /MIT Licensed/);
  assert.match(uPlot, /export \{ uPlot as default \}/);
});

test("dashboardHandler() lists every file of client/ (a new page is never left unserved)", () => {
  const files = filesIn(CLIENT).map((file) => relative(CLIENT, file).replaceAll("\\", "/"));
  const own = [...ASSETS.keys()].filter((name) => !name.startsWith("vendor/"));
  assert.deepEqual(own.sort(), files.sort());
});

test("dashboardHandler() never assigns HTML in the client: no innerHTML, outerHTML, insertAdjacentHTML or document.write", () => {
  for (const [name, asset] of ASSETS) {
    if (name.startsWith("vendor/")) continue;
    assert.doesNotMatch(
      asset.body,
      /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      name,
    );
  }
});

test("dashboardHandler() answers 304 to a matching If-None-Match and gzips when asked", async () => {
  const handle = dashboardHandler();
  const first = await answer(handle, get("/dashboard/app.js"));
  const etag = first.headers.get("etag");
  assert.match(etag ?? "", /^"[0-9a-f]{24}"$/);
  assert.equal(first.headers.get("cache-control"), "no-cache");
  const again = await answer(handle, get("/dashboard/app.js", { "if-none-match": etag! }));
  assert.equal(again.status, 304);
  assert.equal(await again.text(), "");

  const gzipped = await answer(
    handle,
    get("/dashboard/vendor/uPlot.esm.js", { "accept-encoding": "gzip, br" }),
  );
  assert.equal(gzipped.headers.get("content-encoding"), "gzip");
  const bytes = new Uint8Array(await gzipped.arrayBuffer());
  // Some runtimes' fetch Response hands back the raw bytes: decompress them to compare.
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b
    ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")))
      .text()
    : new TextDecoder().decode(bytes);
  assert.equal(text, ASSETS.get("vendor/uPlot.esm.js")!.body);
  assert.ok(Number(gzipped.headers.get("content-length")) < text.length / 2);
});

test("dashboardHandler() answers HEAD without a body", async () => {
  const response = await answer(
    dashboardHandler(),
    new Request("http://localhost/dashboard/style.css", { method: "HEAD" }),
  );
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "");
  assert.ok(Number(response.headers.get("content-length")) > 0);
});

test("dashboardHandler() says 404 for an unknown file and leaves other paths to the API", async () => {
  const handle = dashboardHandler({ basePath: "/kinetik" });
  const missing = await answer(handle, get("/kinetik/dashboard/..%2F..%2Fdeno.json"));
  assert.equal(missing.status, 404);
  const unknown = await answer(handle, get("/kinetik/dashboard/nope.js"));
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /^Cannot find \/kinetik\/dashboard\/nope\.js as /);
  for (const path of ["/kinetik/api/stats", "/api/stats", "/", "/other", "/kinetikx/"]) {
    assert.equal(await handle(get(path)), undefined, path);
  }
  assert.equal(
    await handle(new Request("http://localhost/kinetik/", { method: "POST", body: "{}" })),
    undefined,
  );
});
