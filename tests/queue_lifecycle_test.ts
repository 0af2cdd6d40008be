import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore, type Queue } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { jobIdOf } from "../src/queue_lifecycle.ts";
import type { Store } from "../src/store.ts";
import { deferred, waitFor, waitForStatus } from "./_helpers.ts";

const T0 = 1_700_000_000_000;

async function withQueue(fn: (queue: Queue, clock: ManualClock) => unknown): Promise<void> {
  const clock = new ManualClock(T0);
  const queue = kinetik({ interval: "1h", clock });
  try {
    await fn(queue, clock);
  } finally {
    await queue.close();
  }
}

/** A memory store without the given verbs, as a store written before wave 2 would be. */
function storeWithout(...verbs: string[]): Store {
  return new Proxy(new MemoryStore(), {
    get: (target, key) => {
      if (verbs.includes(String(key))) return undefined;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

test("jobIdOf() takes a record or a non-empty id, and throws a TypeError otherwise", () => {
  assert.equal(jobIdOf("7", "remove job"), "7");
  assert.equal(jobIdOf({ id: "8" } as never, "remove job"), "8");
  assert.throws(
    () => jobIdOf("", "promote job"),
    new TypeError('Cannot promote job as it needs a job or an id: current value is ""'),
  );
  assert.throws(() => jobIdOf(undefined as never, "remove job"), TypeError);
});

test("remove() deletes a waiting job and its logs, and resolves false for an unknown one", () =>
  withQueue(async (queue) => {
    const job = await queue.create("later", { n: 1 }, "1d");
    assert.equal(await queue.remove(job), true);
    assert.equal(await queue.get(job.id), undefined);
    assert.deepEqual(await queue.logs(job.id), []);
    assert.equal(await queue.remove(job.id), false);
    assert.equal(await queue.remove("404"), false);
  }));

test("remove() of a running job aborts its signal and refuses its outcome", () =>
  withQueue(async (queue) => {
    const running = deferred<AbortSignal>();
    const finish = deferred();
    const outcomes: string[] = [];
    const task = queue.define("long").action(async (job) => {
      running.resolve(job.signal);
      await finish.promise;
    });
    task.on("complete", () => outcomes.push("complete"));
    const job = await queue.create("long");
    queue.process("default");
    const signal = await running.promise;
    assert.equal(await queue.remove(job.id), true);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason.name, "AbortError");
    finish.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(await queue.get(job.id), undefined, "nothing brings it back");
    assert.deepEqual(await queue.logs(job.id), []);
    assert.deepEqual(outcomes, []);
  }));

test("remove() of a job running on another queue of the store aborts it there", async () => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const worker = kinetik(store, { interval: "1h", clock });
  const operator = kinetik(store, { interval: "1h", clock });
  const running = deferred<AbortSignal>();
  worker.define("remote").action((job) => {
    running.resolve(job.signal);
    return new Promise(() => {});
  });
  try {
    const job = await operator.create("remote");
    worker.process("default");
    const signal = await running.promise;
    assert.equal(await operator.remove(job.id), true);
    await waitFor(() => signal.aborted, 3_000, "the remote run's signal to abort");
  } finally {
    await operator.close();
    await worker.close();
  }
});

test("remove() and promote() reject with an Error naming a store that lacks the verb", async () => {
  const queue = kinetik(storeWithout("removeJob", "promote"));
  try {
    const job = await queue.create("t");
    await assert.rejects(queue.remove(job.id), {
      message: "Cannot remove job as the memory store cannot remove single jobs",
    });
    await assert.rejects(queue.promote(job.id), {
      message: "Cannot promote job as the memory store cannot promote jobs",
    });
    await assert.rejects(queue.remove(""), TypeError);
  } finally {
    await queue.close();
  }
});

test("promote() starts a delayed job at once, and resolves false when it is not delayed", () =>
  withQueue(async (queue) => {
    const started = deferred<number>();
    queue.define("report").action((job) => started.resolve(job.attempt));
    const delayed = await queue.create("report", {}, "1d");
    const empty = new Promise((resolve) => queue.once("empty", resolve));
    queue.process("default");
    await empty;
    assert.equal(await queue.promote(delayed.id), true);
    assert.equal(await started.promise, 1, "ran without the clock moving");
    await waitForStatus(queue, delayed.id, "completed");
    assert.equal(await queue.promote(delayed.id), false, "completed");
    assert.equal(await queue.promote("404"), false);
    const lines = (await queue.logs(delayed.id)).map((line) => line.message);
    assert.ok(lines.includes("Promoted by hand"), lines.join(", "));
  }));

test("retry(query) requeues failed, timed-out and cancelled jobs, and no others", () =>
  withQueue(async (queue) => {
    const { store } = queue;
    const outcomes = ["failed", "timeout", "completed"] as const;
    const jobs = await queue.createMany(outcomes.map((outcome) => ({ task: outcome })));
    for (const outcome of outcomes) {
      const { jobs: [leased] } = await store.claim({
        groups: [[outcome]],
        limit: 1,
        worker: "w",
        leaseMs: 1_000,
        now: T0,
      });
      const error = { message: outcome };
      await store.settle([{
        id: leased.id,
        token: leased.token,
        outcome,
        now: T0,
        error,
        logs: [],
      }]);
    }
    const cancelled = await queue.create("cancelled");
    await queue.cancel(cancelled);
    assert.equal(await queue.retry({}), 3);
    const statuses = await Promise.all(
      [...jobs, cancelled].map(async (job) => (await queue.get(job.id))?.status),
    );
    assert.deepEqual(statuses, ["queued", "queued", "completed", "queued"]);
  }));

test("retry(query) requeues only matching retryable jobs, in pages, and counts them", async () => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const queue = kinetik(store, { interval: "1h", clock });
  try {
    const failed = await store.add(Array.from({ length: 1_200 }, (_, i) => ({
      task: i % 3 === 0 ? "email" : "sms",
      data: { user: i % 2 },
      created: T0 + i,
      priority: 0,
      log: { time: T0, message: "Created" },
    })));
    for (let offset = 0; offset < failed.length; offset += 400) {
      const { jobs } = await store.claim({
        groups: [["email", "sms"]],
        limit: 400,
        worker: "w",
        leaseMs: 1_000,
        now: T0,
      });
      await store.settle(jobs.map((job) => ({
        id: job.id,
        token: job.token,
        outcome: "failed" as const,
        now: T0 + 1,
        error: { message: "no" },
        logs: [],
      })));
    }
    const [waiting] = await store.add([{
      task: "email",
      data: { user: 1 },
      created: T0,
      priority: 0,
      log: { time: T0, message: "Created" },
    }]);
    assert.equal(await queue.retry({ task: "email", "data.user": 1 }), 200);
    assert.equal(await queue.count({ status: "queued", task: "email" }), 201);
    assert.equal((await queue.get(waiting.id))?.status, "queued", "untouched");
    assert.equal(await queue.retry({ status: "completed" }), 0, "not a retryable status");
    assert.equal(await queue.retry({ status: { $in: ["failed", "completed"] }, task: "sms" }), 800);
    assert.equal(await queue.retry({}), 200, "the rest");
    assert.equal(await queue.count({ status: "failed" }), 0);
    assert.equal(await queue.retry({}), 0);
    await assert.rejects(queue.retry({ $where: "1" }), TypeError);
  } finally {
    await queue.close();
  }
});

test("retry(query) wakes an idle processor for the requeued jobs", () =>
  withQueue(async (queue) => {
    let runs = 0;
    const second = deferred();
    queue.define("once").action(() => {
      if (++runs === 1) throw new Error("first run fails");
      second.resolve();
    });
    const job = await queue.create("once");
    queue.process("default");
    await waitForStatus(queue, job.id, "failed");
    assert.equal(await queue.retry({ task: "once" }), 1);
    await second.promise;
    await waitForStatus(queue, job.id, "completed");
  }));
