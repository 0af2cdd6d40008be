import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../stores/memory.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { bucketOf, METRICS_RETENTION_MS } from "../src/metrics.ts";
import { FLUSH_INTERVAL_MS, MetricsRecorder } from "../src/metrics_recorder.ts";
import type { MetricsSample } from "../src/store.ts";
import { FailingStore } from "./_failing_store.ts";
import { storeWithout } from "./_helpers.ts";

const MINUTE = 60_000;
/** A minute boundary, so tests say which minute a run lands in. */
const M0 = 1_700_000_040_000;

function setUp(start = M0) {
  const store = new FailingStore(new MemoryStore());
  const clock = new ManualClock(start);
  const errors: unknown[] = [];
  const recorder = new MetricsRecorder(store, clock, (error) => errors.push(error));
  return { store, clock, errors, recorder };
}

async function stored(store: FailingStore): Promise<MetricsSample[]> {
  return (await store.inner.metrics!(0)).sort((a, b) =>
    a.minute - b.minute || a.task.localeCompare(b.task)
  );
}

test("MetricsRecorder.record() writes nothing per run, then one batch after the flush interval", async () => {
  const { store, clock, recorder } = setUp();
  for (let i = 0; i < 100; i++) recorder.record("send email", "completed", M0 + 10, 25);
  recorder.record("resize", "failed", M0 + 20, 400);
  await clock.advance(FLUSH_INTERVAL_MS - 1);
  assert.equal(store.callsOf("recordMetrics"), 0, "no write before the interval");
  await clock.advance(1);
  assert.equal(store.callsOf("recordMetrics"), 1, "one write for 101 runs");
  assert.deepEqual(await stored(store), [
    { task: "resize", minute: M0, completed: 0, failed: 1, runtimes: { [bucketOf(400)]: 1 } },
    {
      task: "send email",
      minute: M0,
      completed: 100,
      failed: 0,
      runtimes: { [bucketOf(25)]: 100 },
    },
  ]);
  await clock.advance(FLUSH_INTERVAL_MS * 3);
  assert.equal(store.callsOf("recordMetrics"), 1, "nothing new: no write");
  await recorder.close();
});

test("MetricsRecorder.record() counts failed, timeout and retry as failed, and skips release", async () => {
  const { store, recorder } = setUp();
  recorder.record("t", "completed", M0, 1);
  recorder.record("t", "failed", M0, 2);
  recorder.record("t", "timeout", M0, 2);
  recorder.record("t", "retry", M0, 2);
  recorder.record("t", "release", M0, 2);
  await recorder.flush();
  assert.deepEqual(await stored(store), [
    { task: "t", minute: M0, completed: 1, failed: 3, runtimes: { "1": 1, "9": 3 } },
  ]);
  await recorder.close();
});

test("MetricsRecorder.record() puts each run in the minute it ended", async () => {
  const { store, recorder } = setUp();
  recorder.record("t", "completed", M0 + MINUTE - 1, 3);
  recorder.record("t", "completed", M0 + MINUTE, 3);
  recorder.record("t", "completed", M0 + MINUTE + 5, 3);
  recorder.record("u", "completed", M0 + 2, 3);
  await recorder.flush();
  assert.deepEqual((await stored(store)).map((s) => [s.task, s.minute, s.completed]), [
    ["t", M0, 1],
    ["u", M0, 1],
    ["t", M0 + MINUTE, 2],
  ]);
  await recorder.close();
});

test("MetricsRecorder.flush() keeps the samples of a failed write for the next one", async () => {
  const { store, clock, errors, recorder } = setUp();
  store.fail("recordMetrics");
  recorder.record("t", "completed", M0, 10);
  await clock.advance(FLUSH_INTERVAL_MS);
  assert.equal(store.callsOf("recordMetrics"), 1);
  assert.equal(errors.length, 1, "the failure is reported");
  assert.match(String(errors[0]), /Cannot recordMetrics as the store is down/);
  recorder.record("t", "failed", M0 + 100, 10);
  recorder.record("t", "completed", M0 + MINUTE, 10);
  store.heal();
  await clock.advance(FLUSH_INTERVAL_MS);
  assert.equal(store.callsOf("recordMetrics"), 2, "retried by the timer, without a new run");
  assert.deepEqual((await stored(store)).map((s) => [s.minute, s.completed, s.failed]), [
    [M0, 1, 1],
    [M0 + MINUTE, 1, 0],
  ]);
  await recorder.close();
});

test("MetricsRecorder.flush() lets go of kept minutes the store would no longer keep", async () => {
  const inner = new MemoryStore();
  const written: number[][] = [];
  let isDown = true;
  const store = {
    ...storeWithout(inner),
    recordMetrics(samples: readonly MetricsSample[], now: number): Promise<void> {
      written.push(samples.map((s) => s.minute));
      return isDown ? Promise.reject(new Error("down")) : inner.recordMetrics(samples, now);
    },
  };
  const clock = new ManualClock(M0);
  const recorder = new MetricsRecorder(store, clock, () => {});
  recorder.record("t", "completed", M0, 10);
  await recorder.flush();
  const later = M0 + METRICS_RETENTION_MS + MINUTE;
  clock.set(later);
  recorder.record("t", "completed", later, 10);
  await recorder.flush(); // fails again, and M0 is now past 24 hours
  isDown = false;
  await recorder.flush();
  assert.deepEqual(written, [[M0], [M0, later], [later]]);
  await recorder.close();
});

test("MetricsRecorder.close() writes what is left, then counts no more", async () => {
  const { store, clock, recorder } = setUp();
  recorder.record("t", "completed", M0, 10);
  await recorder.close();
  assert.equal(store.callsOf("recordMetrics"), 1);
  recorder.record("t", "completed", M0, 10);
  await clock.advance(FLUSH_INTERVAL_MS * 2);
  assert.equal(store.callsOf("recordMetrics"), 1);
  assert.equal((await stored(store))[0].completed, 1);
});

test("MetricsRecorder counts nothing on a store without recordMetrics", async () => {
  const inner = new MemoryStore();
  const clock = new ManualClock(M0);
  const recorder = new MetricsRecorder(storeWithout(inner, "recordMetrics"), clock, () => {});
  assert.equal(recorder.isEnabled, false);
  recorder.record("t", "completed", M0, 10);
  await clock.advance(FLUSH_INTERVAL_MS);
  await recorder.close();
  assert.deepEqual(await inner.metrics(0), []);
});
