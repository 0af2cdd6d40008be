import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore, type Queue, type QueueEvent } from "../mod.ts";
import { type BusHandlers, EventBus } from "../src/event_bus.ts";
import type { Job } from "../src/job.ts";
import type { Store, StoreMessage } from "../src/store.ts";
import { deferred, PATIENCE, waitFor, withTimeout } from "./_helpers.ts";

/** Reads `reader` into `into` until an event passes `isLast`. */
function readUntil(
  reader: ReadableStreamDefaultReader<QueueEvent>,
  into: QueueEvent[],
  isLast: (event: QueueEvent) => boolean,
): Promise<void> {
  return withTimeout(
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) throw new Error("stream ended");
        into.push(value);
        if (isLast(value)) return;
      }
    })(),
    3000,
    "an event",
  );
}

const completedJob = (id: string) => (event: QueueEvent) =>
  event.type === "completed" && event.job.id === id;

/** Runs `fn` with two queues on one memory store, as two processes would share a store. */
async function withTwoQueues(fn: (a: Queue, b: Queue) => unknown): Promise<void> {
  const store = new MemoryStore();
  const a = kinetik(store, { interval: "1m" });
  const b = kinetik(store, { interval: "1m" });
  const errors: unknown[] = [];
  a.on("error", (error) => errors.push(error));
  b.on("error", (error) => errors.push(error));
  try {
    await fn(a, b);
    assert.deepEqual(errors, []);
  } finally {
    // The worker first: closing a queue closes the store they share.
    await a.close();
    await b.close();
  }
}

/** The seed's task events heard on `queue`'s task `name`, as "event job-id". */
function hear(queue: Queue, name: string): string[] {
  const task = queue.tasks.get(name) ?? queue.define(name);
  const heard: string[] = [];
  for (const event of ["start", "log", "progress", "complete", "fail", "cancelled"] as const) {
    task.on(event, (...args: unknown[]) => {
      const job = (event === "fail" ? args[1] : args[0]) as Job;
      heard.push(`${event} ${job.id}`);
    });
  }
  return heard;
}

test("EventBus delivers the events of a job run on queue A to queue B's events(), once each", () =>
  withTwoQueues(async (a, b) => {
    a.define("send email").action((job) => {
      job.log("sent");
      job.progress(1, 1);
    });
    const onB = hear(b, "send email");
    const fromB: QueueEvent[] = [];
    const reader = b.events().getReader();
    const job = await a.create("send email");
    a.process("default");
    await readUntil(reader, fromB, completedJob(job.id));
    // A second job as a barrier: any duplicate of the first one's events would come before it.
    const barrier = await a.create("send email");
    await readUntil(reader, fromB, completedJob(barrier.id));
    reader.releaseLock();
    const types = fromB.filter((event) => event.job.id === job.id).map((event) => event.type);
    assert.deepEqual(types, ["created", "started", "log", "progress", "completed"]);
    assert.deepEqual(onB.filter((line) => line.endsWith(` ${job.id}`)), [
      `start ${job.id}`,
      `log ${job.id}`,
      `progress ${job.id}`,
      `complete ${job.id}`,
    ]);
    const log = fromB.find((event) => event.type === "log")!;
    assert.equal(log.line?.message, "sent");
    assert.deepEqual(fromB.find((event) => event.type === "progress")?.progress, {
      current: 1,
      total: 1,
    });
  }));

test("EventBus gives queue A its own job's events once, ignoring their echo from the store", () =>
  withTwoQueues(async (a, b) => {
    a.define("send email").action((job) => job.log("sent"));
    const onA = hear(a, "send email");
    const fromA: QueueEvent[] = [];
    const fromB: QueueEvent[] = [];
    const readerA = a.events().getReader();
    const readerB = b.events().getReader();
    const job = await a.create("send email");
    a.process("default");
    await readUntil(readerA, fromA, completedJob(job.id));
    const barrier = await a.create("send email");
    // B hears the barrier only after A's echoes of the first job have gone round.
    await readUntil(readerB, fromB, completedJob(barrier.id));
    await readUntil(readerA, fromA, completedJob(barrier.id));
    readerA.releaseLock();
    readerB.releaseLock();
    const types = fromA.filter((event) => event.job.id === job.id).map((event) => event.type);
    assert.deepEqual(types, ["created", "started", "log", "completed"]);
    assert.deepEqual(onA.filter((line) => line.endsWith(` ${job.id}`)), [
      `start ${job.id}`,
      `log ${job.id}`,
      `complete ${job.id}`,
    ]);
  }));

test("EventBus aborts A's action signal when B cancels the job A is running", () =>
  withTwoQueues(async (a, b) => {
    const running = deferred();
    const reason = deferred<unknown>();
    a.define("long").action(async (job) => {
      const aborted = new Promise((resolve) => job.signal.addEventListener("abort", resolve));
      running.resolve();
      await aborted;
      reason.resolve(job.signal.reason);
    });
    const onA = hear(a, "long");
    const onB = hear(b, "long");
    const job = await a.create("long");
    a.process("default");
    await withTimeout(running.promise, 3000, "the run");
    assert.equal(await b.cancel(job.id), true);
    const error = await withTimeout(reason.promise, 3000, "the abort") as DOMException;
    assert.equal(error.name, "AbortError");
    assert.equal(error.message, "Job cancelled");
    await waitFor(
      async () =>
        (await a.logs(job.id)).some((line) =>
          line.message === "Run stopped: the job was cancelled"
        ),
      3000,
      "the run to be abandoned",
    );
    assert.equal((await a.get(job.id))?.status, "cancelled");
    await waitFor(() => onA.length >= 2, 1000, "A's cancelled event");
    assert.deepEqual(onA, [`start ${job.id}`, `cancelled ${job.id}`]);
    // B listens to the task, so it hears A's start through the store, and its own cancel.
    await waitFor(() => onB.length >= 2, 1000, "B's events");
    assert.deepEqual(onB, [`start ${job.id}`, `cancelled ${job.id}`]);
  }));

test("Queue.close() ends the queue's events(), task.events() and watch() streams", async () => {
  const queue = kinetik({ interval: "1m" });
  const task = queue.define("send email");
  const job = await queue.create("send email");
  const readers = [queue.events(), task.events(), queue.watch(job.id)].map((s) => s.getReader());
  const reads = readers.map((reader) => reader.read());
  await queue.close();
  const results = await withTimeout(Promise.all(reads), 1000, "the streams to end");
  assert.deepEqual(results, [
    { done: true, value: undefined },
    { done: true, value: undefined },
    { done: true, value: undefined },
  ]);
});

// The bus on its own, with handlers that record what they are given.

function handlers(): BusHandlers & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    dispatch: (event, error) => calls.push(["dispatch", event.type, event.job.id, error]),
    wake: (task) => calls.push(["wake", task]),
    cancel: (id) => calls.push(["cancel", id]),
    reportError: (error) => calls.push(["error", error]),
  };
}

function event(type: QueueEvent["type"], id = "1"): QueueEvent {
  const job: Job = {
    id,
    task: "send email",
    data: null,
    status: type === "completed" ? "completed" : "processing",
    created: 0,
    attempts: 1,
    priority: 0,
  };
  return { type, job, time: 0 };
}

/** Runs `fn` with a bus on a memory store; closes both afterwards. */
async function withBus(
  fn: (bus: EventBus, store: MemoryStore, calls: unknown[][]) => unknown,
): Promise<void> {
  const store = new MemoryStore();
  const handler = handlers();
  const bus = new EventBus(store, handler);
  try {
    await fn(bus, store, handler.calls);
  } finally {
    await bus.close();
    await store.close();
  }
}

test("EventBus.emit() delivers at once and publishes one microtask's events as one message", () =>
  withBus(async (bus, store, calls) => {
    const controller = new AbortController();
    const reader = store.subscribe(controller.signal).getReader();
    const error = new Error("smtp down");
    const started = event("started");
    const failed = event("failed");
    bus.emit(started);
    bus.emit(failed, error);
    assert.deepEqual(calls, [
      ["dispatch", "started", "1", undefined],
      ["dispatch", "failed", "1", error],
    ]);
    const { value } = await withTimeout(reader.read(), 1000, "the message");
    assert.deepEqual(value, { type: "event", origin: bus.origin, event: [started, failed] });
    controller.abort();
    reader.releaseLock();
  }));

test("EventBus ignores its own echoes and delivers other origins' events, single or batched", () =>
  withBus(async (bus, store, calls) => {
    bus.connect();
    assert.equal(bus.isShared, true);
    await store.publish({ type: "event", origin: bus.origin, event: [event("started", "mine")] });
    await store.publish({ type: "event", origin: "other", event: event("started", "2") });
    await store.publish({
      type: "event",
      origin: "other",
      event: [event("log", "3"), event("completed", "3")],
    });
    await waitFor(() => calls.length >= 3, 1000, "three events");
    assert.deepEqual(calls, [
      ["dispatch", "started", "2", undefined],
      ["dispatch", "log", "3", undefined],
      ["dispatch", "completed", "3", undefined],
    ]);
  }));

test("EventBus skips event messages without a job and keeps delivering after them", () =>
  withBus(async (bus, store, calls) => {
    bus.connect();
    await store.publish({ type: "event", origin: "other", event: { probe: true } });
    await store.publish({ type: "event", origin: "other", event: [null, "text", { type: "log" }] });
    await store.publish({ type: "event", origin: "other", event: event("started", "4") });
    await waitFor(() => calls.length >= 1, 1000, "the valid event");
    assert.deepEqual(calls, [["dispatch", "started", "4", undefined]]);
  }));

test("EventBus passes wake and cancel messages to its handlers", () =>
  withBus(async (bus, store, calls) => {
    bus.connect();
    bus.connect();
    const messages: StoreMessage[] = [
      { type: "wake", task: "send email" },
      { type: "wake" },
      { type: "cancel", id: "7" },
    ];
    for (const message of messages) await store.publish(message);
    await waitFor(() => calls.length >= 3, 1000, "three messages");
    assert.deepEqual(calls, [["wake", "send email"], ["wake", undefined], ["cancel", "7"]]);
  }));

test("EventBus.open() streams only the events passing the filter", () =>
  withBus(async (bus) => {
    const reader = bus.open({ type: "completed" }).getReader();
    bus.emit(event("started", "1"));
    bus.emit(event("completed", "1"));
    const { value } = await withTimeout(reader.read(), 1000, "the completed event");
    assert.equal(value?.type, "completed");
    reader.releaseLock();
  }));

test("EventBus.watch() closes the stream after the job's final event", () =>
  withBus(async (bus) => {
    const stream = bus.watch("1", () => {});
    bus.emit(event("started", "2"));
    bus.emit(event("started", "1"));
    bus.emit(event("completed", "1"));
    bus.emit(event("log", "1"));
    const types: string[] = [];
    const reading = (async () => {
      for await (const seen of stream) types.push(seen.type);
    })();
    await withTimeout(reading, 1000, "the stream to close");
    assert.deepEqual(types, ["started", "completed"]);
  }));

test("EventBus on a store without messages delivers locally and is not shared", async () => {
  const store = { name: "plain" } as unknown as Store;
  const handler = handlers();
  const bus = new EventBus(store, handler);
  const reader = bus.open().getReader();
  assert.equal(bus.isShared, false);
  bus.emit(event("started"));
  assert.equal((await withTimeout(reader.read(), 1000, "an event")).value?.type, "started");
  assert.deepEqual(handler.calls, [["dispatch", "started", "1", undefined]]);
  await bus.publish({ type: "wake" });
  await bus.close();
  assert.equal((await withTimeout(reader.read(), 1000, "the end")).done, true);
});

test("EventBus reports a failed publish of events to reportError", async () => {
  const failure = new Error("plain: connection lost");
  const store = { name: "plain", publish: () => Promise.reject(failure) } as unknown as Store;
  const handler = handlers();
  const bus = new EventBus(store, handler);
  bus.emit(event("started"));
  await waitFor(() => handler.calls.length === 2, 1000, "the error");
  assert.deepEqual(handler.calls[1], ["error", failure]);
  await bus.close();
});

test("a task listener on a producer hears jobs completed by a worker queue on the same store", async () => {
  const store = new MemoryStore();
  const worker = kinetik(store, { interval: 20 });
  const producer = kinetik(store);
  worker.define("email").action(() => {});
  const heard: string[] = [];
  const done = new Promise<void>((resolve) =>
    producer.define("email").on("complete", (job) => {
      heard.push(job.id);
      resolve();
    })
  );
  try {
    worker.process("default");
    const job = await producer.create("email", {});
    await withTimeout(done, PATIENCE, "the complete event");
    assert.deepEqual(heard, [job.id]);
  } finally {
    // The worker first: closing a queue closes the store they share.
    await worker.close();
    await producer.close();
  }
});

test("Queue.close() waits for its last events to reach the store before closing it", async () => {
  const store = new MemoryStore();
  const order: string[] = [];
  const held = deferred();
  const publish = store.publish.bind(store);
  store.publish = async (message) => {
    if (message.type === "event") {
      await held.promise; // a slow network: the publish is still out when close() starts
      order.push("published");
    }
    return publish(message);
  };
  const close = store.close.bind(store);
  store.close = () => (order.push("store closed"), close());
  const queue = kinetik(store);
  await queue.create("late");
  // Let the publish through one macrotask later: the memory store answers every other call of
  // close() within microtasks, so without waiting for the publish it would close first.
  setTimeout(held.resolve, 0);
  await withTimeout(queue.close(), PATIENCE, "close()");
  assert.deepEqual(order, ["published", "store closed"]);
});

test("Queue.openStreams counts events() and watch() streams until they end or are cancelled", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("count streams");
    assert.equal(queue.openStreams, 0);
    const events = queue.events();
    const watch = queue.watch(job.id);
    assert.equal(queue.openStreams, 2);
    await events.cancel();
    assert.equal(queue.openStreams, 1);
    await queue.cancel(job.id); // the job's final event closes its watch stream
    assert.equal(queue.openStreams, 0);
    await watch.cancel();
  } finally {
    await queue.close();
  }
});
