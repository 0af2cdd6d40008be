import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore, Queue, type QueueEvent } from "../mod.ts";
import { MAX_DATA_DEPTH } from "../src/json_data.ts";
import { ManualClock } from "../src/manual_clock.ts";
import {
  PATIENCE,
  waitFor,
  waitForStatus,
  watchAll,
  withQueueOn,
  withTimeout,
} from "./_helpers.ts";

test("kinetik() uses a MemoryStore and a 10s interval when given nothing", async () => {
  const queue = kinetik();
  assert.ok(queue instanceof Queue);
  assert.ok(queue.store instanceof MemoryStore);
  await queue.close();
});

test("kinetik() takes the options as first argument when no store is given", async () => {
  const store = new MemoryStore();
  const withStore = kinetik(store, { interval: "1m" });
  assert.equal(withStore.store, store);
  const withOptions = kinetik({ interval: 500 });
  assert.ok(withOptions.store instanceof MemoryStore);
  await withStore.close();
  await withOptions.close();
});

test("kinetik() refuses a bad interval or concurrency", () => {
  assert.throws(() => kinetik({ interval: "soon" }), TypeError);
  assert.throws(
    () => kinetik({ concurrency: 0 }),
    /concurrency as it must be an integer >= 1: current value is 0/,
  );
});

test("define() refuses empty names and names containing ':'", async () => {
  const queue = kinetik();
  assert.throws(() => queue.define(""), TypeError);
  assert.throws(
    () => queue.define("email:welcome"),
    { name: "TypeError", message: /without ":": current value is "email:welcome"/ },
  );
  assert.throws(() => queue.define(42 as unknown as string), TypeError);
  await queue.close();
});

test("configure() runs fn only when NODE_ENV matches, and always without env", async () => {
  const queue = kinetik();
  const previous = process.env.NODE_ENV;
  try {
    delete process.env.NODE_ENV;
    assert.equal(queue.configure("development", () => "dev"), "dev");
    assert.equal(queue.configure("production", () => "prod"), false);
    assert.equal(queue.configure(() => "any"), "any");
    process.env.NODE_ENV = "production";
    assert.equal(queue.configure("production", () => "prod"), "prod");
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
    await queue.close();
  }
});

test("use() accepts a function or an object with handle(), and chains", async () => {
  const queue = kinetik();
  const seen: unknown[] = [];
  const returned = queue.use((q) => seen.push(q)).use({ handle: (q) => seen.push(q) });
  assert.equal(returned, queue);
  assert.deepEqual(seen, [queue, queue]);
  assert.throws(() => queue.use(42 as never), TypeError);
  await queue.close();
});

test("on(), once(), off() and emit() take only the queue's own event names (deno check)", async () => {
  const queue = kinetik();
  const heard: string[] = [];
  const onCompleted = () => heard.push("completed");
  // @ts-expect-error "completed" is not a queue event
  queue.emit("completed");
  // @ts-expect-error drain's listeners take no arguments
  queue.emit("drain", 1);
  // Job events reach a queue as a stream (`events()`) or on the task (`complete`): a queue
  // listener under a job event's name would never run, so the name is a type error.
  // @ts-expect-error "completed" is not a queue event
  queue.on("completed", onCompleted);
  // @ts-expect-error "nope" is not a queue event
  queue.once("nope", onCompleted);
  // @ts-expect-error "started" is not a queue event
  queue.off("started", onCompleted);
  queue.on("drain", () => heard.push("drain"));
  queue.define("send email").action(() => {});
  const job = await queue.create("send email");
  const finished = watchAll(queue, job.id);
  queue.process("default");
  assert.equal((await finished).at(-1)?.type, "completed");
  assert.deepEqual(heard, ["drain"]);
  await queue.close();
});

test("create() saves a queued job and emits job:define, then drain", async () => {
  const queue = kinetik();
  const events: string[] = [];
  queue.on("job:define", (job) => events.push(`define ${job.task}`));
  queue.on("drain", () => events.push("drain"));
  const job = await queue.create("send email", { email: "ford@example.com", name: "Ford Prefect" });
  assert.equal(job.status, "queued");
  assert.equal(job.task, "send email");
  assert.deepEqual(job.data, { email: "ford@example.com", name: "Ford Prefect" });
  assert.equal(job.attempts, 0);
  assert.deepEqual(await queue.get(job.id), job);
  assert.deepEqual(events, ["define send email", "drain"]);
  await queue.close();
});

test("create() with a delay saves a delayed job with runAt", async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const queue = kinetik({ clock });
  const job = await queue.create("send email", {}, "1d");
  assert.equal(job.status, "delayed");
  assert.equal(job.runAt, clock.now() + 86_400_000);
  const viaOptions = await queue.create("send email", {}, { delay: 500, priority: -1 });
  assert.equal(viaOptions.status, "delayed");
  assert.equal(viaOptions.runAt, clock.now() + 500);
  assert.equal(viaOptions.priority, -1);
  await queue.close();
});

test("create() rejects bad input with a typed error and saves nothing", async () => {
  const queue = kinetik();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assert.rejects(queue.create("", {}), TypeError);
  await assert.rejects(queue.create("a:b", {}), TypeError);
  await assert.rejects(queue.create("t", {}, "soon"), {
    name: "TypeError",
    message: /current value is "soon"/,
  });
  await assert.rejects(queue.create("t", {}, -5), RangeError);
  await assert.rejects(queue.create("t", { fn: () => {} }), {
    name: "TypeError",
    message: /data\.fn is a function/,
  });
  await assert.rejects(queue.create("t", cyclic), /circular/);
  await assert.rejects(queue.create("t", { n: 10n }), /BigInt/);
  await assert.rejects(queue.createMany([{ task: "ok" }, { task: "bad:name" }]), TypeError);
  assert.equal(await queue.count(), 0);
  await queue.close();
});

test("create() with a key returns the unfinished job with that key instead of a new one", async () => {
  const queue = kinetik();
  const first = await queue.create("report", { day: 1 }, { key: "report-2026-11-28" });
  const second = await queue.create("report", { day: 1 }, { key: "report-2026-11-28" });
  assert.equal(second.id, first.id);
  assert.equal(await queue.count(), 1);
  await queue.close();
});

test("createMany() saves every job in order in one call", async () => {
  const queue = kinetik();
  const jobs = await queue.createMany([
    { task: "a", data: { n: 1 } },
    { task: "b", data: { n: 2 }, delay: "1h" },
    { task: "a", data: { n: 3 }, priority: 5 },
  ]);
  assert.deepEqual(jobs.map((job) => [job.task, job.status]), [["a", "queued"], ["b", "delayed"], [
    "a",
    "queued",
  ]]);
  assert.equal(await queue.count({ task: "a" }), 2);
  await queue.close();
});

test("fetch() iterates jobs matching a Mongo-style query, with limit and sort", async () => {
  const queue = kinetik();
  await queue.createMany(
    Array.from(
      { length: 450 },
      (_, n) => ({ task: n % 3 ? "email" : "sms", data: { user: n % 5 } }),
    ),
  );
  const all = [];
  for await (const job of queue.fetch({ status: "queued" })) all.push(job);
  assert.equal(all.length, 450);
  let users = 0;
  for await (const job of queue.fetch({ task: { $in: ["sms"] }, "data.user": 0 })) {
    assert.equal(job.task, "sms");
    users++;
  }
  assert.equal(users, 30);
  const newest = [];
  for await (const job of queue.fetch({}, { limit: 3, sort: { created: -1 } })) {
    newest.push(Number(job.id));
  }
  assert.deepEqual(newest, [450, 449, 448]);
  await queue.close();
});

test("fetch() and count() refuse $where, functions and unknown operators at the call", async () => {
  const queue = kinetik();
  assert.throws(() => queue.fetch({ $where: "this.data.x > 1" }), {
    name: "TypeError",
    message: /\$where/,
  });
  assert.throws(() => queue.fetch({ data: { $foo: 1 } }), TypeError);
  assert.throws(() => queue.fetch({ status: () => true } as never), /functions are not allowed/);
  await assert.rejects(queue.count({ $where: "1" }), TypeError);
  await queue.close();
});

test("stats() counts jobs by status, task and tag", async () => {
  const queue = kinetik();
  queue.define("send email").tag("messaging");
  await queue.createMany([{ task: "send email" }, { task: "send email", delay: "1h" }, {
    task: "resize",
  }]);
  const stats = await queue.stats();
  assert.equal(stats.total, 3);
  assert.equal(stats.status.queued, 2);
  assert.equal(stats.status.delayed, 1);
  assert.equal(stats.tasks["send email"].tag, "messaging");
  assert.equal(stats.tasks["send email"].total, 2);
  assert.equal(stats.tags.messaging.total, 2);
  assert.equal(stats.tags["?"].total, 1);
  await queue.close();
});

test("clean() removes completed jobs of the given tags with their logs, and nothing else", async () => {
  const queue = kinetik({ interval: 20 });
  queue.define("email").tag("messaging").action(() => {});
  queue.define("report").tag("analytics").action(() => {});
  queue.define("broken").tag("messaging").action(() => {
    throw new Error("no");
  });
  const [email, report, broken] = await queue.createMany([{ task: "email" }, { task: "report" }, {
    task: "broken",
  }]);
  queue.process(["messaging", "analytics"]);
  await waitForStatus(queue, email.id, "completed");
  await waitForStatus(queue, report.id, "completed");
  await waitForStatus(queue, broken.id, "failed");
  assert.equal(await queue.clean("messaging"), 1);
  assert.equal(await queue.get(email.id), undefined);
  assert.deepEqual(await queue.logs(email.id), []);
  assert.equal((await queue.get(report.id))?.status, "completed");
  assert.equal((await queue.get(broken.id))?.status, "failed");
  assert.equal(await queue.clean({ status: "failed" }), 1);
  assert.equal(await queue.clean(), 1);
  assert.equal(await queue.count(), 0);
  await assert.rejects(queue.clean({ status: "done" as never }), TypeError);
  await queue.close();
});

test("cancel() cancels a queued or delayed job and returns false once finished", async () => {
  const queue = kinetik();
  const cancelled: string[] = [];
  queue.define("email").on("cancelled", (job) => cancelled.push(job.id));
  const queued = await queue.create("email", {});
  const delayed = await queue.create("email", {}, "1h");
  assert.equal(await queue.cancel(queued), true);
  assert.equal(await queue.cancel(delayed.id), true);
  assert.equal(await queue.cancel(delayed.id), false);
  assert.equal(await queue.cancel("no-such-job"), false);
  assert.equal((await queue.get(queued.id))?.status, "cancelled");
  assert.deepEqual(cancelled, [queued.id, delayed.id]);
  assert.ok((await queue.logs(queued.id)).some((line) => line.message === "Cancelled"));
  await assert.rejects(queue.cancel(""), TypeError);
  await queue.close();
});

for (const kind of ["memory", "sqlite"] as const) {
  test(`fetch() sorts ids as numbers on the ${kind} store (2 before 10)`, () =>
    withQueueOn(kind, {}, async (queue) => {
      await queue.createMany(Array.from({ length: 12 }, () => ({ task: "email" })));
      const ids = async (direction: 1 | -1) => {
        const out = [];
        for await (const job of queue.fetch({}, { sort: { id: direction } })) out.push(job.id);
        return out;
      };
      const numbers = Array.from({ length: 12 }, (_, i) => String(i + 1));
      assert.deepEqual(await ids(1), numbers);
      assert.deepEqual(await ids(-1), numbers.reverse());
    }));

  test(`create() keeps data nested 1000 levels deep through a run on the ${kind} store, refuses 5000`, () =>
    withQueueOn(kind, { interval: 20 }, async (queue) => {
      let data: unknown = "leaf";
      for (let i = 0; i < MAX_DATA_DEPTH; i++) data = i % 2 ? { [i % 10]: data } : [data];
      const same = (value: unknown) => JSON.stringify(value) === JSON.stringify(data);
      queue.define("deep").action((job) => {
        assert.ok(same(job.data), "the action gets the data");
        job.log("echo", job.data);
      });
      const job = await queue.create("deep", data);
      queue.process("default");
      const done = await waitForStatus(queue, job.id, "completed");
      assert.ok(same(done.data), "the completed record keeps the data");
      const lines = await queue.logs(job.id);
      assert.ok(same(lines.find((line) => line.message === "echo")?.data), "the log keeps it");
      let deeper: unknown = data;
      for (let i = 0; i < 4_000; i++) deeper = [deeper];
      await assert.rejects(queue.create("deep", deeper), RangeError);
      assert.equal(await queue.count({}), 1, "the refused job was not saved");
    }));

  test(`logs() lists a running job cancelled on the ${kind} store oldest first`, () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    return withQueueOn(kind, { interval: "1h", clock }, async (queue) => {
      let isRunning = false;
      queue.define("slow").action(async (job) => {
        job.log("working");
        isRunning = true;
        await new Promise((resolve) => job.signal.addEventListener("abort", resolve));
      });
      const t0 = clock.now();
      const job = await queue.create("slow");
      await clock.advance(1000);
      queue.process("default");
      await waitFor(() => isRunning, 3000, "the job to start");
      await clock.advance(1000);
      assert.equal(await queue.cancel(job.id), true);
      // The run's buffered lines reach the store after the cancel line does.
      await waitFor(async () => (await queue.logs(job.id)).length === 5, 3000, "the run's lines");
      const lines = await queue.logs(job.id);
      assert.deepEqual(lines.map((line) => `${line.time - t0} ${line.message}`), [
        "0 Created",
        "1000 Started (attempt 1)",
        "1000 working",
        "2000 Cancelled",
        "2000 Run stopped: the job was cancelled",
      ]);
    });
  });
}

test("events() streams job events of every kind, filtered on request", async () => {
  const queue = kinetik({ interval: 20 });
  queue.define("email").action((job) => {
    job.log("sent");
    job.progress(1, 1);
  });
  const all: QueueEvent[] = [];
  const logs: QueueEvent[] = [];
  const reading = (async () => {
    for await (const event of queue.events()) {
      all.push(event);
      if (event.type === "completed") break;
    }
  })();
  const readingLogs = (async () => {
    for await (const event of queue.events({ type: "log" })) {
      logs.push(event);
      break;
    }
  })();
  await queue.create("email", {});
  queue.process("default");
  await withTimeout(Promise.all([reading, readingLogs]), PATIENCE, "the completed event");
  assert.deepEqual(all.map((e) => e.type), ["created", "started", "log", "progress", "completed"]);
  assert.equal(logs[0].line?.message, "sent");
  await queue.close();
});

test("watch() streams one job's events and closes after its final status", async () => {
  const queue = kinetik({ interval: 20 });
  queue.define("email").action(() => {});
  const job = await queue.create("email", {});
  const watching = watchAll(queue, job.id);
  queue.process("default");
  const events = await watching;
  assert.deepEqual(events.map((e) => e.type), ["started", "completed"]);
  const again = await watchAll(queue, job.id);
  assert.deepEqual(again.map((e) => e.type), ["completed"]);
  await assert.rejects(watchAll(queue, "nope"), { name: "TypeError", message: /does not exist/ });
  await queue.close();
});

test("task.events() streams only that task's events", async () => {
  const queue = kinetik({ interval: 20 });
  const email = queue.define("email").action(() => {});
  queue.define("sms").action(() => {});
  const seen: string[] = [];
  const reading = (async () => {
    for await (const event of email.events()) {
      seen.push(`${event.job.task} ${event.type}`);
      if (event.type === "completed") break;
    }
  })();
  await queue.createMany([{ task: "sms" }, { task: "email" }]);
  queue.process("default");
  await withTimeout(reading, PATIENCE, "the completed event");
  assert.deepEqual(seen, ["email created", "email started", "email completed"]);
  await queue.close();
});

test("close() stops processors, closes streams and the store; later creates reject", async () => {
  const queue = kinetik({ interval: 20 });
  const stream = queue.events();
  queue.process("default");
  await queue.close();
  const { done } = await withTimeout(stream.getReader().read(), PATIENCE, "the end");
  assert.equal(done, true);
  await assert.rejects(queue.create("x", {}), /queue is closed/);
  await queue.close();
});

test("workers() lists the live workers of the store with their tasks", async () => {
  const queue = kinetik({ interval: "1h" });
  queue.define("work").tag("jobs").action(() => {});
  try {
    assert.deepEqual(await queue.workers(), []);
    const empty = new Promise((resolve) => queue.once("empty", resolve));
    const processor = queue.process("jobs");
    await empty;
    const [worker] = await queue.workers();
    assert.equal(worker.id, processor.worker);
    assert.deepEqual(worker.tags, ["jobs"]);
    assert.deepEqual(worker.tasks.map((task) => task.name), ["work"]);
  } finally {
    await queue.close();
  }
});
