/**
 * `kinetik tasks`: the task definitions workers recorded in the store (and, under `cli()`,
 * those of the script itself) with their limits and paused state, and the live workers with
 * their heartbeats. @module
 */

import type { TaskRecord, WorkerRecord } from "../store.ts";
import type { Command } from "./_command.ts";
import { printJson } from "./_command.ts";
import { elapsed, relativeTime, table } from "./_format.ts";
import { describePaused } from "./pause.ts";

/** A task as `kinetik tasks --json` prints it. */
export interface TaskListing extends TaskRecord {
  /** Ids of the live workers that run it. */
  workers: string[];
  /** Defined in this script (`cli()` middleware only). */
  isLocal?: boolean;
  /** Whether its tag or the task itself is paused (absent on a store that cannot pause). */
  isPaused?: boolean;
}

/** `"10/1m"`: at most 10 starts a minute. */
function rateText(rate: TaskRecord["rate"]): string {
  return rate ? `${rate.max}/${elapsed(rate.per)}` : "-";
}

function retryText(retry: TaskRecord["retry"]): string {
  if (!retry) return "-";
  const times = retry.max === undefined ? "∞" : String(retry.max);
  return `${elapsed(retry.delay)} ×${times}${retry.backoff === "exponential" ? " exp" : ""}`;
}

/** The `tasks` command. */
export const tasksCommand: Command = {
  name: "tasks",
  summary: "List task definitions and the live workers that run them",
  usage: "",
  options: {},
  optionHelp: [],
  examples: [["tasks", "what workers run, and where"], ["tasks --json", "the same as JSON"]],
  maxPositionals: 0,
  async run(context) {
    const { queue } = context;
    const now = Date.now();
    const workers: WorkerRecord[] = queue.store.workers ? await queue.store.workers(now) : [];
    const tasks = new Map<string, TaskListing>();
    for (const task of queue.tasks.values()) {
      tasks.set(task.name, { name: task.name, ...task.config, workers: [], isLocal: true });
    }
    for (const worker of workers) {
      for (const record of worker.tasks) {
        const listing = tasks.get(record.name) ?? { ...record, workers: [] };
        listing.workers.push(worker.id);
        tasks.set(record.name, listing);
      }
    }
    const listings = [...tasks.values()].sort((a, b) =>
      a.tag.localeCompare(b.tag) || a.name.localeCompare(b.name)
    );
    const paused = queue.store.paused ? await queue.paused() : undefined;
    if (paused) {
      for (const t of listings) {
        t.isPaused = paused.tags.includes(t.tag) || paused.tasks.includes(t.name);
      }
    }
    if (context.json) {
      return printJson(context, { store: context.store, tasks: listings, workers, paused });
    }

    const { paint } = context;
    if (listings.length === 0) {
      const why = queue.store.workers
        ? `no worker is running on ${context.store ?? "this store"}`
        : `the ${queue.store.name} store does not record workers`;
      context.out(`No tasks: ${why}.\n`);
    } else {
      if (context.store) context.out(`Tasks on ${context.store}\n`);
      context.out(table(
        ["TASK", "TAG", "WORKERS", "TIMEOUT", "RETRY", "RATE", "CONCURRENCY", "DESCRIPTION"],
        listings.map((t) => [
          t.isPaused ? `${t.name} ${paint("yellow", "(paused)")}` : t.name,
          t.tag,
          t.workers.length > 0 ? String(t.workers.length) : paint("gray", "0"),
          t.timeout === undefined ? "-" : elapsed(t.timeout),
          retryText(t.retry),
          rateText(t.rate),
          t.concurrency === undefined ? "-" : String(t.concurrency),
          t.description ?? "",
        ]),
        paint,
      ));
    }
    if (paused && paused.tags.length + paused.tasks.length > 0) {
      context.out(`\nPaused: ${describePaused(paused)} (kinetik resume to start them again).\n`);
    }
    if (workers.length > 0) {
      context.out(
        "\n" + table(
          ["WORKER", "HOST", "PID", "TAGS", "STARTED", "SEEN"],
          workers.map((w) => [
            w.id,
            w.host ?? "-",
            w.pid === undefined ? "-" : String(w.pid),
            w.tags.join(","),
            relativeTime(w.started, now),
            relativeTime(w.seen, now),
          ]),
          paint,
        ),
      );
    }
  },
};
