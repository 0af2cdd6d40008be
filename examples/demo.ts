/**
 * A two-second tour of Kinetik: `deno task demo` (or `bun examples/demo.ts`).
 *
 * A queue in memory with four tasks in three tags. A task is the code (`define … action`), a
 * job is the data (`create`), a tag groups tasks, and a processor drains its tags in priority
 * order: every `messaging` job before any `media` job, and those before `analytics`. Watch
 * for a delayed job waiting its turn, an image reporting progress, an email timing out, and
 * a flaky sync failing once and succeeding on its retry. Each line below is one event from
 * `queue.events()`; the demo ends with `queue.stats()` and the retried job's stored log.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { isFinalStatus, kinetik } from "../mod.ts";
import { formatEvent, formatLog, formatStats, paint } from "./_format.ts";

interface Email {
  email: string;
  name: string;
  subject: string;
}

// The default store is in memory. `interval` is how long an idle processor waits before it
// looks again (new jobs wake it at once).
const queue = kinetik({ interval: "100ms" });

// --- Tasks: the code. An action gets the job: its `data`, `log()`, `progress()`, `signal`.

queue.define("send email").tag("messaging").timeout("500ms")
  .desc("Transactional email: must go out fast")
  .action(async (job) => {
    const { email, subject } = job.data as Email;
    const slow = email.endsWith("@sirius-cybernetics.com"); // a mail server that never answers
    await sleep(slow ? 2_000 : 80, undefined, { signal: job.signal });
    job.log(`Sent "${subject}"`, { to: email });
  });

queue.define("sync contacts").tag("messaging").retry("200ms", 2)
  .desc("Copies the address book to the CRM, which is flaky")
  .action((job) => {
    if (job.attempt === 1) throw new Error("CRM unavailable (503)");
    job.log("Synced contacts", { count: 42 });
  });

queue.define("resize image").tag("media")
  .action(async (job) => {
    const sizes = [1024, 512, 256, 128];
    for (const [i, size] of sizes.entries()) {
      await sleep(60, undefined, { signal: job.signal });
      job.progress(i + 1, sizes.length);
      if (size === 128) job.log("Thumbnail ready", { size });
    }
  });

queue.define("aggregate stats").tag("analytics")
  .action(async (job) => {
    await sleep(150, undefined, { signal: job.signal });
    job.log("Daily totals computed", { day: (job.data as { day: string }).day });
  });

// --- Jobs: the data. Open the event stream first so that it sees them being created.

const start = Date.now();
const events = queue.events();

const jobs = await Promise.all([
  // Analytics and media are created first, but messaging jobs still run first.
  queue.create("aggregate stats", { day: "2024-05-25" }),
  queue.create("resize image", { file: "towel.png" }),
  queue.create("resize image", { file: "babel-fish.jpg" }),
  queue.create("send email", {
    email: "ford@betelgeuse.example",
    name: "Ford Prefect",
    subject: "Welcome to the Guide",
  }),
  queue.create("sync contacts", { account: "megadodo" }),
  queue.create("send email", {
    email: "marvin@sirius-cybernetics.com",
    name: "Marvin",
    subject: "Here I am, brain the size of a planet",
  }),
  // Delayed jobs: they wait, then jump ahead of whatever lower-priority work is queued.
  queue.create("send email", {
    email: "arthur@earth.example",
    name: "Arthur Dent",
    subject: "Your house is being demolished",
  }, "300ms"),
  queue.create("aggregate stats", { day: "2024-05-26" }, "1s"),
]);
const retried = jobs.find((job) => job.task === "sync contacts")!;

// --- Processing: one processor over three tags, in priority order.

queue.process(["messaging", "media", "analytics"], "100ms");

const unfinished = new Set(jobs.map((job) => job.id));
for await (const event of events) {
  console.log(formatEvent(event, start));
  if (isFinalStatus(event.job.status)) unfinished.delete(event.job.id);
  if (unfinished.size === 0) break; // Leaving the loop cancels the stream.
}

console.log(`\n${paint("bold", "queue.stats()")}`);
console.log(formatStats(await queue.stats(), queue.tags));
console.log(`\n${paint("bold", `queue.logs("${retried.id}")`)}  (${retried.task}, retried once)`);
console.log(formatLog(await queue.logs(retried.id), start));

await queue.close();
