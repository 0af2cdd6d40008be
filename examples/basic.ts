/**
 * The README's quick start, as a file: define a task, create a job, process its tag, follow
 * the job to its end, print its log, close. `deno run -A examples/basic.ts` or
 * `bun examples/basic.ts`; `tests/readme_test.ts` keeps the README's copy equal to this one.
 */

import { kinetik } from "../mod.ts";

/** Stands in for your mailer. */
const mailer = {
  send(_to: string, _subject: string, _options: { signal: AbortSignal }) {
    return Promise.resolve(crypto.randomUUID());
  },
};

// With no store the queue lives in memory; pass one (SQLite, Redis, MongoDB) to share it.
const queue = kinetik({ interval: "1s" });

// A task is the code: its tag, a time limit, retries, and the action that runs each job.
queue.define("send email")
  .tag("messaging")
  .timeout("30s")
  .retry("10s", 3)
  .action(async (job) => {
    const { email, name, subject } = job.data as { email: string; name: string; subject: string };
    const receipt = await mailer.send(email, subject, { signal: job.signal });
    job.log(`Sent "${subject}" to ${name}`, { receipt });
  });

// A job is the data. Producers need no task definitions, only the same store. A delay as
// the third argument, such as "1d", would make it wait until tomorrow.
const job = await queue.create("send email", {
  email: "ford@betelgeuse.example",
  name: "Ford Prefect",
  subject: "Hello Universe",
});

// A processor works through the tags it is given, in order of priority.
queue.process(["messaging"]);

// watch() streams the job's events and ends after its final one.
for await (const event of queue.watch(job.id)) console.log(`job ${job.id}: ${event.type}`);
console.log(`status: ${(await queue.get(job.id))?.status}`);
for (const line of await queue.logs(job.id)) console.log(`  log: ${line.message}`);

await queue.close(); // stops the processor; the program exits
