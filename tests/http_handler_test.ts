import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import type { Job, LogLine } from "../src/job.ts";
import type { Queue } from "../src/queue.ts";
import { httpHandler, type HttpOptions, type Problem, type TaskListing } from "../http/mod.ts";
import { jsonOf, serveApi, type TestApi } from "./_http.ts";

/** Runs `fn` against a real server on a fresh memory queue. */
async function withApi(
  fn: (api: TestApi, queue: Queue) => Promise<void>,
  options: HttpOptions = {},
): Promise<void> {
  const queue = kinetik();
  const api = await serveApi(queue, options);
  try {
    await fn(api, queue);
  } finally {
    await api.close();
    await queue.close();
  }
}

test("httpHandler() POST /api/jobs creates a job: 201, { job }, Location", () =>
  withApi(async (api, queue) => {
    const response = await api.call("/api/jobs", {
      json: { task: "send email", data: { to: "ford@example.com" }, priority: 2, key: "k1" },
    });
    const { job } = await jsonOf<{ job: Job }>(response, 201);
    assert.equal(job.task, "send email");
    assert.deepEqual(job.data, { to: "ford@example.com" });
    assert.equal(job.status, "queued");
    assert.equal(job.priority, 2);
    assert.equal(response.headers.get("location"), `/api/jobs/${job.id}`);
    assert.deepEqual(await queue.get(job.id), job);
  }));

test("httpHandler() POST /api/jobs takes per-job retry and timeout overrides", () =>
  withApi(async (api) => {
    const response = await api.call("/api/jobs", {
      json: { task: "resize", retry: { delay: "5s", max: 2 }, timeout: "30s" },
    });
    const { job } = await jsonOf<{ job: Job }>(response, 201);
    assert.deepEqual(job.retry, { delay: 5_000, max: 2, backoff: "fixed" });
    assert.equal(job.timeout, 30_000);
  }));

test("httpHandler() POST /api/jobs with an array creates every job: 201, { jobs }", () =>
  withApi(async (api, queue) => {
    const response = await api.call("/api/jobs", {
      json: [{ task: "resize", data: { n: 1 } }, { task: "resize", delay: "1h" }],
    });
    const { jobs } = await jsonOf<{ jobs: Job[] }>(response, 201);
    assert.deepEqual(jobs.map((job) => job.status), ["queued", "delayed"]);
    assert.equal(await queue.count(), 2);
  }));

test("httpHandler() POST /api/jobs answers 400 with the library's message and saves nothing", () =>
  withApi(async (api, queue) => {
    const cases: [unknown, RegExp][] = [
      [{ task: "" }, /^Cannot create job as a task name must be a non-empty string/],
      [{ task: "a:b" }, /without ":"/],
      [{ task: "t", delay: "soon" }, /^Cannot read delay as it must be milliseconds/],
      [{ task: "t", delay: -5 }, /^Cannot use delay as it must be a finite duration >= 0/],
      [{ task: "t", priority: 1.5 }, /priority must be an integer/],
      [{ task: "t", colour: "red" }, /^Cannot create job as the body may only have task, /],
      [[{ task: "ok" }, { task: "" }], /^Cannot create job as a task name/],
      ["just text", /^Cannot create job as the body must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const problem = await jsonOf<Problem>(await api.call("/api/jobs", { json: body }), 400);
      assert.equal(problem.status, 400);
      assert.equal(problem.title, "Bad Request");
      assert.equal(problem.type, "about:blank");
      assert.match(problem.detail, message, JSON.stringify(body));
    }
    assert.equal(await queue.count(), 0);
  }));

test("httpHandler() GET /api/jobs/:id answers the record, 404 for an unknown job", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize", { n: 1 });
    assert.deepEqual(await jsonOf(await api.call(`/api/jobs/${job.id}`), 200), job);
    const problem = await jsonOf<Problem>(await api.call("/api/jobs/999"), 404);
    assert.equal(
      problem.detail,
      'Cannot find job as there is none with this id: current value is "999"',
    );
  }));

test("httpHandler() GET /api/jobs/:id/logs answers the log lines, 404 for an unknown job", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize");
    const lines = await jsonOf<LogLine[]>(await api.call(`/api/jobs/${job.id}/logs`), 200);
    assert.deepEqual(lines.map((line) => line.message), ["Created"]);
    await jsonOf(await api.call("/api/jobs/77/logs"), 404);
  }));

test("httpHandler() refuses an id that is not letters, digits or ._~:- before any store sees it", () =>
  withApi(async (api, queue) => {
    let reads = 0;
    const get = queue.store.get.bind(queue.store);
    queue.store.get = (id) => (reads++, get(id));
    for (const id of ["a%20b", "..%2F..%2Fetc", "x".repeat(201), "%7Bkinetik%7D"]) {
      const problem = await jsonOf<Problem>(await api.call(`/api/jobs/${id}`), 400);
      assert.match(problem.detail, /^Cannot read job id as it must be 1 to 200 letters, digits/);
    }
    assert.equal(reads, 0);
  }));

test("httpHandler() POST /api/jobs/:id/cancel answers { job }, 409 when final, 404 when unknown", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize");
    const { job: cancelled } = await jsonOf<{ job: Job }>(
      await api.call(`/api/jobs/${job.id}/cancel`, { method: "POST" }),
      200,
    );
    assert.equal(cancelled.status, "cancelled");
    const again = await jsonOf<Problem>(
      await api.call(`/api/jobs/${job.id}/cancel`, { method: "POST" }),
      409,
    );
    assert.equal(
      again.detail,
      `Cannot cancel job ${job.id} as it must be queued, delayed or processing: current value is "cancelled"`,
    );
    await jsonOf(await api.call("/api/jobs/404/cancel", { method: "POST" }), 404);
  }));

test("httpHandler() POST /api/jobs/:id/retry requeues a cancelled job, 409 for a queued one", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize");
    await jsonOf(await api.call(`/api/jobs/${job.id}/retry`, { method: "POST" }), 409);
    await queue.cancel(job.id);
    const { job: retried } = await jsonOf<{ job: Job }>(
      await api.call(`/api/jobs/${job.id}/retry`, { method: "POST" }),
      200,
    );
    assert.equal(retried.status, "queued");
  }));

test("httpHandler() GET /api/stats answers queue.stats()", () =>
  withApi(async (api, queue) => {
    queue.define("resize").tag("media");
    await queue.create("resize");
    await queue.create("send email");
    const stats = await jsonOf(await api.call("/api/stats"), 200);
    assert.deepEqual(stats, JSON.parse(JSON.stringify(await queue.stats())));
  }));

test("httpHandler() GET /api/tasks lists this process's tasks with their settings", () =>
  withApi(async (api, queue) => {
    queue.define("send email").tag("mail").desc("Sends one").timeout("30s").retry("10s", 3);
    queue.define("resize").tag("media");
    const tasks = await jsonOf<TaskListing[]>(await api.call("/api/tasks"), 200);
    assert.deepEqual(tasks, [
      {
        name: "send email",
        tag: "mail",
        description: "Sends one",
        timeout: 30_000,
        retry: { delay: 10_000, max: 3, backoff: "fixed" },
        workers: [],
      },
      { name: "resize", tag: "media", workers: [] },
    ]);
  }));

test("httpHandler() POST /api/clean removes completed jobs (or the given statuses): { count }", () =>
  withApi(async (api, queue) => {
    const [a, b] = await queue.createMany([{ task: "t" }, { task: "t" }, { task: "t" }]);
    await queue.cancel(a.id);
    await queue.cancel(b.id);
    const none = await jsonOf<{ count: number }>(
      await api.call("/api/clean", { method: "POST" }),
      200,
    );
    assert.deepEqual(none, { count: 0 });
    const count = await jsonOf(
      await api.call("/api/clean", { json: { status: "cancelled" } }),
      200,
    );
    assert.deepEqual(count, { count: 2 });
    assert.equal(await queue.count(), 1);
    const problem = await jsonOf<Problem>(
      await api.call("/api/clean", { json: { status: "gone" } }),
      400,
    );
    assert.match(problem.detail, /^Cannot clean jobs as status must be strings of queued, /);
  }));

test("httpHandler() answers 404 as a problem for an unknown route", () =>
  withApi(async (api) => {
    const problem = await jsonOf<Problem>(await api.call("/api/nothing"), 404);
    assert.equal(problem.detail, "Cannot GET /api/nothing as there is no such route");
  }));

test("httpHandler() serves every route under basePath, and nothing outside it", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize");
    assert.equal(api.base.endsWith("/kinetik"), true);
    assert.deepEqual(await jsonOf(await api.call(`/api/jobs/${job.id}`), 200), job);
    const created = await api.call("/api/jobs", { json: { task: "resize" } });
    assert.match(created.headers.get("location") ?? "", /^\/kinetik\/api\/jobs\/\d+$/);
    const outside = await fetch(api.base.replace(/\/kinetik$/, "") + `/api/jobs/${job.id}`);
    await jsonOf(outside, 404);
  }, { basePath: "/kinetik" }));

test("httpHandler() throws a TypeError for a malformed basePath, token, hosts or cors", () => {
  const queue = kinetik();
  for (
    const [options, message] of [
      [{ basePath: "kinetik" }, /basePath must be like "\/kinetik"/],
      [{ basePath: "/kinetik/" }, /basePath must be like/],
      [{ token: "" }, /token must be a non-empty string/],
      [{ hosts: "localhost" }, /hosts must be an array of host names/],
      [{ cors: { origin: [] } }, /cors.origin must be an origin/],
    ] as const
  ) {
    assert.throws(() => httpHandler(queue, options as HttpOptions), { name: "TypeError", message });
  }
  assert.throws(() => httpHandler(queue, { heartbeat: "often" }), TypeError);
  return queue.close();
});
