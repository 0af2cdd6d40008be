/**
 * `kinetik workers`: the live workers on the store (`queue.workers()`), from their
 * heartbeats: where they run, their tags and tasks, and when they were last seen. @module
 */

import type { WorkerRecord } from "../store.ts";
import type { CliContext, Command } from "./_command.ts";
import { printJson } from "./_command.ts";
import { relativeTime, table } from "./_format.ts";

/** The workers as a table. */
export function workersTable(context: CliContext, workers: readonly WorkerRecord[]): string {
  const now = Date.now();
  return table(
    ["WORKER", "HOST", "PID", "TAGS", "TASKS", "STARTED", "SEEN"],
    workers.map((w) => [
      w.id,
      w.host ?? "-",
      w.pid === undefined ? "-" : String(w.pid),
      w.tags.join(","),
      String(w.tasks.length),
      relativeTime(w.started, now),
      relativeTime(w.seen, now),
    ]),
    context.paint,
  );
}

/** The `workers` command. */
export const workersCommand: Command = {
  name: "workers",
  summary: "List the live workers on the store",
  usage: "",
  options: {},
  optionHelp: [],
  examples: [["workers", "who is processing, and where"], ["workers --json", "the same as JSON"]],
  maxPositionals: 0,
  async run(context) {
    const { queue } = context;
    const workers = await queue.workers();
    if (context.json) return printJson(context, workers);
    if (workers.length === 0) {
      const why = queue.store.workers
        ? ""
        : ` (the ${queue.store.name} store does not record them)`;
      context.out(`No live workers${why}.\n`);
      return;
    }
    context.out(workersTable(context, workers));
  },
};
