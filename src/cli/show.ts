/**
 * `kinetik show ID`: one job's record and its log. @module
 */

import type { Job } from "../job.ts";
import type { Command } from "./_command.ts";
import { inStore, jobIdArgument, printJson } from "./_command.ts";
import {
  elapsed,
  inlineJson,
  logLine,
  type Paint,
  progressBar,
  relativeTime,
  STATUS_STYLES,
} from "./_format.ts";

function when(time: number | undefined, now: number): string | undefined {
  return time === undefined
    ? undefined
    : `${relativeTime(time, now)} (${new Date(time).toISOString()})`;
}

/** The record's fields as `[label, text]`, unset ones left out. */
function fields(job: Job, now: number): [string, string | undefined][] {
  const took = job.finished !== undefined && job.started !== undefined
    ? ` (ran ${elapsed(job.finished - job.started)})`
    : "";
  return [
    ["data", inlineJson(job.data) || undefined],
    ["created", when(job.created, now)],
    ["runs at", job.status === "delayed" ? when(job.runAt, now) : undefined],
    ["attempts", String(job.attempts)],
    ["priority", job.priority ? String(job.priority) : undefined],
    ["key", job.key],
    ["started", when(job.started, now)],
    ["finished", job.finished === undefined ? undefined : when(job.finished, now) + took],
    ["progress", job.progress && progressBar(job.progress.current, job.progress.total)],
    ["error", job.error && job.error.message + (job.error.code ? ` [${job.error.code}]` : "")],
    ["result", job.result === undefined ? undefined : inlineJson(job.result)],
    ["worker", job.worker],
    [
      "lease",
      job.leaseUntil === undefined ? undefined : `until ${relativeTime(job.leaseUntil, now)}`,
    ],
  ];
}

/** The human form of a job and its log. */
export function describeJob(
  job: Job,
  log: { time: number; message: string; data?: unknown }[],
  paint: Paint,
): string {
  const now = Date.now();
  const lines = [
    `${paint("bold", `Job ${job.id}`)}  ${job.task}  ${
      paint(STATUS_STYLES[job.status], job.status)
    }`,
  ];
  const shown = fields(job, now).filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  for (const [label, text] of shown) lines.push(`  ${paint("gray", label.padEnd(width))}  ${text}`);
  lines.push("", paint("bold", "Log"));
  for (const line of log) lines.push(`  ${logLine(line, paint)}`);
  if (log.length === 0) lines.push("  (empty)");
  return lines.join("\n") + "\n";
}

/** The `show` command. */
export const showCommand: Command = {
  name: "show",
  summary: "Show a job's record and its log",
  usage: "ID",
  options: {},
  optionHelp: [],
  examples: [["show 42", "what happened to job 42"], ["show 42 --json", "record and log as JSON"]],
  maxPositionals: 1,
  async run(context, args) {
    const id = jobIdArgument("show", args);
    const job = await context.queue.get(id);
    if (!job) throw new Error(`no job with id ${id}${inStore(context)}`);
    const log = await context.queue.logs(id);
    if (context.json) return printJson(context, { ...job, log });
    context.out(describeJob(job, log, context.paint));
  },
};
