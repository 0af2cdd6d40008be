/**
 * The quick start: define a task, create a job, process its tag, wait for the job, close.
 * Run with `deno run -A examples/basic.ts` or `bun examples/basic.ts`.
 */

import { kinetik } from "../mod.ts";

/** Stands in for your mailer. */
function sendMail(_to: string, _subject: string): Promise<{ receipt: string }> {
  return Promise.resolve({ receipt: crypto.randomUUID() });
}

// With no store the queue lives in memory; pass one (SQLite, Redis, MongoDB) to share it.
const queue = kinetik({ interval: "1s" });

// A task is the code: which tag it belongs to, and the action that runs each job.
queue.define("send email").tag("messaging").timeout("10s").retry("1s", 3)
  .action(async (job) => {
    const { email, name, subject } = job.data as { email: string; name: string; subject: string };
    const { receipt } = await sendMail(email, subject);
    job.log(`Sent "${subject}" to ${name}`, { receipt });
  });

// A job is the data. Producers need no task definitions, only the same store.
const job = await queue.create("send email", {
  email: "ford@betelgeuse.example",
  name: "Ford Prefect",
  subject: "Hello Universe",
});

queue.process(["messaging"]);

// watch() streams the job's events and closes after its final one.
for await (const event of queue.watch(job.id)) console.log(`job ${job.id}: ${event.type}`);
console.log(`status: ${(await queue.get(job.id))?.status}`);
for (const line of await queue.logs(job.id)) console.log(`  log: ${line.message}`);

await queue.close();
