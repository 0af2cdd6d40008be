import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { kinetik } from "../mod.ts";
import type { Job } from "../src/job.ts";
import { isLoopback } from "../src/cli/serve.ts";
import { runCaptured, spawnChild } from "./_cli_process.ts";
import { SseReader } from "./_http.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "kinetik-serve-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `kinetik …` as a child process of this runtime (deno run cli.ts, or bun cli.ts). */
function kinetikChild(args: string[], env: Record<string, string> = {}) {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  const runtime = isBun ? [] : ["run", "-A"];
  return spawnChild(process.execPath, [...runtime, join(ROOT, "cli.ts"), ...args], {
    cwd: dir,
    env,
  });
}

/**
 * Asserts a clean exit. A child of a Deno process that handled SIGINT is reported as ended by
 * the signal even when it exits 0 (as in `cli_test.ts`), so under Deno the output says it.
 */
function assertExitedCleanly(code: number | string, stderr: string): void {
  if (!("Deno" in globalThis)) assert.equal(code, 0, stderr);
  assert.match(stderr, /Stopping: open event streams end, requests in flight finish\n$/);
}

/** The URL `serve` printed. */
function servedUrl(stdout: string): string {
  const url = /Serving the Kinetik API at (http:\/\/\S+)/.exec(stdout)?.[1];
  assert.ok(url, `no URL in ${JSON.stringify(stdout)}`);
  return url;
}

test("isLoopback() knows 127.0.0.0/8, ::1 and localhost", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) {
    assert.equal(isLoopback(host), true, host);
  }
  for (const host of ["0.0.0.0", "192.168.1.2", "::", "example.com", "127.0.0.1.example.com"]) {
    assert.equal(isLoopback(host), false, host);
  }
});

test("kinetik serve refuses a non-loopback host without a token: exit 2, nothing served", async () => {
  const queue = kinetik();
  try {
    for (const host of ["0.0.0.0", "::", "192.168.1.2"]) {
      const { code, stdout, stderr } = await runCaptured(["serve", "--host", host], {
        queue,
        signal: AbortSignal.abort(),
      });
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(
        stderr,
        new RegExp(
          `^kinetik: refusing to serve on ${host.replace(/\./g, "\\.")} without a token: `,
        ),
      );
      assert.match(stderr, /pass --token T \(or set KINETIK_TOKEN\), or use a loopback host/);
    }
  } finally {
    await queue.close();
  }
});

test("kinetik serve refuses a bad port or an empty token: exit 2", async () => {
  const queue = kinetik();
  try {
    for (
      const [args, message] of [
        [["--port", "http"], /--port must be an integer >= 0: current value is "http"/],
        [["--port", "70000"], /--port must be an integer <= 65535/],
        [["--token", ""], /--token must not be empty/],
      ] as const
    ) {
      const { code, stderr } = await runCaptured(["serve", ...args], {
        queue,
        signal: AbortSignal.abort(),
      });
      assert.equal(code, 2, args.join(" "));
      assert.match(stderr, message);
    }
  } finally {
    await queue.close();
  }
});

test("kinetik serve prints the URL, serves the queue's API, and stops when signalled", async () => {
  const queue = kinetik();
  const controller = new AbortController();
  let stdout = "";
  const { promise: printed, resolve } = Promise.withResolvers<void>();
  const { runCli } = await import("../src/cli/run_cli.ts");
  const run = runCli(["serve", "--port", "0", "--read-only"], {
    queue,
    signal: controller.signal,
    stdout: (text) => (stdout += text, resolve()),
    stderr: () => {},
  });
  try {
    await printed;
    const url = servedUrl(stdout);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const job = await queue.create("resize");
    const response = await fetch(`${url}api/jobs/${job.id}`);
    assert.deepEqual(await response.json(), job);
    const write = await fetch(`${url}api/jobs/${job.id}/cancel`, { method: "POST" });
    assert.equal(write.status, 403, "read-only");
    await write.body?.cancel();
  } finally {
    controller.abort();
    assert.equal(await run, 0);
    await queue.close();
  }
});

test("kinetik serve takes KINETIK_TOKEN, then any host; Ctrl-C ends event streams and exits 0", async () => {
  const child = kinetikChild(
    ["serve", "--port", "0", "--host", "0.0.0.0", "--store", `sqlite:${join(dir, "t.db")}`],
    { KINETIK_TOKEN: "from-env" },
  );
  try {
    await child.printed("Serving the Kinetik API at ");
    const url = servedUrl(child.output()).replace("0.0.0.0", "127.0.0.1");
    const denied = await fetch(`${url}api/stats`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const headers = { authorization: "Bearer from-env", "content-type": "application/json" };
    const events = await fetch(`${url}api/events`, { headers });
    assert.equal(events.status, 200);
    const reader = new SseReader(events);
    assert.deepEqual(await reader.next(), { comment: "connected" });
    const created = await fetch(`${url}api/jobs`, {
      method: "POST",
      headers,
      body: JSON.stringify({ task: "resize", data: { n: 1 } }),
    });
    const { job } = await created.json() as { job: Job };
    assert.equal(created.status, 201);
    const { event, data } = await reader.nextEvent("created");
    assert.equal(event, "created");
    assert.equal((data as { job: Job }).job.id, job.id);
    child.child.kill("SIGINT");
    assert.equal(
      await reader.nextEvent().catch((error) => error.message),
      "the event stream ended",
    );
    assertExitedCleanly(await child.exited, child.errors());
  } finally {
    child.child.kill("SIGKILL");
    await child.exited;
  }
});
