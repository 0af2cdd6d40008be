import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { canNarrowRemoves, resolveRetention, SWEEP_LIMIT, Sweeper } from "../src/retention.ts";
import type { NewJob, RemoveFilter, Store } from "../src/store.ts";
import { waitFor } from "./_helpers.ts";

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

test("resolveRetention() gives DESIGN's defaults when given nothing", () => {
  assert.deepEqual(resolveRetention(undefined), [
    { status: "completed", age: 7 * DAY },
    { status: "failed", age: 30 * DAY },
    { status: "timeout", age: 30 * DAY },
    { status: "cancelled", age: 30 * DAY },
  ]);
});

test("resolveRetention() keeps the defaults of statuses left out; false keeps a status or all", () => {
  assert.deepEqual(resolveRetention(false), []);
  assert.deepEqual(
    resolveRetention({ completed: { count: 100 }, failed: false, timeout: "1h", cancelled: {} }),
    [{ status: "completed", count: 100 }, { status: "timeout", age: 3_600_000 }],
  );
  assert.deepEqual(resolveRetention({ completed: { age: "1d", count: 5 } })[0], {
    status: "completed",
    age: DAY,
    count: 5,
  });
  assert.equal(resolveRetention({ failed: 60_000 })[1].age, 60_000);
});

test("resolveRetention() throws a typed error for a bad status, age or count", () => {
  assert.throws(
    () => resolveRetention({ done: "1d" } as never),
    new TypeError(
      'Cannot use retention as its keys must be completed, failed, timeout or cancelled: current value is "done"',
    ),
  );
  assert.throws(
    () => resolveRetention("7d" as never),
    new TypeError(
      'Cannot use retention as it must be false or an object of statuses: current value is "7d"',
    ),
  );
  assert.throws(() => resolveRetention({ completed: "a week" }), {
    name: "TypeError",
    message: /^Cannot read retention of completed jobs as/,
  });
  assert.throws(
    () => resolveRetention({ failed: { count: -1 } }),
    new RangeError(
      "Cannot keep failed jobs as the retention count must be an integer >= 0: current value is -1",
    ),
  );
  assert.throws(() => resolveRetention({ failed: { count: 1.5 } }), RangeError);
});

test("canNarrowRemoves() holds for stores with the wave-2 lifecycle verbs only", () => {
  const memory = new MemoryStore();
  assert.equal(canNarrowRemoves(memory), true);
  assert.equal(canNarrowRemoves({ ...memory, name: "old", removeJob: undefined } as Store), false);
});

/** A memory store that records every `remove` filter. */
function recordingStore(): { store: MemoryStore; removes: RemoveFilter[] } {
  const store = new MemoryStore();
  const removes: RemoveFilter[] = [];
  const remove = store.remove.bind(store);
  store.remove = (filter) => (removes.push(filter), remove(filter));
  return { store, removes };
}

const job = (task: string): NewJob => ({
  task,
  data: null,
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
});

/** Adds `count` jobs of `task` and completes (or fails) them all at `now`. */
async function finish(store: Store, task: string, count: number, now: number, failed = false) {
  await store.add(Array.from({ length: count }, () => job(task)));
  for (let left = count; left > 0; left -= 500) {
    const { jobs } = await store.claim({
      groups: [[task]],
      limit: Math.min(500, left),
      worker: "w",
      leaseMs: 1_000,
      now,
    });
    await store.settle(jobs.map((leased) => ({
      id: leased.id,
      token: leased.token,
      outcome: failed ? "failed" as const : "completed" as const,
      now,
      logs: [],
    })));
  }
}

test("Sweeper.sweep() removes by age and count, at most once per interval", async () => {
  const clock = new ManualClock(T0);
  const { store, removes } = recordingStore();
  const sweeper = new Sweeper(store, resolveRetention({ completed: { age: "1h", count: 2 } }), {
    clock,
    interval: 60_000,
    reportError: (error) => assert.fail(String(error)),
  });
  await finish(store, "t", 3, T0);
  await finish(store, "t", 4, T0 + 2 * 3_600_000);
  clock.set(T0 + 2 * 3_600_000 + 1);
  assert.equal(sweeper.due(clock.now()), 0);
  await sweeper.sweep();
  assert.deepEqual(removes.slice(0, 2), [
    { status: ["completed"], before: T0 + 3_600_001, limit: SWEEP_LIMIT },
    { status: ["completed"], keep: 2, limit: SWEEP_LIMIT - 3 },
  ]);
  assert.equal(await store.count({ status: "completed" }), 2);
  const calls = removes.length;
  assert.equal(sweeper.due(clock.now()), 60_000);
  await sweeper.sweep();
  assert.equal(removes.length, calls, "not again within the interval");
  clock.set(clock.now() + 60_000);
  await sweeper.sweep();
  assert.ok(removes.length > calls, "again after it");
  await store.close();
});

test("Sweeper.sweep() removes at most SWEEP_LIMIT jobs a sweep and is due at once while behind", async () => {
  const clock = new ManualClock(T0);
  const { store } = recordingStore();
  const limits = resolveRetention({ completed: "1d", failed: "1d" });
  const sweeper = new Sweeper(store, limits, { clock, interval: 60_000, reportError: () => {} });
  await finish(store, "done", 1_500, T0);
  await finish(store, "failing", 700, T0, true);
  clock.set(T0 + 2 * DAY);
  await sweeper.sweep();
  const left = async () => await store.count({ status: { $in: ["completed", "failed"] } });
  assert.equal(await left(), 2_200 - SWEEP_LIMIT);
  assert.equal(sweeper.due(clock.now()), 0, "behind: due at once");
  await sweeper.sweep();
  assert.equal(await left(), 200);
  assert.equal(sweeper.due(clock.now()), 0);
  await sweeper.sweep();
  assert.equal(await left(), 0);
  assert.equal(sweeper.due(clock.now()), 60_000, "caught up: an interval again");
  await store.close();
});

test("Sweeper.sweep() reports a store error and waits an interval before the next", async () => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const errors: unknown[] = [];
  store.remove = () => Promise.reject(new Error("memory: down"));
  const sweeper = new Sweeper(store, resolveRetention(undefined), {
    clock,
    interval: 60_000,
    reportError: (error) => errors.push(error),
  });
  await sweeper.sweep();
  assert.equal(errors.length, 1);
  assert.equal(sweeper.due(clock.now()), 60_000);
  await store.close();
});

test("Sweeper never sweeps with retention false, or on a store without removeJob", async () => {
  const clock = new ManualClock(T0);
  const { store, removes } = recordingStore();
  const options = { clock, interval: 1, reportError: () => {} };
  const none = new Sweeper(store, resolveRetention(false), options);
  assert.equal(none.due(T0), Infinity);
  await none.sweep();
  const old = new Sweeper(
    { ...store, remove: store.remove, removeJob: undefined } as Store,
    resolveRetention(undefined),
    options,
  );
  assert.equal(old.due(T0), Infinity);
  await old.sweep();
  assert.deepEqual(removes, []);
  await store.close();
});

test("an idle processor removes finished jobs once their retention has passed", async () => {
  const clock = new ManualClock(T0);
  const queue = kinetik({ interval: "1m", clock, retention: { completed: "1d" } });
  queue.define("ok").action(() => {});
  queue.define("bad").action(() => {
    throw new Error("no");
  });
  try {
    const [done, failed] = await queue.createMany([{ task: "ok" }, { task: "bad" }]);
    queue.process("default");
    await waitFor(async () => (await queue.get(failed.id))?.status === "failed");
    await clock.advance(DAY - 60_000);
    assert.equal((await queue.get(done.id))?.status, "completed", "not a day old yet");
    await clock.advance(2 * 60_000);
    assert.equal(await queue.get(done.id), undefined, "swept a day after it finished");
    assert.deepEqual(await queue.logs(done.id), []);
    assert.equal((await queue.get(failed.id))?.status, "failed", "failed jobs keep 30 days");
  } finally {
    await queue.close();
  }
});

test("a processor sweeps a backlog 1,000 jobs at a time, with a claim between sweeps", async () => {
  const clock = new ManualClock(T0);
  const { store, removes } = recordingStore();
  const order: string[] = [];
  const claim = store.claim.bind(store);
  store.claim = (request) => (order.push("claim"), claim(request));
  const remove = store.remove;
  store.remove = (filter) => (order.push("sweep"), remove(filter));
  await finish(store, "old", 2_500, T0);
  clock.set(T0 + 8 * DAY);
  const queue = kinetik(store, { interval: "1h", clock });
  queue.define("old").action(() => {});
  try {
    const empty = new Promise((resolve) => queue.once("empty", resolve));
    queue.process("default");
    await empty;
    // A sweep that is behind makes the idle wait 0 ms: each advance lets one more go.
    for (let turn = 0; turn < 5 && (await store.count({})) > 0; turn++) await clock.advance(0);
    assert.equal(await store.count({}), 0, "the backlog is swept");
    const completedRemoves = removes.filter((filter) => filter.status[0] === "completed");
    assert.deepEqual(completedRemoves.map((filter) => filter.limit).slice(0, 3), [
      1000,
      1000,
      1000,
    ]);
    // Between two sweeps that each removed 1,000 jobs, the processor claimed again.
    const firstSweeps = order.join(",").split("claim").filter((part) => part.includes("sweep"));
    assert.ok(firstSweeps.length >= 3, `sweeps separated by claims: ${order.join(",")}`);
  } finally {
    await queue.close();
  }
});
