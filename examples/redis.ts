/**
 * Kinetik on Redis: a worker and a producer as two queues on one Redis, each with its own
 * connections, as two processes would be. The producer creates jobs and follows them
 * through `events()`; the worker wakes within milliseconds of each create (pub/sub), though
 * its interval is a minute.
 *
 * Run with a Redis at hand:
 * `REDIS_URL=redis://127.0.0.1:6379 deno run -A examples/redis.ts` (or `bun examples/redis.ts`).
 * Its jobs live under the prefix `kinetik-example`, cleaned at the end.
 */

import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { kinetik } from "../mod.ts";
import { RedisStore } from "../stores/redis.ts";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = "kinetik-example";

// The worker: defines the code, processes the "images" tag, five jobs at a time.
const worker = kinetik(new RedisStore({ url, prefix }), { interval: "1m", concurrency: 5 });
worker.define("resize image").tag("images").action(async (job) => {
  const { file } = job.data as { file: string };
  await sleep(20, undefined, { signal: job.signal });
  job.log(`Resized ${file}`);
});
worker.process(["images"]);

// The producer: needs no task definitions, only the same URL and prefix.
const producer = kinetik(new RedisStore({ url, prefix }));
const completed = producer.events({ type: "completed" }).getReader();
await sleep(50); // let both subscriptions go live before the first job

const files = ["moon.png", "earth.png", "mars.png", "venus.png", "io.png", "europa.png"];
const started = Date.now();
await producer.createMany(files.map((file) => ({ task: "resize image", data: { file } })));
for (let done = 0; done < files.length; done++) {
  const { value } = await completed.read();
  console.log(`completed ${(value!.job.data as { file: string }).file}`);
}
console.log(`${files.length} jobs in ${Date.now() - started} ms`);
const { tag, status } = (await producer.stats()).tasks["resize image"];
console.log(`resize image (${tag}): ${status.completed} completed, ${status.queued} queued`);

await producer.clean();
await worker.close();
await producer.close();
