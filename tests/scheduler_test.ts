/**
 * The schedule-firing loop through real queues on one memory store and one ManualClock:
 * several queues on one store stand in for several processes (they share nothing but the
 * store), and the clock moves by hand, so the tests cover hours and DST days without waiting.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type Job, MemoryStore, Queue, type ScheduleSpec, type Store } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { storeWithout, waitFor } from "./_helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** `count` queues on `store`, each running task `tick` and calling `schedule()` at start-up. */
async function startWorkers(
  store: Store,
  clock: ManualClock,
  spec: ScheduleSpec,
  count = 3,
  interval: number | string = 1_000,
) {
  const ran: { worker: number; key?: string }[] = [];
  const queues = Array.from({ length: count }, (_, worker) => {
    const queue = new Queue(store, { clock, interval, lease: "1h" });
    queue.define("tick").action((job) => void ran.push({ worker, key: job.key }));
    return queue;
  });
  const schedules = await Promise.all(queues.map((queue) => queue.schedule("tick", spec)));
  const processors = queues.map((queue) => queue.process("default"));
  return {
    queues,
    ran,
    schedules,
    processors,
    async stop() {
      await Promise.all(processors.map((processor) => processor.stop()));
    },
    async close() {
      await Promise.all(processors.map((processor) => processor.stop()));
      await Promise.all(queues.map((queue) => queue.close())); // the first closes the store
    },
  };
}

/** Moves the clock `ms` forward in `step`s, letting each step's work finish. */
async function advance(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let moved = 0; moved < ms; moved += step) await clock.advance(Math.min(step, ms - moved));
}

async function jobsOf(store: Store, task = "tick"): Promise<Job[]> {
  return await store.find({ task }, { offset: 0, limit: 10_000 });
}

/** The fire times the jobs of a schedule were created for, from their keys. */
function fireTimes(jobs: readonly Job[]): number[] {
  return jobs.map((job) => Number(job.key!.split(":").at(-1))).sort((a, b) => a - b);
}

test("Scheduler fires a one-second schedule once per fire time with three queues on one store", async () => {
  const start = Date.UTC(2024, 0, 1, 12);
  const clock = new ManualClock(start + 250);
  const store = new MemoryStore();
  const workers = await startWorkers(store, clock, { every: "1s" });
  try {
    assert.deepEqual(workers.schedules.map((s) => s.next), [
      start + 1_000,
      start + 1_000,
      start + 1_000,
    ]);
    assert.equal((await store.schedules()).length, 1, "three schedule() calls, one schedule");
    await advance(clock, 10_000);
    const jobs = await jobsOf(store);
    const expected = Array.from({ length: 10 }, (_, i) => start + 1_000 * (i + 1));
    assert.deepEqual(fireTimes(jobs).map(iso), expected.map(iso), "one job per second, no gap");
    await waitFor(() => workers.ran.length === 10, 2_000, "every fired job to run");
    assert.equal(new Set(workers.ran.map((run) => run.key)).size, 10, "each job ran once");
    assert.ok(jobs.every((job) => job.data && job.priority === 0));
  } finally {
    await workers.close();
  }
});

for (
  const [missed, expected] of [
    ["latest", [5]],
    ["all", [1, 2, 3, 4, 5]],
    ["skip", []],
  ] as const
) {
  test(`Scheduler with missed "${missed}" handles fire times passed while every worker was stopped`, async () => {
    const start = Date.UTC(2024, 0, 1, 12);
    const clock = new ManualClock(start + 500);
    const store = new MemoryStore();
    const first = await startWorkers(store, clock, { every: "1s", missed }, 3, 100);
    await advance(clock, 1_000);
    assert.deepEqual(fireTimes(await jobsOf(store)), [start + 1_000]);
    await first.stop();
    await advance(clock, 5_000, 500); // nobody fires: start + 2 s … start + 6 s pass
    assert.deepEqual(fireTimes(await jobsOf(store)), [start + 1_000], "nothing fired meanwhile");
    const again = await startWorkers(store, clock, { every: "1s", missed }, 3, 100);
    try {
      assert.equal(again.schedules[0].next, start + 2_000, "schedule() kept the stored next");
      await advance(clock, 300, 100); // now start + 6.8 s
      const caughtUp = fireTimes(await jobsOf(store)).slice(1).map((t) => (t - start) / 1_000 - 1);
      assert.deepEqual(caughtUp, expected);
      const next = (await again.queues[0].schedules())[0].next;
      assert.equal(next, start + 7_000, "next moved past the outage");
      await advance(clock, 1_000);
      assert.equal(fireTimes(await jobsOf(store)).at(-1), start + 7_000, "and it goes on");
    } finally {
      await again.close();
      await first.close();
    }
  });
}

for (
  const [day, from, fires] of [
    ["spring-forward", Date.UTC(2024, 2, 30, 12), [
      "2024-03-31T01:00:00.000Z",
      "2024-04-01T00:30:00.000Z",
    ]],
    ["fall-back", Date.UTC(2024, 9, 26, 12), [
      "2024-10-27T00:30:00.000Z",
      "2024-10-28T01:30:00.000Z",
    ]],
  ] as const
) {
  test(`Scheduler runs a daily 02:30 Europe/Berlin job exactly once on the ${day} day`, async () => {
    const clock = new ManualClock(from);
    const store = new MemoryStore();
    const workers = await startWorkers(
      store,
      clock,
      { cron: "30 2 * * *", tz: "Europe/Berlin" },
      3,
      "1h",
    );
    try {
      await advance(clock, 48 * 3_600_000, 3_600_000);
      const jobs = await jobsOf(store);
      assert.deepEqual(fireTimes(jobs).map(iso), fires);
      await waitFor(() => workers.ran.length === 2, 2_000, "both jobs to run");
    } finally {
      await workers.close();
    }
  });
}

test("Scheduler fires a schedule another queue stored at once on a store with messages", async () => {
  const start = Date.UTC(2024, 0, 1, 12);
  const clock = new ManualClock(start + 100);
  const store = new MemoryStore();
  const worker = new Queue(store, { clock, interval: "1h" });
  worker.define("report").action(() => {});
  worker.process("default");
  const producer = new Queue(store, { clock });
  try {
    await clock.advance(10); // the worker's loop has read the (empty) schedules
    await producer.schedule("report", { every: "1s" });
    await clock.advance(1_000);
    assert.deepEqual(fireTimes(await jobsOf(store, "report")), [start + 1_000]);
  } finally {
    await producer.close();
    await worker.close();
  }
});

test("Scheduler sees a schedule stored elsewhere within its interval on a store without messages", async () => {
  const start = Date.UTC(2024, 0, 1, 12);
  const clock = new ManualClock(start + 100);
  const store = new MemoryStore();
  const worker = new Queue(storeWithout(store, "subscribe", "publish"), { clock, interval: 5_000 });
  worker.define("report").action(() => {});
  worker.process("default");
  const producer = new Queue(storeWithout(store, "subscribe", "publish"), { clock });
  try {
    await clock.advance(10);
    await producer.schedule("report", { every: "1s" });
    await clock.advance(4_000);
    assert.deepEqual(await jobsOf(store, "report"), [], "not read yet");
    await clock.advance(1_000); // the worker re-reads at start + 5.1 s: fire times 1 … 5 s passed
    assert.deepEqual(fireTimes(await jobsOf(store, "report")), [start + 5_000], "the latest");
    await advance(clock, 1_000);
    assert.deepEqual(fireTimes(await jobsOf(store, "report")).at(-1), start + 6_000);
  } finally {
    await producer.close();
    await worker.close();
  }
});

test("Scheduler stops firing an unscheduled schedule in every queue", async () => {
  const start = Date.UTC(2024, 0, 1, 12);
  const clock = new ManualClock(start + 500);
  const store = new MemoryStore();
  const workers = await startWorkers(store, clock, { every: "1s" }, 2);
  try {
    await advance(clock, 2_000);
    assert.equal((await jobsOf(store)).length, 2);
    assert.equal(await workers.queues[1].unschedule("tick"), true);
    assert.equal(await workers.queues[0].unschedule("tick"), false);
    await advance(clock, 3_000);
    assert.equal((await jobsOf(store)).length, 2);
    assert.deepEqual(await workers.queues[0].schedules(), []);
  } finally {
    await workers.close();
  }
});

test("Scheduler reports a failing store and fires again once it recovers", async () => {
  const start = Date.UTC(2024, 0, 1, 12);
  const clock = new ManualClock(start + 500);
  const store = new MemoryStore();
  const queue = new Queue(store, { clock, interval: 1_000 });
  queue.define("tick").action(() => {});
  await queue.schedule("tick", { every: "1s" });
  const errors: unknown[] = [];
  queue.on("error", (error) => void errors.push(error));
  const real = store.fire.bind(store);
  let failures = 2;
  store.fire = (fire) => failures-- > 0 ? Promise.reject(new Error("memory: down")) : real(fire);
  queue.process("default");
  try {
    await advance(clock, 3_000);
    assert.deepEqual(errors.map(String), ["Error: memory: down", "Error: memory: down"]);
    assert.ok((await jobsOf(store)).length >= 2, "fires resumed after the failures");
  } finally {
    await queue.close();
  }
});
