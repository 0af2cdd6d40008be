/**
 * Pause, resume and the limits' wake-ups through real queues and processors: several queues on
 * one memory store stand in for several processes; a ManualClock with long intervals shows
 * that what happens comes from wake-ups, not from a processor polling again.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore, Queue, type Store } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { pauseTarget } from "../src/queue_control.ts";
import { deferred, storeWithout, waitFor, waitForStatus } from "./_helpers.ts";

const T = Date.UTC(2024, 0, 1, 12);

/** A queue on `store` running `send` (tag mail) and `resize` (tag media), recording starts. */
function mailAndMedia(store: Store, clock: ManualClock) {
  const queue = new Queue(store, { clock, interval: "1h", lease: "1h" });
  const started: string[] = [];
  queue.define("send").tag("mail").action(() => void started.push("send"));
  queue.define("resize").tag("media").action(() => void started.push("resize"));
  return { queue, started };
}

test("pause() stops claims of a tag in every queue on the store until resume()", async () => {
  const clock = new ManualClock(T);
  const store = new MemoryStore();
  const worker = mailAndMedia(store, clock);
  const admin = new Queue(store, { clock });
  try {
    await admin.pause("mail");
    assert.deepEqual(await worker.queue.paused(), { tags: ["mail"], tasks: [] });
    worker.queue.process(["mail", "media"]);
    const send = await admin.create("send");
    const resize = await admin.create("resize");
    await waitForStatus(worker.queue, resize.id, "completed");
    await clock.advance(2 * 3_600_000); // idle turns come and go: the paused job stays
    assert.equal((await admin.get(send.id))?.status, "queued");
    await admin.resume("mail");
    // No clock advance: the store's wake-up on resume starts it.
    await waitForStatus(worker.queue, send.id, "completed");
    assert.deepEqual(worker.started, ["resize", "send"]);
    assert.deepEqual(await admin.paused(), { tags: [], tasks: [] });
  } finally {
    await admin.close();
    await worker.queue.close();
  }
});

test("pause() of a task lets a running job of it finish and holds the rest", async () => {
  const clock = new ManualClock(T);
  const queue = new Queue({ clock, interval: "1h" });
  const running = deferred();
  const release = deferred();
  let runs = 0;
  queue.define("report").action(async () => {
    if (++runs === 1) {
      running.resolve();
      await release.promise;
    }
  });
  try {
    const first = await queue.create("report");
    const second = await queue.create("report");
    queue.process("default", { concurrency: 1 });
    await running.promise;
    await queue.pause({ tasks: ["report"] });
    release.resolve();
    await waitForStatus(queue, first.id, "completed");
    await clock.advance(3_600_000);
    assert.equal((await queue.get(second.id))?.status, "queued");
    assert.deepEqual(await queue.paused(), { tags: [], tasks: ["report"] });
    await queue.resume({ tasks: "report" });
    await waitForStatus(queue, second.id, "completed");
  } finally {
    await queue.close();
  }
});

test("pause() and resume() reject bad targets with a TypeError naming the value", async () => {
  const queue = new Queue();
  const cases: [unknown, RegExp][] = [
    [
      "",
      /^Cannot pause as a tag must be a non-empty string or an array of them: current value is ""$/,
    ],
    [{}, /^Cannot pause as the target names no tag or task: current value is \{\}$/],
    [{ tags: [] }, /names no tag or task/],
    [{ tags: [1] }, /^Cannot pause as tags must be .*: current value is \[1\]$/],
    [{ tasks: "" }, /tasks must be a non-empty string/],
    [
      null,
      /^Cannot pause as the target must be a tag or \{ tags, tasks \}: current value is null$/,
    ],
    [["mail"], /target must be a tag or/],
  ];
  for (const [target, message] of cases) {
    await assert.rejects(queue.pause(target as never), (error: unknown) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
  await assert.rejects(queue.resume(5 as never), /^TypeError: Cannot resume as the target/);
  assert.deepEqual(await queue.paused(), { tags: [], tasks: [] }, "nothing was stored");
  assert.deepEqual(pauseTarget({ tags: ["a", "a"], tasks: "t" }, "pause"), {
    tags: ["a"],
    tasks: ["t"],
  });
  await queue.close();
});

test("pause(), schedule() and friends reject on a store without them, naming the store", async () => {
  const queue = new Queue(storeWithout(new MemoryStore(), "pause", "schedule"));
  await assert.rejects(queue.pause("mail"), {
    message: "Cannot pause as the memory store does not support pausing",
  });
  await assert.rejects(queue.schedule("s", { every: "1m" }), {
    message: "Cannot schedule as the memory store does not support schedules",
  });
  await assert.rejects(queue.schedules(), {
    message: "Cannot list schedules as the memory store does not support schedules",
  });
  await queue.close();
});

test("task.rate() holds starts to the window and the processor sleeps until it reopens", async () => {
  const clock = new ManualClock(T);
  const store = new MemoryStore();
  let calls = 0;
  const claim = store.claim.bind(store);
  const settle = store.settle.bind(store);
  store.claim = (request) => (calls++, claim(request));
  store.settle = (settlements, next) => (calls++, settle(settlements, next));
  const queue = new Queue(store, { clock, interval: "1h" });
  const starts: number[] = [];
  queue.define("api").rate(2, "1s").action(() => void starts.push(clock.now() - T));
  queue.define("other").action(() => void starts.push(-1));
  try {
    await queue.createMany(Array.from({ length: 5 }, () => ({ task: "api" })));
    queue.process("default", { concurrency: 5 });
    await waitFor(() => starts.length === 2);
    await clock.advance(0);
    const settled = calls;
    for (let i = 0; i < 9; i++) await clock.advance(100);
    await clock.advance(99); // T + 999 ms
    assert.deepEqual(starts, [0, 0], "two starts in the first window");
    assert.ok(
      calls <= settled + 1,
      `no spinning while the window is full: ${calls - settled} calls`,
    );
    await clock.advance(1); // T + 1 s: the window reopens
    await waitFor(() => starts.length === 4);
    assert.deepEqual(starts, [0, 0, 1_000, 1_000]);
    await queue.create("other");
    await waitFor(() => starts.length === 5, 2_000, "an unlimited task runs meanwhile");
    await clock.advance(1_000);
    await waitFor(() => starts.length === 6);
    assert.deepEqual(starts, [0, 0, 1_000, 1_000, -1, 2_000]);
  } finally {
    await queue.close();
  }
});

test("task.concurrency() counts every queue on the store, and a finish wakes the others", async () => {
  const clock = new ManualClock(T);
  const store = new MemoryStore();
  const gates = new Map<string, () => void>();
  let running = 0;
  let most = 0;
  const worker = (name: string) => {
    const queue = new Queue(store, { clock, interval: "1h", lease: "1h" });
    const ran: string[] = [];
    queue.define("render").concurrency(1).action((job) => {
      ran.push(job.id);
      most = Math.max(most, ++running);
      return new Promise<void>((resolve) => gates.set(job.id, () => (running--, resolve())));
    });
    return { name, queue, ran };
  };
  const a = worker("a");
  const b = worker("b");
  try {
    const [first, second] = await a.queue.createMany([{ task: "render" }, { task: "render" }]);
    const processorA = a.queue.process("default", { concurrency: 3 });
    await waitFor(() => a.ran.length === 1);
    b.queue.process("default", { concurrency: 3 });
    await clock.advance(0);
    assert.deepEqual([a.ran, b.ran], [[first.id], []], "b waits for the one slot");
    // a stops: its job finishes and it claims nothing more; its wake-up lets b take the slot.
    const stopped = processorA.stop();
    gates.get(first.id)!();
    await stopped;
    await waitFor(() => b.ran.length === 1, 3_000, "b to claim once the slot is free");
    assert.deepEqual(b.ran, [second.id]);
    gates.get(second.id)!();
    await waitForStatus(b.queue, second.id, "completed");
    assert.equal(most, 1, "never two render jobs at once");
  } finally {
    for (const release of gates.values()) release();
    await a.queue.close();
    await b.queue.close();
  }
});

test("task.concurrency() slot freed by a cancel elsewhere wakes the waiting queue", async () => {
  const clock = new ManualClock(T);
  const store = new MemoryStore();
  // a cannot hear the store's messages (a process cut off, say), so the cancel does not stop
  // its run and a keeps its slot busy: only a wake-up from the cancel tells b the store's
  // slot is free.
  const a = new Queue(storeWithout(store, "subscribe", "publish"), { clock, interval: "1h" });
  const b = new Queue(store, { clock, interval: "1h", lease: "1h" });
  const admin = new Queue(store, { clock }); // the CLI, say: it does not define render
  const ran: string[] = [];
  const stuck = deferred();
  a.define("render").concurrency(1).action(async (job) => {
    ran.push(job.id);
    await stuck.promise;
  });
  b.define("render").concurrency(1).action((job) => void ran.push(job.id));
  try {
    const first = await admin.create("render");
    a.process("default", { concurrency: 1 });
    await waitFor(() => ran.length === 1);
    const second = await admin.create("render");
    b.process("default");
    await clock.advance(0);
    assert.deepEqual(ran, [first.id], "b waits for the slot");
    assert.equal(await admin.cancel(first.id), true);
    await waitForStatus(b, second.id, "completed");
    assert.deepEqual(ran, [first.id, second.id]);
  } finally {
    stuck.resolve();
    await Promise.all([a.close(), b.close(), admin.close()]);
  }
});

test("schedule() stores once for the same spec, replaces for another, and rejects bad specs", async () => {
  const clock = new ManualClock(T + 30_000);
  const store = new MemoryStore();
  const queue = new Queue(store, { clock });
  try {
    const first = await queue.schedule("report", { every: "1m", data: { a: 1 } });
    assert.deepEqual(first, {
      id: "report",
      task: "report",
      every: 60_000,
      tz: "UTC",
      next: T + 60_000,
      data: { a: 1 },
      priority: 0,
      missed: "latest",
    });
    clock.set(T + 90_000); // a later start-up computes a later next from the same spec
    assert.deepEqual(await queue.schedule("report", { every: "1m", data: { a: 1 } }), first);
    const changed = await queue.schedule("report", {
      cron: "0 3 * * *",
      tz: "Europe/Berlin",
      priority: -1,
    });
    assert.equal(changed.cron, "0 3 * * *");
    assert.equal(changed.every, undefined);
    assert.equal(changed.next, Date.UTC(2024, 0, 2, 2), "03:00 in Berlin");
    assert.deepEqual(await queue.schedules(), [changed]);
    await assert.rejects(queue.schedule("report", { every: 10 }), {
      name: "RangeError",
      message: "Cannot schedule as every must be at least 1s: current value is 10",
    });
    await assert.rejects(queue.schedule("other", { cron: "nope" }), TypeError);
    assert.deepEqual(await queue.schedules(), [changed], "nothing stored by a bad call");
    await assert.rejects(queue.unschedule(""), {
      name: "TypeError",
      message: 'Cannot unschedule as the id must be a non-empty string: current value is ""',
    });
  } finally {
    await queue.close();
  }
});
