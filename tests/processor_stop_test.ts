/**
 * Processor.stop(), `await using` and queue.close(): the graceful end of a processor. Every
 * test runs on a ManualClock, so the grace period ends exactly when the test says so.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { deferred, PATIENCE, watchAll, withTimeout } from "./_helpers.ts";

test("stop() lets a running job finish within the grace period", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: 20, clock });
  const started = deferred();
  const finish = deferred();
  queue.define("work").action(async () => {
    started.resolve();
    await finish.promise;
  });
  try {
    const job = await queue.create("work");
    const processor = queue.process("default");
    await withTimeout(started.promise, PATIENCE, "the job to start");
    let isStopped = false;
    const stopping = processor.stop({ grace: 5000 }).then(() => isStopped = true);
    await clock.advance(4999);
    assert.equal(isStopped, false, "stop() waits for the running job");
    assert.equal((await queue.get(job.id))?.status, "processing");
    finish.resolve();
    await withTimeout(stopping, PATIENCE, "stop() once the job finished");
    assert.equal((await queue.get(job.id))?.status, "completed");
  } finally {
    await queue.close();
  }
});

test("stop() aborts a job that outlives the grace period and gives it back to the queue", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik(new MemoryStore(), { interval: 20, clock });
  const started = deferred<AbortSignal>();
  queue.define("stubborn").action((job) => {
    started.resolve(job.signal);
    return new Promise(() => {});
  });
  try {
    const job = await queue.create("stubborn");
    const processor = queue.process("default");
    const signal = await withTimeout(started.promise, PATIENCE, "the job to start");
    const stopping = processor.stop({ grace: 10 });
    await clock.advance(9);
    assert.equal(signal.aborted, false, "aborted before the grace period ended");
    await clock.advance(1);
    await withTimeout(stopping, PATIENCE, "stop() after the grace period");
    assert.equal(signal.aborted, true);
    const released = await queue.get(job.id);
    assert.equal(released?.status, "queued");
    assert.equal(released?.attempts, 0);
  } finally {
    await queue.close();
  }
});

test("a processor stops at the end of an await using scope", async () => {
  const clock = new ManualClock();
  const queue = kinetik({ interval: 20, clock });
  const runBy: string[] = [];
  queue.define("a").action(() => {}).on("start", (job) => runBy.push(job.worker!));
  try {
    {
      await using _processor = queue.process("default");
    }
    const job = await queue.create("a");
    // A processor that outlived its scope would have been woken by the create, and would
    // claim before one started now.
    const witness = queue.process("default");
    const events = await watchAll(queue, job.id);
    assert.equal(events.at(-1)?.type, "completed");
    assert.deepEqual(runBy, [witness.worker]);
  } finally {
    await queue.close();
  }
});

test("close() returns right after the grace period even when the store sends no wake-ups", async () => {
  const clock = new ManualClock(0);
  const store = new MemoryStore();
  Object.assign(store, { subscribe: undefined, publish: undefined });
  const queue = kinetik(store, { interval: "20s", clock });
  const started = deferred();
  queue.define("stubborn").action((job) => {
    started.resolve();
    return new Promise((resolve) => job.signal.addEventListener("abort", resolve));
  });
  await queue.create("stubborn");
  queue.process("default");
  await withTimeout(started.promise, PATIENCE, "the job to start");
  const closing = queue.close({ grace: 100 });
  // The clock stops at the end of the grace period: close() may not wait for the interval.
  await clock.advance(100);
  await withTimeout(closing, PATIENCE, "close() after the grace period");
});
