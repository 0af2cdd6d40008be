import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import type { QueueEvent } from "../src/events.ts";
import { JobRun } from "../src/job_run.ts";
import { Maintenance } from "../src/maintenance.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { ProcessorHost } from "../src/processor_host.ts";
import type { LeasedJob } from "../src/store.ts";

const T0 = 1_700_000_000_000;
const LEASE = 3_000;
const log = { time: T0, message: "Created" };

/** A maintenance over a memory store, with the runs it maintains and what it emitted. */
function setUp() {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const queue = kinetik(store, { clock });
  // Runs that are executed never end on their own: only an abort ends them.
  const task = queue.define("work").tag("t").action(() => new Promise(() => {}));
  const events: QueueEvent[] = [];
  const errors: unknown[] = [];
  let sweeps = 0;
  const host: ProcessorHost = {
    store,
    clock,
    plan: () => ({ groups: [["work"]], tasks: new Map([["work", task]]), maxAttempts: {} }),
    emitEvent: (event) => events.push(event),
    emitEmpty: () => {},
    reportError: (error) => errors.push(error),
    runs: new Map(),
    sweep: () => (sweeps++, Promise.resolve()),
    sweepDue: () => Infinity,
  };
  const runs = new Map<string, JobRun>();
  const maintenance = new Maintenance(
    host,
    { interval: 1_000, concurrency: 10, lease: LEASE, grace: 0, worker: "w-1" },
    { worker: "w-1", tags: ["t"], running: () => runs.values() },
  );
  const listener = { onLog: () => {}, onProgress: () => {} };
  const start = async (): Promise<JobRun> => {
    await store.add([{ task: "work", data: null, created: clock.now(), priority: 0, log }]);
    const { jobs } = await store.claim({
      groups: [["work"]],
      limit: 1,
      worker: "w-1",
      leaseMs: LEASE,
      now: clock.now(),
    });
    const run = new JobRun(jobs[0] as LeasedJob, task, clock, listener);
    runs.set(run.job.id, run);
    return run;
  };
  return { clock, store, queue, events, errors, runs, maintenance, start, sweeps: () => sweeps };
}

test("Maintenance.schedule() renews running leases every third of a lease", async () => {
  const { clock, store, queue, maintenance, start } = setUp();
  try {
    const run = await start();
    maintenance.schedule();
    await clock.advance(LEASE / 3);
    assert.equal((await store.get(run.job.id))?.leaseUntil, T0 + LEASE / 3 + LEASE);
    await clock.advance(LEASE / 3);
    assert.equal((await store.get(run.job.id))?.leaseUntil, T0 + (2 * LEASE) / 3 + LEASE);
    await maintenance.stop();
  } finally {
    await queue.close();
  }
});

test("Maintenance.schedule() aborts a run whose lease was lost", async () => {
  const { clock, store, queue, maintenance, start } = setUp();
  try {
    const run = await start();
    const result = run.execute();
    await store.cancel(run.job.id, clock.now());
    maintenance.schedule();
    await clock.advance(LEASE / 3);
    assert.deepEqual(await result, { kind: "aborted", cause: "lease" });
    await maintenance.stop();
  } finally {
    await queue.close();
  }
});

test("Maintenance.idle() recovers and beats at most once per third of a lease", async () => {
  const { clock, store, queue, events, maintenance, start } = setUp();
  try {
    await start();
    await maintenance.idle(clock.now());
    assert.deepEqual((await store.workers(clock.now())).map((w) => w.seen), [T0]);
    clock.set(T0 + LEASE + 1); // the lease has expired
    await maintenance.idle(clock.now());
    assert.deepEqual(events.map((e) => e.type), ["stalled"]);
    assert.deepEqual((await store.workers(clock.now())).map((w) => w.seen), [T0 + LEASE + 1]);
    await start();
    clock.set(T0 + 2 * LEASE + 2);
    await maintenance.idle(clock.now());
    assert.equal(events.length, 2, "recovered again a lease later");
    clock.set(T0 + 2 * LEASE + 3);
    await start();
    clock.set(T0 + 4 * LEASE);
    await maintenance.idle(T0 + 2 * LEASE + 4);
    assert.equal(events.length, 2, "not within a third of a lease of the last recovery");
  } finally {
    await queue.close();
  }
});

test("Maintenance.heartbeat() records the worker with its tags and task definitions", async () => {
  const { clock, store, queue, maintenance } = setUp();
  try {
    await maintenance.heartbeat();
    const [worker] = await store.workers(clock.now());
    assert.equal(worker.id, "w-1");
    assert.deepEqual(worker.tags, ["t"]);
    assert.deepEqual(worker.tasks, [{ name: "work", tag: "t" }]);
    assert.equal(worker.started, T0);
  } finally {
    await queue.close();
  }
});

test("Maintenance.schedule() writes each run's new log lines and progress with its renewal", async () => {
  const { clock, store, queue, maintenance, start } = setUp();
  try {
    const run = await start();
    run.execute();
    run.context.log("first", { n: 1 });
    run.context.progress(1, 2);
    maintenance.schedule();
    await clock.advance(LEASE / 3);
    const messages = async () => (await store.logs(run.job.id)).map((line) => line.message);
    assert.deepEqual(await messages(), ["Created", "first"]);
    assert.deepEqual((await store.get(run.job.id))?.progress, { current: 1, total: 2 });
    assert.deepEqual(run.logs, [], "written lines leave the buffer");
    run.context.log("second");
    await clock.advance(LEASE / 3);
    assert.deepEqual(await messages(), ["Created", "first", "second"]);
    await maintenance.stop();
  } finally {
    await queue.close();
  }
});

test("Maintenance.schedule() writes nothing for a lease that was lost, and keeps the lines", async () => {
  const { clock, store, queue, maintenance, start } = setUp();
  try {
    const run = await start();
    const result = run.execute();
    run.context.log("unwritten");
    await store.cancel(run.job.id, clock.now());
    maintenance.schedule();
    await clock.advance(LEASE / 3);
    assert.deepEqual(await result, { kind: "aborted", cause: "lease" });
    assert.deepEqual((await store.logs(run.job.id)).map((line) => line.message), [
      "Created",
      "Cancelled",
    ]);
    assert.deepEqual(run.logs.map((line) => line.message), ["unwritten"]);
    await maintenance.stop();
  } finally {
    await queue.close();
  }
});

test("Maintenance keeps the lines of a renewal that failed for the next one", async () => {
  const { clock, store, queue, errors, maintenance, start } = setUp();
  try {
    const run = await start();
    run.execute();
    run.context.log("retried");
    const renew = store.renew.bind(store);
    store.renew = () => Promise.reject(new Error("memory: down"));
    maintenance.schedule();
    await clock.advance(LEASE / 3);
    assert.equal(errors.length, 1);
    store.renew = renew;
    await clock.advance(LEASE / 3);
    assert.deepEqual((await store.logs(run.job.id)).map((line) => line.message), [
      "Created",
      "retried",
    ]);
    await maintenance.stop();
  } finally {
    await queue.close();
  }
});

test("Maintenance runs the queue's sweep when idle and with each renewal round", async () => {
  const { clock, queue, maintenance, start, sweeps } = setUp();
  try {
    await maintenance.idle(clock.now());
    assert.equal(sweeps(), 1);
    (await start()).execute();
    maintenance.schedule();
    await clock.advance(LEASE / 3);
    assert.equal(sweeps(), 2);
    await maintenance.stop();
  } finally {
    await queue.close();
  }
});
