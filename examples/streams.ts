/**
 * Following jobs as they run. Each of these is a `ReadableStream`, read with `for await`:
 * - `queue.events(filter?)`: every job event (here only `created` and `completed`);
 * - `task.events()`: the events of one task's jobs;
 * - `queue.watch(id)`: one job's events; it closes by itself after the job's final status.
 * `queue.close()` closes every stream still open. Run with `deno run -A examples/streams.ts`.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { kinetik } from "../mod.ts";

const queue = kinetik({ interval: "100ms" });

queue.define("send email").tag("messaging").action((job) => job.log("Sent"));
const resize = queue.define("resize image").tag("media").action(async (job) => {
  for (let step = 1; step <= 3; step++) {
    await sleep(20, undefined, { signal: job.signal });
    job.progress(step, 3);
  }
});

// Open the streams before creating jobs: a stream sees the events after it opens.
const everything = (async () => {
  for await (const event of queue.events({ type: ["created", "completed"] })) {
    console.log(`[queue.events] #${event.job.id} ${event.job.task}: ${event.type}`);
  }
})();
const images = (async () => {
  for await (const event of resize.events()) {
    const progress = event.progress ? ` ${event.progress.current}/${event.progress.total}` : "";
    console.log(`[task.events] #${event.job.id}: ${event.type}${progress}`);
  }
})();

await queue.create("send email", { to: "ford@betelgeuse.example" });
const image = await queue.create("resize image", { file: "towel.png" });
queue.process(["messaging", "media"]);

for await (const event of queue.watch(image.id)) {
  console.log(`[queue.watch] #${image.id}: ${event.type}`);
}

await queue.close(); // ends the two loops above
await Promise.all([everything, images]);
