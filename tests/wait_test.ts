import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore, type Queue } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { Store } from "../src/store.ts";
import { deferred, watchAll } from "./_helpers.ts";

const T0 = 1_700_000_000_000;

/** Whether `promise` has settled once pending callbacks and I/O ran. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

/** Completes the oldest ready job of `task` as a worker elsewhere would, through the store. */
async function completeElsewhere(store: Store, task: string, result?: unknown): Promise<void> {
  const { jobs: [job] } = await store.claim({
    groups: [[task]],
    limit: 1,
    worker: "elsewhere",
    leaseMs: 30_000,
    now: T0,
  });
  await store.settle([{
    id: job.id,
    token: job.token,
    outcome: "completed",
    now: T0 + 1,
    logs: [],
    result,
  }]);
}

/** A memory store without `subscribe`/`publish`: a store that carries no events. */
function storeWithoutEvents(): Store {
  const memory = new MemoryStore();
  return new Proxy(memory, {
    get: (target, key) => {
      if (key === "subscribe" || key === "publish") return undefined;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function withQueue(fn: (queue: Queue, clock: ManualClock) => unknown): Promise<void> {
  const clock = new ManualClock(T0);
  const queue = kinetik({ interval: "1m", clock });
  try {
    await fn(queue, clock);
  } finally {
    await queue.close();
  }
}

test("wait() resolves at once with the record of a job that is already final", () =>
  withQueue(async (queue) => {
    const job = await queue.create("t");
    await completeElsewhere(queue.store, "t", { n: 1 });
    const done = await queue.wait(job.id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.result, { n: 1 });
  }));

test("wait() resolves with the final record when a processor of the queue completes the job", () =>
  withQueue(async (queue) => {
    const gate = deferred();
    queue.define("sum").action(async (job) => {
      await gate.promise;
      return (job.data as number[]).reduce((a, b) => a + b, 0);
    });
    const job = await queue.create("sum", [1, 2, 3]);
    queue.process("default");
    const waited = queue.wait(job.id);
    assert.equal(await isSettled(waited), false, "not final yet");
    gate.resolve();
    const done = await waited;
    assert.equal(done.status, "completed");
    assert.equal(done.result, 6);
  }));

test("wait() resolves when a worker on another queue sharing the store completes the job", async () => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const producer = kinetik(store, { interval: "1h", clock });
  const worker = kinetik(store, { interval: "1h", clock });
  worker.define("remote").action(() => "done elsewhere");
  try {
    const job = await producer.create("remote");
    const waited = producer.wait(job.id);
    assert.equal(await isSettled(waited), false);
    worker.process("default");
    assert.equal((await waited).result, "done elsewhere");
  } finally {
    await worker.close();
    await producer.close();
  }
});

test("wait() resolves on a failure for good and on a cancel, not on a retry", () =>
  withQueue(async (queue, clock) => {
    queue.define("flaky").retry("10s", 1).action(() => {
      throw new Error("no");
    });
    const failing = await queue.create("flaky");
    const cancelled = await queue.create("never run", {}, "1d");
    const waitedFail = queue.wait(failing.id);
    const waitedCancel = queue.wait(cancelled.id);
    queue.process("default");
    assert.equal(await isSettled(waitedFail), false, "a retry is not final");
    await queue.cancel(cancelled.id);
    assert.equal((await waitedCancel).status, "cancelled");
    await clock.advance(10_000);
    const failed = await waitedFail;
    assert.equal(failed.status, "failed");
    assert.equal(failed.attempts, 2);
  }));

test("wait() on a store without events reads the record once per interval", async () => {
  const clock = new ManualClock(T0);
  const store = storeWithoutEvents();
  const queue = kinetik(store, { interval: "1m", clock });
  try {
    const job = await queue.create("quiet");
    const waited = queue.wait(job.id);
    await completeElsewhere(store, "quiet", "ok");
    await clock.advance(59_999);
    assert.equal(await isSettled(waited), false, "nothing tells it before the next read");
    await clock.advance(1);
    assert.equal((await waited).result, "ok");
    assert.equal(clock.pending, 0, "no timer left behind");
  } finally {
    await queue.close();
  }
});

test("wait() rejects with a TimeoutError DOMException after its timeout", () =>
  withQueue(async (queue, clock) => {
    const job = await queue.create("slow");
    const waited = queue.wait(job.id, { timeout: "5s" });
    await clock.advance(4_999);
    assert.equal(await isSettled(waited), false);
    await clock.advance(1);
    await assert.rejects(waited, (error: unknown) => {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "TimeoutError");
      assert.equal(error.message, `Timed out after 5000 ms waiting for job ${job.id}`);
      return true;
    });
    assert.equal(clock.pending, 0, "the interval read is cancelled too");
  }));

test("wait() rejects with an AbortError, or the signal's own DOMException, when it aborts", () =>
  withQueue(async (queue) => {
    const job = await queue.create("slow");
    const controller = new AbortController();
    const waited = queue.wait(job.id, { signal: controller.signal });
    controller.abort();
    await assert.rejects(waited, (error: unknown) => {
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "AbortError");
      return true;
    });
    const reason = new DOMException("the request ended", "TimeoutError");
    const timed = new AbortController();
    const waitedTimed = queue.wait(job.id, { signal: timed.signal });
    timed.abort(reason);
    await assert.rejects(waitedTimed, (error) => error === reason);
    const custom = new AbortController();
    custom.abort("just because");
    await assert.rejects(queue.wait(job.id, { signal: custom.signal }), {
      name: "AbortError",
    });
  }));

test("wait() rejects with a TypeError for an unknown job and for a job removed meanwhile", () =>
  withQueue(async (queue) => {
    await assert.rejects(queue.wait("404"), {
      name: "TypeError",
      message: 'Cannot wait for job as it does not exist: current value is "404"',
    });
    const job = await queue.create("doomed");
    const waited = queue.wait(job.id);
    assert.equal(await isSettled(waited), false);
    assert.equal(await queue.remove(job.id), true);
    await assert.rejects(waited, {
      name: "TypeError",
      message: `Cannot wait for job as it was removed: current value is "${job.id}"`,
    });
  }));

test("wait() rejects when another queue on the store removes the job", async () => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const waiting = kinetik(store, { interval: "1h", clock });
  const other = kinetik(store, { interval: "1h", clock });
  try {
    const job = await waiting.create("doomed");
    const waited = waiting.wait(job.id);
    assert.equal(await isSettled(waited), false);
    await other.remove(job.id);
    await assert.rejects(waited, { name: "TypeError", message: /it was removed/ });
  } finally {
    await other.close();
    await waiting.close();
  }
});

test("wait() rejects for a bad timeout or signal, and once the queue closes", async () => {
  const clock = new ManualClock(T0);
  const queue = kinetik({ interval: "1m", clock });
  const job = await queue.create("t");
  await assert.rejects(queue.wait(job.id, { timeout: "soon" }), TypeError);
  await assert.rejects(queue.wait(job.id, { timeout: -1 }), RangeError);
  await assert.rejects(queue.wait(job.id, { signal: {} as AbortSignal }), {
    name: "TypeError",
    message:
      "Cannot wait for job as signal must be an AbortSignal: current value is [object Object]",
  });
  const waited = queue.wait(job.id);
  await queue.close();
  await assert.rejects(waited, { message: "Cannot wait for job as the queue is closed" });
  await assert.rejects(queue.wait(job.id), {
    message: "Cannot wait for job as the queue is closed",
  });
  assert.equal(clock.pending, 0);
});

test("watch() streams a job's events to its final one, and just that one when already final", () =>
  withQueue(async (queue) => {
    queue.define("seen").action(() => {});
    const job = await queue.create("seen");
    const watched = watchAll(queue, job.id);
    queue.process("default");
    assert.deepEqual((await watched).map((event) => event.type), ["started", "completed"]);
    assert.deepEqual((await watchAll(queue, job.id)).map((event) => event.type), ["completed"]);
  }));

test("wait() on a queue with interval 0 reads again every 10 ms, not in a busy loop", async () => {
  const clock = new ManualClock(T0);
  const store = storeWithoutEvents();
  const queue = kinetik(store, { interval: 0, clock });
  try {
    const job = await queue.create("quiet");
    const waited = queue.wait(job.id);
    await completeElsewhere(store, "quiet");
    await clock.advance(9);
    assert.equal(await isSettled(waited), false);
    await clock.advance(1);
    assert.equal((await waited).status, "completed");
  } finally {
    await queue.close();
  }
});
