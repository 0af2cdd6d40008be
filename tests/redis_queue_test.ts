import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { kinetik, type Queue, type QueueEvent } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { QueueOptions } from "../src/queue_options.ts";
import { RedisStore } from "../stores/redis.ts";
import { deferred, nextEvent, PATIENCE, waitFor, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable(
  "the Redis queue tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

let prefixes = 0;
const run = Math.random().toString(36).slice(2, 8);

/** Two queues on one fresh prefix, each with its own connections (as two processes have). */
function pair(options: QueueOptions = {}): [Queue, Queue] {
  const prefix = `q${++prefixes}-${run}`;
  return [
    kinetik(new RedisStore({ url, prefix }), options),
    kinetik(new RedisStore({ url, prefix }), options),
  ];
}

/**
 * Resolves once `queue`'s store follows the channel: RedisStore.publish() waits for its own
 * SUBSCRIBE to be confirmed, so a message published after this reaches the queue.
 */
async function subscribed(queue: Queue): Promise<void> {
  await withTimeout(queue.store.publish!({ type: "wake" }), PATIENCE, "the SUBSCRIBE");
}

// The clock of these queues never moves on its own: an idle worker's wait ends only when a
// message wakes it, or when the test advances the clock.
test("Redis queue starts a job another queue creates on an idle worker, by a wake-up alone", {
  skip,
}, async () => {
  const [worker, producer] = pair({ interval: "1m", clock: new ManualClock() });
  try {
    let started = deferred();
    worker.define("ping").action(() => started.resolve());
    let idle = nextEvent(worker, "empty");
    worker.process("default");
    for (let i = 0; i < 5; i++) {
      await idle; // the previous job is settled and nothing is ready
      idle = nextEvent(worker, "empty");
      started = deferred();
      await producer.create("ping", { i });
      await withTimeout(started.promise, PATIENCE, `the wake-up for job ${i + 1}`);
    }
  } finally {
    await worker.close();
    await producer.close();
  }
});

test("Redis queue runs a job delayed by another queue on time, though the worker idles for 1m", {
  skip,
}, async () => {
  const clock = new ManualClock();
  const [worker, producer] = pair({ interval: "1m", lease: "1m", clock });
  try {
    const started = deferred();
    let isStarted = false;
    worker.define("later").action(() => {
      isStarted = true;
      started.resolve();
    });
    const idle = nextEvent(worker, "empty");
    worker.process("default");
    await idle;
    // The wake-up makes the worker claim: nothing is ready, and it learns when the job is due.
    const due = nextEvent(worker, "empty");
    await producer.create("later", null, 300);
    await due;
    await clock.advance(299);
    assert.equal(isStarted, false, "started before its delay passed");
    await clock.advance(1);
    await withTimeout(started.promise, PATIENCE, "the delayed job to start when due");
  } finally {
    await worker.close();
    await producer.close();
  }
});

test("Redis queue carries events, watch() and task events to another queue", { skip }, async () => {
  const [worker, watcher] = pair({ interval: "1m" });
  try {
    worker.define("report").action((job) => {
      job.log("halfway", { at: 1 });
      job.progress(1, 2);
    });
    const completed = deferred<string>();
    watcher.define("report").on("complete", (job) => completed.resolve(job.id));
    const seen: QueueEvent[] = [];
    const events = watcher.events({ task: "report" }).getReader();
    const reading = (async () => {
      for (;;) {
        const { done, value } = await events.read();
        if (done) return;
        seen.push(value);
      }
    })();
    await subscribed(watcher);
    const job = await watcher.create("report", { n: 1 });
    const watched: string[] = [];
    const watching = (async () => {
      for await (const event of watcher.watch(job.id)) watched.push(event.type);
    })();
    worker.process("default");
    assert.equal(await withTimeout(completed.promise, PATIENCE, "the complete event"), job.id);
    await withTimeout(watching, PATIENCE, "watch() to end");
    assert.deepEqual(watched.filter((type) => type !== "created"), [
      "started",
      "log",
      "progress",
      "completed",
    ]);
    await waitFor(() => seen.some((event) => event.type === "completed"), 2_000, "completed");
    const log = seen.find((event) => event.type === "log");
    assert.deepEqual(log?.line?.data, { at: 1 });
    await events.cancel();
    await withTimeout(reading, PATIENCE, "the event stream to end");
  } finally {
    await worker.close();
    await watcher.close();
  }
});

test("Redis queue cancels a job running in another queue", { skip }, async () => {
  const [worker, other] = pair({ interval: "1m" });
  try {
    const running = deferred<void>();
    const aborted = deferred<unknown>();
    worker.define("long").action((job) => {
      running.resolve();
      return new Promise<void>((resolve) => {
        job.signal.addEventListener("abort", () => {
          aborted.resolve(job.signal.reason);
          resolve();
        });
      });
    });
    const cancelledHere = deferred<string>();
    worker.tasks.get("long")!.on("cancelled", (job) => cancelledHere.resolve(job.id));
    worker.process("default");
    await subscribed(worker); // the cancel message must reach the worker
    const job = await other.create("long");
    await withTimeout(running.promise, PATIENCE, "the job to start");
    assert.equal(await other.cancel(job.id), true);
    await withTimeout(aborted.promise, PATIENCE, "the run's signal to abort");
    assert.equal(await withTimeout(cancelledHere.promise, PATIENCE, "cancelled"), job.id);
    assert.equal((await other.get(job.id))?.status, "cancelled");
    assert.equal(await other.cancel(job.id), false, "a final job is not cancelled again");
  } finally {
    await worker.close();
    await other.close();
  }
});

test(
  "examples/redis.ts runs against Redis and exits by itself",
  { skip, timeout: 20_000 },
  async () => {
    const file = fileURLToPath(new URL("../examples/redis.ts", import.meta.url));
    const args = "Deno" in globalThis ? ["run", "-A", file] : [file];
    const env = { ...process.env, REDIS_URL: url };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { env, timeout: 15_000 }, (error, out, err) => {
        if (error) reject(new Error(`${error.message}\n${err}`));
        else resolve(out);
      });
    });
    assert.match(stdout, /completed europa\.png/);
    assert.match(stdout, /resize image \(images\): 6 completed, 0 queued/);
  },
);

test(
  "Redis queue lists a running job's log oldest first after it is cancelled",
  { skip },
  async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const t0 = clock.now();
    const queue = kinetik(new RedisStore({ url, prefix: `q${++prefixes}-${run}` }), {
      interval: "1h",
      clock,
    });
    try {
      let isRunning = false;
      queue.define("slow").action(async (job) => {
        job.log("working");
        isRunning = true;
        await new Promise((resolve) => job.signal.addEventListener("abort", resolve));
      });
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
    } finally {
      await queue.close();
    }
  },
);
