import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { deferred, nextEvent, PATIENCE, waitFor, waitForStatus, withTimeout } from "./_helpers.ts";

test("process() drains tags in priority order and returns to the first tag after each job", async () => {
  const queue = kinetik({ interval: 20 });
  const order: string[] = [];
  const dbRunning = deferred();
  const release = deferred();
  queue.define("notify").tag("notifications").action((job) => {
    order.push(`notify ${(job.data as { n: number }).n}`);
  });
  queue.define("aggregate").tag("db aggregation").action(async (job) => {
    const n = (job.data as { n: number }).n;
    order.push(`aggregate ${n}`);
    if (n === 1) {
      dbRunning.resolve();
      await release.promise;
    }
  });
  try {
    await queue.create("aggregate", { n: 1 });
    await queue.create("aggregate", { n: 2 });
    await queue.create("aggregate", { n: 3 });
    queue.process(["notifications", "db aggregation"]);
    await withTimeout(dbRunning.promise, PATIENCE, "aggregate 1 to start");
    await queue.create("notify", { n: 1 });
    release.resolve();
    await waitFor(() => order.length === 4);
    assert.deepEqual(order, ["aggregate 1", "notify 1", "aggregate 2", "aggregate 3"]);
  } finally {
    await queue.close();
  }
});

test("process() emits empty only when every tag is empty", async () => {
  const queue = kinetik({ interval: 20 });
  const seen: string[] = [];
  queue.define("a").tag("x").action(() => void seen.push("a"));
  queue.define("b").tag("y").action(() => void seen.push("b"));
  queue.on("empty", (tags) => seen.push(`empty ${tags.join(",")}`));
  try {
    await queue.createMany([{ task: "b" }, { task: "a" }, { task: "b" }]);
    const empty = nextEvent(queue, "empty");
    queue.process(["x", "y"]);
    await empty;
    assert.deepEqual(seen.slice(0, 4), ["a", "b", "b", "empty x,y"]);
  } finally {
    await queue.close();
  }
});

// The clock of these two never moves: an idle wait only ends when something wakes it, so the
// job can only start through a wake-up, never through the interval running out.
test("process() starts a job created on an idle processor at once, not after interval", async () => {
  const queue = kinetik({ interval: "1m", clock: new ManualClock() });
  const started = deferred();
  queue.define("ping").action(() => started.resolve());
  try {
    const empty = nextEvent(queue, "empty");
    queue.process("default");
    await empty;
    await queue.create("ping");
    await withTimeout(started.promise, PATIENCE, "a wake-up to start the job");
  } finally {
    await queue.close();
  }
});

test("process() wakes a processor on another queue sharing the store", async () => {
  const store = new MemoryStore();
  const clock = new ManualClock();
  const worker = kinetik(store, { interval: "1m", clock });
  const producer = kinetik(store, { clock });
  const started = deferred();
  worker.define("ping").action(() => started.resolve());
  try {
    const empty = nextEvent(worker, "empty");
    worker.process("default");
    await empty;
    await producer.create("ping");
    await withTimeout(started.promise, PATIENCE, "the store's wake-up to start the job");
  } finally {
    await worker.close();
  }
});

test("process() runs up to concurrency jobs at once and never one job twice", async () => {
  const queue = kinetik({ interval: 20 });
  let active = 0;
  let peak = 0;
  const runs = new Map<string, number>();
  // The first runs hold until both processors are full (5 + 3); a processor that claimed past
  // its concurrency would start a ninth before they let go.
  const full = deferred();
  queue.define("work").action(async (job) => {
    runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
    peak = Math.max(peak, ++active);
    if (active === 8) full.resolve();
    await full.promise;
    active--;
  });
  try {
    await queue.createMany(Array.from({ length: 60 }, (_, n) => ({ task: "work", data: { n } })));
    queue.process("default", { concurrency: 5 });
    queue.process("default", { concurrency: 3 });
    await withTimeout(full.promise, PATIENCE, "8 jobs running at once");
    await waitFor(async () => (await queue.count({ status: "completed" })) === 60, PATIENCE);
    assert.equal(runs.size, 60);
    assert.ok([...runs.values()].every((n) => n === 1));
    assert.equal(peak, 8);
  } finally {
    await queue.close();
  }
});

test("a delayed job runs once its delay has passed on the queue's clock", async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const queue = kinetik({ interval: "1m", clock });
  const ran: string[] = [];
  queue.define("welcome").action((job) => void ran.push(job.id));
  try {
    const job = await queue.create("welcome", { name: "Ford Prefect" }, "1d");
    assert.equal(job.status, "delayed");
    assert.equal(job.runAt, clock.now() + 86_400_000);
    queue.process("default");
    await clock.advance(86_400_000 - 1000);
    assert.deepEqual(ran, []);
    await clock.advance(1000);
    await waitFor(() => ran.length === 1);
    assert.equal((await waitForStatus(queue, job.id, "completed")).attempts, 1);
  } finally {
    await queue.close();
  }
});

test("retry() re-runs a failed job after a fixed delay, then fails it once retries are spent", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", clock });
  const events: string[] = [];
  const task = queue.define("flaky").retry("10s", 2).action(() => {
    throw Object.assign(new Error("smtp down"), { code: "ESMTP" });
  });
  task.on("retry", (job) => events.push(`retry ${job.attempts}`));
  task.on("fail", (error, job) => events.push(`fail ${error.message} ${job.attempts}`));
  try {
    const job = await queue.create("flaky", {});
    queue.process("default");
    await waitFor(() => events.length === 1);
    const delayed = await queue.get(job.id);
    assert.equal(delayed?.status, "delayed");
    assert.equal(delayed?.runAt, clock.now() + 10_000);
    await clock.advance(10_000);
    await waitFor(() => events.length === 2);
    await clock.advance(10_000);
    await waitFor(() => events.length === 3);
    assert.deepEqual(events, ["retry 1", "retry 2", "fail smtp down 3"]);
    const failed = await queue.get(job.id);
    assert.equal(failed?.status, "failed");
    assert.deepEqual(failed?.error, { message: "smtp down", code: "ESMTP" });
  } finally {
    await queue.close();
  }
});

test("retry() with exponential backoff doubles the delay, within jitter", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", clock });
  const delays: number[] = [];
  queue.define("flaky").retry({ delay: "1s", max: 3, backoff: "exponential" }).action(() => {
    throw new Error("no");
  }).on("retry", (job) => delays.push(job.runAt! - clock.now()));
  try {
    await queue.create("flaky");
    queue.process("default");
    for (let n = 1; n <= 3; n++) {
      await waitFor(() => delays.length === n);
      await clock.advance(delays[n - 1]);
    }
    assert.ok(delays[0] >= 500 && delays[0] <= 1000, `first ${delays[0]}`);
    assert.ok(delays[1] >= 1000 && delays[1] <= 2000, `second ${delays[1]}`);
    assert.ok(delays[2] >= 2000 && delays[2] <= 4000, `third ${delays[2]}`);
  } finally {
    await queue.close();
  }
});

test("timeout() marks the job timeout, aborts its signal and ignores what the action does later", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", clock });
  const late = deferred<(error?: unknown) => void>();
  let signal: AbortSignal | undefined;
  let logAfter: (() => void) | undefined;
  const task = queue.define("slow").timeout("30s").action((job, done) => {
    signal = job.signal;
    logAfter = () => job.log("too late");
    late.resolve(done);
  });
  const timedOut = new Promise((resolve) => task.once("timeout", resolve));
  try {
    const job = await queue.create("slow");
    queue.process("default");
    const done = await withTimeout(late.promise, PATIENCE, "the job to start");
    await clock.advance(30_000);
    await withTimeout(timedOut, PATIENCE, "the timeout event");
    assert.equal(signal?.aborted, true);
    logAfter!();
    done();
    const stored = await queue.get(job.id);
    assert.equal(stored?.status, "timeout");
    assert.deepEqual(stored?.error, { message: "Timed out after 30s", code: "ETIMEOUT" });
    const lines = (await queue.logs(job.id)).map((line) => line.message);
    assert.ok(lines.includes("Timed out after 30s"));
    assert.ok(!lines.includes("too late"));
  } finally {
    await queue.close();
  }
});

test("cancel() of a running job aborts its signal, marks it cancelled and refuses its outcome", async () => {
  const queue = kinetik({ interval: 20 });
  const running = deferred<AbortSignal>();
  const task = queue.define("long").action((job) => {
    running.resolve(job.signal);
    // The action ends normally once aborted: its "completed" must not be written.
    return new Promise((resolve) => job.signal.addEventListener("abort", resolve));
  });
  const cancelled: string[] = [];
  task.on("cancelled", (job) => cancelled.push(job.id));
  task.on("complete", () => cancelled.push("completed?!"));
  try {
    const job = await queue.create("long");
    queue.process("default");
    const signal = await withTimeout(running.promise, PATIENCE, "the job to start");
    assert.equal(await queue.cancel(job.id), true);
    assert.equal(signal.aborted, true);
    // The processor's last word on the run is a log line, whichever way it went.
    const lines = async () => (await queue.logs(job.id)).map((line) => line.message);
    await waitFor(
      async () => (await lines()).some((line) => /^(Run |Outcome )/.test(line)),
      PATIENCE,
      "the processor to let go of the run",
    );
    assert.ok((await lines()).includes("Run stopped: the job was cancelled"));
    assert.equal((await queue.get(job.id))?.status, "cancelled");
    assert.deepEqual(cancelled, [job.id]);
    assert.equal(await queue.cancel(job.id), false);
  } finally {
    await queue.close();
  }
});

test("job.log() is emitted at once and stored when the job ends (within a lease third)", async () => {
  const queue = kinetik({ interval: 20 });
  const gate = deferred();
  const live: string[] = [];
  const task = queue.define("email").action(async (job) => {
    job.log("Email sent", { receipt: "r-1" });
    job.progress(10, 100);
    await gate.promise;
  });
  task.on("log", (_job, line) => live.push(line.message));
  task.on("progress", (_job, current, total) => live.push(`${current}/${total}`));
  try {
    const job = await queue.create("email", { to: "ford@example.com" });
    queue.process("default");
    await waitFor(() => live.length === 2);
    assert.deepEqual(live, ["Email sent", "10/100"]);
    assert.deepEqual((await queue.logs(job.id)).map((l) => l.message), ["Created"]);
    gate.resolve();
    const done = await waitForStatus(queue, job.id, "completed");
    assert.deepEqual(done.progress, { current: 10, total: 100 });
    const lines = await queue.logs(job.id);
    assert.deepEqual(lines.map((l) => l.message.split(" ")[0]), [
      "Created",
      "Started",
      "Email",
      "Completed",
    ]);
    assert.deepEqual(lines[2].data, { receipt: "r-1" });
  } finally {
    await queue.close();
  }
});

test("action() in the seed's (job, done) form completes, and fails with a string or an Error", async () => {
  const queue = kinetik({ interval: 20 });
  queue.define("ok").action((_job, done) => void Promise.resolve().then(() => done()));
  queue.define("string").action((_job, done) => done("This job completed with an error."));
  queue.define("error").action((_job, done) =>
    done(Object.assign(new Error("bad"), { code: "EBAD" }))
  );
  try {
    const [ok, string, error] = await queue.createMany([{ task: "ok" }, { task: "string" }, {
      task: "error",
    }]);
    queue.process("default");
    assert.equal((await waitForStatus(queue, ok.id, "completed")).error, undefined);
    assert.deepEqual((await waitForStatus(queue, string.id, "failed")).error, {
      message: "This job completed with an error.",
    });
    assert.deepEqual((await waitForStatus(queue, error.id, "failed")).error, {
      message: "bad",
      code: "EBAD",
    });
  } finally {
    await queue.close();
  }
});

test("a throwing listener never kills a processor; the error goes to the queue's error event", async () => {
  const queue = kinetik({ interval: 20 });
  const errors: unknown[] = [];
  queue.on("error", (error) => errors.push(error));
  queue.define("work").action(() => {}).on("start", () => {
    throw new Error("listener bug");
  });
  try {
    const [a, b] = await queue.createMany([{ task: "work" }, { task: "work" }]);
    queue.process("default");
    await waitForStatus(queue, a.id, "completed");
    await waitForStatus(queue, b.id, "completed");
    assert.equal(errors.length, 2);
    assert.equal((errors[0] as Error).message, "listener bug");
  } finally {
    await queue.close();
  }
});

test("process(tags, interval) looks again after interval when idle, not before", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ clock });
  let empties = 0;
  queue.on("empty", () => empties++);
  queue.define("a").tag("long").action(() => {});
  try {
    queue.process("long", 1000);
    await waitFor(() => empties === 1);
    await clock.advance(999);
    assert.equal(empties, 1);
    await clock.advance(1);
    await waitFor(() => empties === 2);
  } finally {
    await queue.close();
  }
});

test("job.attempt counts runs, and the record's attempts match", async () => {
  const queue = kinetik({ interval: 20 });
  const attempts: number[] = [];
  queue.define("flaky").retry(1, 2).action((job) => {
    attempts.push(job.attempt);
    if (job.attempt < 3) throw new Error("again");
  });
  try {
    const job = await queue.create("flaky");
    queue.process("default");
    const done = await waitForStatus(queue, job.id, "completed");
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(done.attempts, 3);
  } finally {
    await queue.close();
  }
});

test("an action's return value is stored as the job's result and carried by completed", async () => {
  const queue = kinetik({ interval: 20 });
  queue.define("sum").action((job) => {
    const { a, b } = job.data as { a: number; b: number };
    return Promise.resolve({ sum: a + b });
  });
  queue.define("seed").action((_job, done) => done(null, "seeded"));
  try {
    const sum = await queue.create("sum", { a: 2, b: 3 });
    const seed = await queue.create("seed");
    const completed = queue.events({ type: "completed" }).getReader();
    queue.process("default");
    const events = [(await completed.read()).value!, (await completed.read()).value!];
    await completed.cancel();
    const byId = new Map(events.map((event) => [event.job.id, event.job]));
    assert.deepEqual(byId.get(sum.id)?.result, { sum: 5 });
    assert.equal(byId.get(seed.id)?.result, "seeded");
    assert.deepEqual((await queue.get(sum.id))?.result, { sum: 5 });
  } finally {
    await queue.close();
  }
});

test("a result that is not JSON fails the run with a TypeError's message", async () => {
  const queue = kinetik({ interval: 20 });
  queue.define("bad").action(() => ({ when: 1n }));
  try {
    const job = await queue.create("bad");
    queue.process("default");
    const failed = await waitForStatus(queue, job.id, "failed");
    assert.match(failed.error!.message, /^Cannot store job result as its data must be JSON/);
    assert.equal(failed.result, undefined);
  } finally {
    await queue.close();
  }
});

test("create() with retry and timeout overrides runs the job by them, not the task's", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", clock });
  const runs: string[] = [];
  queue.define("flaky").timeout("1h").action((job) => {
    runs.push(`${(job.data as { n: number }).n}.${job.attempt}`);
    if ((job.data as { n: number }).n === 2) return new Promise(() => {}); // runs forever
    throw new Error("no");
  });
  try {
    // A producer without the task's definition sets the overrides.
    const producer = kinetik(queue.store, { clock });
    const retried = await producer.create("flaky", { n: 1 }, { retry: { delay: "5s", max: 1 } });
    const limited = await producer.create("flaky", { n: 2 }, { timeout: "2s" });
    assert.deepEqual(retried.retry, { delay: 5_000, max: 1, backoff: "fixed" });
    assert.equal(retried.maxAttempts, 3);
    queue.process("default", { concurrency: 2 });
    await waitForStatus(queue, retried.id, "delayed");
    await clock.advance(2_000);
    assert.equal(
      (await waitForStatus(queue, limited.id, "timeout")).error?.message,
      "Timed out after 2s",
    );
    await clock.advance(3_000);
    await waitForStatus(queue, retried.id, "failed");
    assert.deepEqual(runs.sort(), ["1.1", "1.2", "2.1"]);
    assert.equal((await queue.get(retried.id))?.maxAttempts, 3, "the claim kept its own limit");
  } finally {
    await queue.close();
  }
});

test("job.log() lines and progress reach the store with the next lease renewal, before the end", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", lease: "30s", clock });
  const gate = deferred();
  queue.define("long").action(async (job) => {
    job.log("step 1");
    job.progress(1, 2);
    await gate.promise;
    job.log("step 2");
  });
  try {
    const job = await queue.create("long");
    queue.process("default");
    await waitForStatus(queue, job.id, "processing");
    const messages = async () => (await queue.logs(job.id)).map((l) => l.message.split(" (")[0]);
    assert.deepEqual(await messages(), ["Created"]);
    await clock.advance(10_000);
    assert.deepEqual(await messages(), ["Created", "Started", "step 1"]);
    assert.deepEqual((await queue.get(job.id))?.progress, { current: 1, total: 2 });
    gate.resolve();
    await waitForStatus(queue, job.id, "completed");
    assert.deepEqual(await messages(), [
      "Created",
      "Started",
      "step 1",
      "step 2",
      "Completed in 10s",
    ]);
  } finally {
    await queue.close();
  }
});

test("a run that ends while its renewal is out settles after it, each line stored once", async () => {
  const clock = new ManualClock(0);
  const store = new MemoryStore();
  const held = deferred();
  const renewing = deferred();
  const calls: string[] = [];
  const renew = store.renew.bind(store);
  store.renew = async (...args) => {
    const kept = await renew(...args); // the renewal runs, its answer is held back
    renewing.resolve();
    await held.promise;
    calls.push("renewed");
    return kept;
  };
  const settle = store.settle.bind(store);
  store.settle = (...args) => (calls.push("settle"), settle(...args));
  const queue = kinetik(store, { interval: "1h", lease: "30s", clock });
  const gate = deferred();
  queue.define("racing").action(async (job) => {
    job.log("before");
    await gate.promise;
    job.log("after");
  });
  try {
    const job = await queue.create("racing");
    queue.process("default");
    await waitForStatus(queue, job.id, "processing");
    clock.advance(10_000);
    await renewing.promise;
    gate.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the action has ended
    assert.deepEqual(calls, [], "the settle waits for the renewal's answer");
    held.resolve();
    await waitForStatus(queue, job.id, "completed");
    assert.deepEqual(calls, ["renewed", "settle"]);
    const lines = (await queue.logs(job.id)).map((l) => l.message.split(" (")[0]);
    assert.deepEqual(lines, ["Created", "Started", "before", "after", "Completed in 10s"]);
  } finally {
    await queue.close();
  }
});

test("a job cancelled while it runs keeps each of its lines once", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", lease: "30s", clock });
  const gate = deferred();
  queue.define("cancelled").action(async (job) => {
    job.log("flushed");
    await gate.promise;
  });
  try {
    const job = await queue.create("cancelled");
    queue.process("default");
    await waitForStatus(queue, job.id, "processing");
    await clock.advance(10_000);
    await queue.cancel(job.id);
    await waitFor(async () => (await queue.logs(job.id)).length === 5);
    const lines = (await queue.logs(job.id)).map((l) => l.message.split(" (")[0]);
    assert.deepEqual(lines, [
      "Created",
      "Started",
      "flushed",
      "Cancelled",
      "Run stopped: the job was cancelled",
    ]);
  } finally {
    gate.resolve();
    await queue.close();
  }
});
