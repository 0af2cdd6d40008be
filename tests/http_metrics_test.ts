import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik, MemoryStore } from "../mod.ts";
import { jsonOf, serveApi } from "./_http.ts";

type Metrics = {
  since: number;
  bucket: number;
  times: number[];
  total: { completed: number[]; failed: number[]; overall: { completed: number; failed: number } };
  tasks: Record<string, { overall: { completed: number; failed: number; p50: number | null } }>;
};

test("httpHandler() GET /api/metrics answers queue.metrics() of the window asked for", async () => {
  const queue = kinetik({ interval: 10 });
  queue.define("ok").action(() => {});
  queue.define("bad").action(() => {
    throw new Error("no");
  });
  const api = await serveApi(queue);
  try {
    const jobs = await queue.createMany([{ task: "ok" }, { task: "ok" }, { task: "bad" }]);
    const processor = queue.process(["default"]);
    for (const job of jobs) await queue.wait(job.id, { timeout: 5000 });
    await processor.stop();

    const hour = await jsonOf<Metrics>(await api.call("/api/metrics?since=1h&bucket=1m"), 200);
    assert.equal(hour.bucket, 60_000);
    assert.ok(hour.times.length >= 60 && hour.times.length <= 61, String(hour.times.length));
    assert.equal(hour.total.completed.length, hour.times.length);
    assert.deepEqual(hour.total.overall, { ...hour.total.overall, completed: 2, failed: 1 });
    assert.equal(hour.tasks.ok.overall.completed, 2);
    assert.equal(hour.tasks.bad.overall.failed, 1);
    assert.equal(typeof hour.tasks.ok.overall.p50, "number");

    // Digits are epoch ms; nothing given is the last hour in minutes.
    const since = Date.now() - 10 * 60_000;
    const ten = await jsonOf<Metrics>(await api.call(`/api/metrics?since=${since}&bucket=5m`), 200);
    assert.equal(ten.bucket, 300_000);
    assert.ok(ten.since <= since && since - ten.since < 300_000);
    assert.equal(ten.total.overall.completed, 2);
    const plain = await jsonOf<Metrics>(await api.call("/api/metrics"), 200);
    assert.equal(plain.bucket, 60_000);
  } finally {
    await api.close();
    await queue.close();
  }
});

test("httpHandler() GET /api/metrics answers 400 for a bad bucket, 501 for a store without metrics", async () => {
  const queue = kinetik();
  const api = await serveApi(queue);
  const store = new MemoryStore();
  Object.assign(store, { metrics: undefined, recordMetrics: undefined });
  const bare = kinetik(store);
  const bareApi = await serveApi(bare);
  try {
    const bad = await jsonOf<{ detail: string }>(await api.call("/api/metrics?bucket=90s"), 400);
    assert.equal(
      bad.detail,
      'Cannot read metrics as bucket must be whole minutes from 1m to 24h: current value is "90s"',
    );
    const none = await jsonOf<{ detail: string }>(await bareApi.call("/api/metrics"), 501);
    assert.equal(none.detail, "Cannot read metrics as the memory store does not keep them");
  } finally {
    await Promise.all([api.close(), bareApi.close()]);
    await Promise.all([queue.close(), bare.close()]);
  }
});
