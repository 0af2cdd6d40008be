import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { Job } from "../src/job.ts";
import type { Queue } from "../src/queue.ts";
import type { WorkerRecord } from "../src/store.ts";
import type { Problem } from "../http/mod.ts";
import { jsonOf, serveApi, type TestApi } from "./_http.ts";

async function withApi(
  fn: (api: TestApi, queue: Queue) => Promise<void>,
  queue: Queue = kinetik(),
): Promise<void> {
  const api = await serveApi(queue);
  try {
    await fn(api, queue);
  } finally {
    await api.close();
    await queue.close();
  }
}

test("httpHandler() DELETE /api/jobs/:id removes a job in any status: 204, then 404", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize");
    const response = await api.call(`/api/jobs/${job.id}`, { method: "DELETE" });
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    assert.equal(await queue.get(job.id), undefined);
    const again = await jsonOf<Problem>(
      await api.call(`/api/jobs/${job.id}`, { method: "DELETE" }),
      404,
    );
    assert.match(again.detail, /^Cannot find job as there is none with this id/);
  }));

test("httpHandler() POST /api/jobs/:id/promote makes a delayed job ready, 409 when not delayed", () =>
  withApi(async (api, queue) => {
    const job = await queue.create("resize", {}, "1h");
    const { job: promoted } = await jsonOf<{ job: Job }>(
      await api.call(`/api/jobs/${job.id}/promote`, { method: "POST" }),
      200,
    );
    assert.equal(promoted.status, "queued");
    const again = await jsonOf<Problem>(
      await api.call(`/api/jobs/${job.id}/promote`, { method: "POST" }),
      409,
    );
    assert.equal(
      again.detail,
      `Cannot promote job ${job.id} as it must be delayed: current value is "queued"`,
    );
    await jsonOf(await api.call("/api/jobs/999/promote", { method: "POST" }), 404);
  }));

test("httpHandler() answers 501 with the library's message when the store lacks the verb", async () => {
  const store = new MemoryStore();
  // A store from before promote and removeJob existed.
  Object.assign(store, { promote: undefined, removeJob: undefined });
  await withApi(async (api, queue) => {
    const job = await queue.create("resize", {}, "1h");
    const promote = await jsonOf<Problem>(
      await api.call(`/api/jobs/${job.id}/promote`, { method: "POST" }),
      501,
    );
    assert.equal(promote.detail, "Cannot promote job as the memory store cannot promote jobs");
    await jsonOf(await api.call(`/api/jobs/${job.id}`, { method: "DELETE" }), 501);
  }, kinetik(store));
});

test("httpHandler() POST /api/retry requeues the failed jobs a query matches: { count }", () =>
  withApi(async (api, queue) => {
    const jobs = await queue.createMany(
      Array.from({ length: 5 }, (_, n) => ({ task: n % 2 ? "odd" : "even", data: { n } })),
    );
    for (const job of jobs) await queue.cancel(job.id);
    const odd = await jsonOf(await api.call("/api/retry", { json: { task: "odd" } }), 200);
    assert.deepEqual(odd, { count: 2 });
    assert.deepEqual(await jsonOf(await api.call("/api/retry", { method: "POST" }), 200), {
      count: 3,
    });
    assert.equal(await queue.count({ status: "queued" }), 5);
    const where = await jsonOf<Problem>(
      await api.call("/api/retry", { json: { $where: "1" } }),
      400,
    );
    assert.match(where.detail, /\$where/);
    await jsonOf(await api.call("/api/retry", { json: ["x"] }), 400);
  }));

test("httpHandler() POST /api/clean with before removes only jobs finished before it", () => {
  const clock = new ManualClock(1_700_000_000_000);
  return withApi(async (api, queue) => {
    const [old, fresh] = await queue.createMany([{ task: "t" }, { task: "t" }]);
    await queue.cancel(old.id); // finished at T0
    await clock.advance(60_000);
    await queue.cancel(fresh.id); // finished a minute later
    const none = await api.call("/api/clean", {
      json: { status: "cancelled", before: clock.now() - 120_000 },
    });
    assert.deepEqual(await jsonOf(none, 200), { count: 0 });
    const older = await api.call("/api/clean", { json: { status: "cancelled", before: "30s" } });
    assert.deepEqual(await jsonOf(older, 200), { count: 1 }, "finished more than 30 s ago");
    assert.equal(await queue.get(old.id), undefined);
    assert.ok(await queue.get(fresh.id));
    const bad = await jsonOf<Problem>(
      await api.call("/api/clean", { json: { before: "long ago" } }),
      400,
    );
    assert.match(bad.detail, /^Cannot read clean before as it must be milliseconds/);
  }, kinetik({ clock }));
});

test("httpHandler() GET /api/workers lists the live workers, and /api/tasks names them", () =>
  withApi(async (api, queue) => {
    const worker: WorkerRecord = {
      id: "host:1:abcd",
      tags: ["media"],
      tasks: [{ name: "resize", tag: "media" }],
      host: "host",
      pid: 1,
      started: Date.now(),
      seen: Date.now(),
    };
    await queue.store.heartbeat!(worker, 60_000);
    assert.deepEqual(await jsonOf(await api.call("/api/workers"), 200), [worker]);
    assert.deepEqual(await jsonOf(await api.call("/api/tasks"), 200), [
      { name: "resize", tag: "media", workers: ["host:1:abcd"] },
    ]);
  }));
