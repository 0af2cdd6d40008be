/**
 * `kinetik add TASK [JSON]`: creates a job (`queue.create()`); a producer needs no task
 * definitions, so any task name a worker knows will do. @module
 */

import type { CreateOptions } from "../job_spec.ts";
import { durationOption, integerOption, UsageError } from "./_args.ts";
import type { Command } from "./_command.ts";
import { printJson } from "./_command.ts";
import { relativeTime } from "./_format.ts";

/** The job data from the JSON argument; no argument means no data. */
function parseData(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new UsageError(
      `add: data must be valid JSON (${reason}): current value is ${JSON.stringify(text)}`,
    );
  }
}

/** The `add` command. */
export const addCommand: Command = {
  name: "add",
  summary: "Create a job of a task, with JSON data",
  usage: "TASK [JSON]",
  options: {
    delay: { type: "string" },
    priority: { type: "string" },
    key: { type: "string" },
  },
  optionHelp: [
    ["--delay D", "run no sooner than D from now (500, 30s, 10m, 2h, 1d)"],
    ["--priority N", "lower runs first within a tag (default 0)"],
    ["--key K", "deduplication key: while a job with K is unfinished, that job is returned"],
  ],
  examples: [
    [`add "send email" '{"to":"ford@example.com"}'`, "queue an email"],
    [`add "resize image" '{"path":"a.png"}' --delay 10m`, "resize in ten minutes"],
    [`add report --key daily-2024-06-01 --priority -1`, "at most one unfinished daily report"],
  ],
  maxPositionals: 2,
  async run(context, { positionals, values }) {
    const [task, text] = positionals;
    if (task === undefined) throw new UsageError("add needs a task name: kinetik add TASK [JSON]");
    const data = parseData(text);
    const options: CreateOptions = {};
    const delay = durationOption("delay", values.delay);
    if (delay !== undefined) options.delay = delay;
    const priority = integerOption("priority", values.priority);
    if (priority !== undefined) options.priority = priority;
    if (values.key !== undefined) options.key = String(values.key);
    const before = Date.now();
    let job;
    try {
      job = await context.queue.create(task, data, options);
    } catch (error) {
      // Bad input the library refused before saving anything (task name, key, data).
      if (error instanceof TypeError || error instanceof RangeError) {
        throw new UsageError(`add: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (context.json) return printJson(context, job);
    if (job.created < before) {
      context.out(
        `Job ${job.id} (${job.task}) already holds key ${job.key}; it is ${job.status}.\n`,
      );
      return;
    }
    const when = job.status === "delayed" ? `, runs ${relativeTime(job.runAt, Date.now())}` : "";
    context.out(`Created job ${job.id} (${job.task}), ${job.status}${when}.\n`);
  },
};
