/**
 * A worker, as the seed runs one: define tasks, then let the `QUEUE` environment variable
 * choose which tags this process works on.
 *
 * ```sh
 * QUEUE=messaging deno task work          # terminal 1: a worker for the messaging tag
 * kinetik add "send email" '{"to":"ford@example.com"}'   # terminal 2: a job for it
 * kinetik watch                           # terminal 3: every worker's events, live
 * ```
 *
 * The store is `KINETIK_STORE`, else `sqlite:kinetik.db` in the working directory, the same
 * default as the `kinetik` command. Without `QUEUE` the worker takes every tag defined here.
 * Ctrl-C (or SIGTERM) stops it gracefully: running jobs get a few seconds to finish.
 *
 * @module
 */

import process from "node:process";
import { defaultStoreUrl, environment, kinetik, openStore } from "../mod.ts";
import { formatEvent } from "./_format.ts";

/** Resolves after `ms`, or rejects when `signal` aborts (cancel, timeout, shutdown). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}

const url = defaultStoreUrl();
const queue = kinetik(await openStore(url), { interval: "5s", grace: "3s" });

queue.define("send email")
  .tag("messaging")
  .desc("Sends an email to data.to")
  .timeout("10s")
  .retry("500ms", 2)
  .action(async (job) => {
    const { to } = (job.data ?? {}) as { to?: string };
    if (typeof to !== "string" || !to.includes("@")) {
      throw new Error(`Cannot send email as "to" must be an address: current value is ${to}`);
    }
    job.log("Connecting to the mail server");
    await sleep(200, job.signal);
    job.log("Sent", { to });
  });

queue.define("resize image")
  .tag("media")
  .desc("Renders data.path in data.steps sizes (default 10)")
  .timeout("1m")
  .action(async (job) => {
    const { path = "image.png", steps = 10 } = (job.data ?? {}) as {
      path?: string;
      steps?: number;
    };
    job.log(`Resizing ${path}`);
    for (let step = 1; step <= steps; step++) {
      await sleep(150, job.signal);
      job.progress(step, steps);
    }
  });

// QUEUE=messaging,media picks tags in priority order; without it, every tag defined above.
const fromEnv = (process.env.QUEUE ?? "").split(",").map((tag) => tag.trim()).filter(Boolean);
const tags = fromEnv.length > 0 ? fromEnv : queue.tags;
queue.use(environment(tags));

const tasks = [...queue.tasks.values()].filter((t) => tags.includes(t.config.tag));
const start = Date.now();
console.log(`Worker ${process.pid} on ${url}, tags ${tags.join(",")} (Ctrl-C to stop)`);
// One line per event of the tasks this worker runs, from every process on the store; the
// stream ends when the queue closes on SIGINT/SIGTERM.
for await (const event of queue.events({ task: tasks.map((t) => t.name) })) {
  console.log(formatEvent(event, start));
}
console.log("Stopped.");
