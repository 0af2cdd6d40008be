/**
 * `kinetik add TASK [JSON]`: creates a job (`queue.create()`); a producer needs no task
 * definitions, so any task name a worker knows will do. @module
 */

import type { CreateOptions } from "../job_spec.ts";
import { closest, durationOption, integerOption, UsageError } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { inStore, printJson } from "./_command.ts";
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

/**
 * Warns when neither a live worker nor the script's own definitions know `task`: a typo in
 * the name would leave the job waiting for ever. The job is created anyway, since a producer
 * may well run before its workers (the warning says so). Stores that record no workers and
 * a queue with no definitions give nothing to compare with, so no warning.
 */
async function warnIfNobodyRuns(context: CliContext, task: string): Promise<void> {
  const { queue } = context;
  let workers;
  try {
    workers = queue.store.workers ? await queue.store.workers(Date.now()) : undefined;
  } catch {
    return; // The job is saved; a failed advisory read must not turn that into a failure.
  }
  if (workers === undefined && queue.tasks.size === 0) return;
  const known = new Set(queue.tasks.keys());
  for (const worker of workers ?? []) for (const record of worker.tasks) known.add(record.name);
  if (known.has(task)) return;
  const near = closest(task, [...known]);
  const hint = near === undefined ? "" : ` (did you mean ${JSON.stringify(near)}?)`;
  const who = context.isLocal ? "this script nor a live worker defines" : "no live worker runs";
  context.warn(
    `${context.isLocal ? "neither " : ""}${who} task ${JSON.stringify(task)}${
      inStore(context, "on")
    }${hint}; the job waits until a worker for it starts`,
  );
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
  createsStore: true,
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
    await warnIfNobodyRuns(context, task);
    if (context.json) return printJson(context, job);
    if (job.created < before) {
      context.out(
        `Job ${job.id} (${job.task}) already holds key ${job.key}; it is ${job.status}.\n`,
      );
      return;
    }
    const when = job.status === "delayed" ? `, runs ${relativeTime(job.runAt, Date.now())}` : "";
    context.out(`Created job ${job.id} (${job.task})${inStore(context)}, ${job.status}${when}.\n`);
  },
};
