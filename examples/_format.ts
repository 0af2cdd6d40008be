/**
 * Terminal formatting for the demo: one line per job event, the stats table and a job's log.
 * Colours only when stdout is a terminal and `NO_COLOR` is not set (https://no-color.org).
 * Built on `node:*` modules so the demo runs the same under Deno and Bun. @module
 */

import process from "node:process";
import { isatty } from "node:tty";
import { styleText } from "node:util";
import {
  JOB_STATUSES,
  type JobStatus,
  type LogLine,
  type QueueEvent,
  type QueueStats,
} from "../mod.ts";

type Style = Parameters<typeof styleText>[0];

const isColor = isatty(1) && !process.env.NO_COLOR;

/** `text` in `style` when colours are on, else as it is. */
export function paint(style: Style, text: string): string {
  return isColor ? styleText(style, text, { validateStream: false }) : text;
}

const EVENT_STYLES: Record<QueueEvent["type"], Style> = {
  created: "gray",
  started: "cyan",
  log: "italic",
  progress: "blue",
  completed: "green",
  failed: "red",
  timeout: "magenta",
  cancelled: "yellow",
  retry: "yellow",
  stalled: "yellow",
};

/** `+1.234s`: seconds since `start`. */
export function since(start: number, time: number): string {
  return `+${((time - start) / 1000).toFixed(3)}s`;
}

/** `[██████░░░░] 3/5`. */
export function progressBar(current: number, total: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, current / total)) * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${current}/${total}`;
}

/** A log line's message, then its data as JSON. */
function withData({ message, data }: LogLine): string {
  return data === undefined ? message : `${message} ${paint("gray", JSON.stringify(data))}`;
}

function detail(event: QueueEvent): string {
  const { job, time } = event;
  switch (event.type) {
    case "created":
      return job.runAt ? `delayed, runs in ${job.runAt - time}ms` : "queued";
    case "started":
      return `attempt ${job.attempts}`;
    case "log":
      return withData(event.line!);
    case "progress":
      return progressBar(event.progress!.current, event.progress!.total);
    case "completed":
      return job.started ? `in ${time - job.started}ms` : "";
    case "retry":
      return `${event.error?.message}; retry in ${(job.runAt ?? time) - time}ms`;
    default:
      return event.error?.message ?? "";
  }
}

/** One line for one job event: time since start, job id, task, event type, what happened. */
export function formatEvent(event: QueueEvent, start: number): string {
  return [
    paint("gray", since(start, event.time).padStart(7)),
    paint("bold", `#${event.job.id}`.padEnd(3)),
    event.job.task.padEnd(15),
    paint(EVENT_STYLES[event.type], event.type.padEnd(9)),
    detail(event),
  ].join("  ");
}

/** The stats as a table: a row per tag, its tasks indented below, then the total. */
export function formatStats(stats: QueueStats, tagOrder: string[]): string {
  const columns = ["total", ...JOB_STATUSES.filter((status) => stats.status[status] > 0)];
  const row = (name: string, cells: (string | number)[]) =>
    [name.padEnd(20), ...cells.map((cell, i) => String(cell).padStart(columns[i].length))]
      .join("  ");
  const counts = (
    { total, status }: QueueStats["tags"][string],
  ) => [total, ...columns.slice(1).map((column) => status[column as JobStatus])];
  const lines = [paint("bold", row("tag / task", columns))];
  const tags = [...new Set([...tagOrder, ...Object.keys(stats.tags)])];
  for (const tag of tags.filter((tag) => stats.tags[tag])) {
    lines.push(paint("bold", row(tag, counts(stats.tags[tag]))));
    for (const [task, byTask] of Object.entries(stats.tasks)) {
      if ((byTask.tag ?? "?") === tag) lines.push(row(`  ${task}`, counts(byTask)));
    }
  }
  lines.push(paint("bold", row("all", counts(stats))));
  return lines.join("\n");
}

/** A job's stored log, one line each, times relative to `start`. */
export function formatLog(lines: LogLine[], start: number): string {
  const time = (line: LogLine) => paint("gray", since(start, line.time).padStart(7));
  return lines.map((line) => `  ${time(line)}  ${withData(line)}`).join("\n");
}
