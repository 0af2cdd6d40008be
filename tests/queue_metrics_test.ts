import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { bucketOf, METRICS_RETENTION_MS, runtimeQuantile } from "../src/metrics.ts";
import { readMetrics } from "../src/queue_metrics.ts";
import type { MetricsSample } from "../src/store.ts";
import { nextEvent, storeWithout } from "./_helpers.ts";

const MINUTE = 60_000;
/** A five-minute boundary. */
const M0 = 1_700_000_100_000;

function histogram(runtimes: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const ms of runtimes) counts[bucketOf(ms)] = (counts[bucketOf(ms)] ?? 0) + 1;
  return counts;
}

function sample(
  task: string,
  minute: number,
  completed: number,
  failed: number,
  runtimes: number[],
): MetricsSample {
  return { task, minute, completed, failed, runtimes: histogram(runtimes) };
}

test("readMetrics() sums minutes into buckets with percentiles of the merged histograms", async () => {
  const store = new MemoryStore();
  await store.recordMetrics([
    sample("mail", M0, 2, 0, [10, 10]),
    sample("mail", M0 + 4 * MINUTE, 1, 1, [1000, 1000]),
    sample("resize", M0 + 2 * MINUTE, 0, 3, [50, 50, 50]),
    sample("mail", M0 + 10 * MINUTE, 5, 0, [20, 20, 20, 20, 20]),
  ], M0 + 10 * MINUTE);
  const now = M0 + 12 * MINUTE + 30_000;
  const metrics = await readMetrics(store, { since: M0 + MINUTE, bucket: "5m" }, now);
  assert.equal(metrics.since, M0, "since rounds down to a bucket boundary");
  assert.equal(metrics.until, M0 + 15 * MINUTE);
  assert.equal(metrics.bucket, 5 * MINUTE);
  assert.deepEqual(metrics.times, [M0, M0 + 5 * MINUTE, M0 + 10 * MINUTE]);
  assert.deepEqual(Object.keys(metrics.tasks), ["mail", "resize"]);
  const mail = metrics.tasks.mail;
  assert.deepEqual(mail.completed, [3, 0, 5]);
  assert.deepEqual(mail.failed, [1, 0, 0]);
  assert.deepEqual(mail.p50, [
    runtimeQuantile(histogram([10, 10, 1000, 1000]), 0.5),
    null,
    runtimeQuantile(histogram([20, 20, 20, 20, 20]), 0.5),
  ]);
  assert.equal(mail.p95[0], runtimeQuantile(histogram([10, 10, 1000, 1000]), 0.95));
  assert.ok(Math.abs(mail.p95[0]! - 1000) / 1000 < 0.1, `p95 ${mail.p95[0]} near 1000`);
  assert.deepEqual(mail.overall, {
    completed: 8,
    failed: 1,
    p50: runtimeQuantile(histogram([10, 10, 1000, 1000, 20, 20, 20, 20, 20]), 0.5),
    p95: runtimeQuantile(histogram([10, 10, 1000, 1000, 20, 20, 20, 20, 20]), 0.95),
  });
  assert.deepEqual(metrics.tasks.resize.failed, [3, 0, 0]);
  assert.deepEqual(metrics.total.completed, [3, 0, 5]);
  assert.deepEqual(metrics.total.failed, [4, 0, 0]);
  assert.equal(
    metrics.total.p50[0],
    runtimeQuantile(histogram([10, 10, 1000, 1000, 50, 50, 50]), 0.5),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(metrics)), metrics, "plain JSON");
});

test("readMetrics() defaults to each minute of the last hour and reads no older than 24 hours", async () => {
  const store = new MemoryStore();
  const now = M0 + 30_000;
  await store.recordMetrics([
    sample("t", M0 - 2 * 3_600_000, 1, 0, [5]),
    sample("t", M0, 1, 0, [5]),
  ], now);
  const hour = await readMetrics(store, {}, now);
  assert.equal(hour.bucket, MINUTE);
  assert.equal(hour.since, M0 - 60 * MINUTE);
  assert.equal(hour.times.length, 61);
  assert.equal(hour.tasks.t.overall.completed, 1, "the sample of two hours ago is not in the hour");
  const week = await readMetrics(store, { since: "7d", bucket: "1h" }, now);
  const cutoff = now - METRICS_RETENTION_MS;
  assert.equal(week.since, cutoff - (cutoff % 3_600_000));
  assert.equal(week.tasks.t.overall.completed, 2);
  const fromDate = await readMetrics(store, { since: new Date(M0) }, now);
  assert.deepEqual(fromDate.times, [M0]);
  assert.deepEqual((await readMetrics(store, { since: now + MINUTE }, now)).times, [M0]);
});

test("readMetrics() rejects a bucket that is not whole minutes and a since it cannot read", async () => {
  const store = new MemoryStore();
  for (const bucket of ["90s", "30s", "2d", 1]) {
    await assert.rejects(readMetrics(store, { bucket }, M0), {
      name: "RangeError",
      message:
        `Cannot read metrics as bucket must be whole minutes from 1m to 24h: current value is ${
          typeof bucket === "string" ? JSON.stringify(bucket) : bucket
        }`,
    });
  }
  await assert.rejects(readMetrics(store, { bucket: "soon" }, M0), TypeError);
  await assert.rejects(readMetrics(store, { since: {} as never }, M0), {
    name: "TypeError",
    message:
      'Cannot read metrics as since must be a duration like "1h", epoch ms or a Date: current value is [object Object]',
  });
});

test("readMetrics() rejects with an Error naming a store that keeps no metrics", async () => {
  await assert.rejects(readMetrics(storeWithout(new MemoryStore(), "metrics"), {}, M0), {
    message: "Cannot read metrics as the memory store does not keep them",
  });
});

// Every run moves the manual clock by its `ms` while it runs, so its run time is exact.
test("queue.metrics() counts this process's runs by outcome before their write is due", async () => {
  const clock = new ManualClock(M0);
  const queue = kinetik({ interval: "1h", clock });
  const run = (job: { data: unknown }) => {
    const { ms, fail } = job.data as { ms: number; fail?: boolean };
    clock.set(clock.now() + ms);
    if (fail) throw new Error("on purpose");
  };
  queue.define("mail").action(run);
  const flaky = queue.define("flaky").retry("1h", 1).action(run);
  const slow = queue.define("slow").timeout("50ms").action(() => new Promise(() => {}));
  const retried = nextEvent(flaky, "retry");
  const started = nextEvent(slow, "start");
  try {
    const jobs = await queue.createMany([
      ...[10, 20, 30, 40].map((ms) => ({ task: "mail", data: { ms } })),
      { task: "mail", data: { ms: 200, fail: true } },
      { task: "flaky", data: { ms: 5, fail: true } },
    ]);
    const endless = await queue.create("slow");
    queue.process("default");
    for (const job of jobs.slice(0, 5)) await queue.wait(job.id, { timeout: 5_000 });
    await retried;
    await started;
    await clock.advance(50);
    await queue.wait(endless.id, { timeout: 5_000 });
    const metrics = await queue.metrics({ since: M0 });
    assert.deepEqual(metrics.tasks.mail.overall, {
      completed: 4,
      failed: 1,
      p50: runtimeQuantile(histogram([10, 20, 30, 40, 200]), 0.5),
      p95: runtimeQuantile(histogram([10, 20, 30, 40, 200]), 0.95),
    });
    assert.deepEqual(metrics.tasks.flaky.overall.failed, 1, "a failed run that will retry counts");
    assert.deepEqual(metrics.tasks.slow.overall.failed, 1, "a timed-out run counts as failed");
    assert.equal(metrics.total.overall.completed, 4);
    assert.equal(metrics.total.overall.failed, 3);
  } finally {
    await queue.close();
  }
});

test("queue.metrics() adds up the counts of every queue on the store", async () => {
  const clock = new ManualClock(M0);
  const store = new MemoryStore();
  const a = kinetik(store, { interval: "1h", clock });
  const b = kinetik(store, { interval: "1h", clock });
  for (const queue of [a, b]) queue.define("t").action(() => {});
  try {
    const jobs = await a.createMany(Array.from({ length: 6 }, () => ({ task: "t" })));
    a.process("default");
    const other = b.process("default");
    for (const job of jobs) await a.wait(job.id, { timeout: 5_000 });
    await other.stop(); // writes b's counts; a's are written by metrics()
    const metrics = await a.metrics({ since: M0 });
    assert.equal(metrics.tasks.t.overall.completed, 6);
  } finally {
    await a.close();
    await b.close();
  }
});
