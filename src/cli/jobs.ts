/**
 * `kinetik jobs`: counts of jobs by tag, task and status (`queue.stats()`), filtered by
 * `--tags`, `--tasks` and `--status`; with `--list`, the newest matching jobs too. @module
 */

import { type Job, JOB_STATUSES, type JobStatus } from "../job.ts";
import type { QueueStats } from "../queue_reads.ts";
import { choiceList, integerOption, listOption } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { inStore, printJson } from "./_command.ts";
import { relativeTime, STATUS_STYLES, table } from "./_format.ts";

/** One row of the counts table: a task, with its tag. */
export interface JobCounts {
  task: string;
  tag: string;
  total: number;
  status: Record<JobStatus, number>;
}

function zero(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
}

/** The stats' task rows that pass the filters, counting only the given statuses. */
export function filterStats(
  stats: QueueStats,
  filter: { tags?: string[]; tasks?: string[]; status?: JobStatus[] },
): JobCounts[] {
  const statuses = filter.status ?? JOB_STATUSES;
  const rows: JobCounts[] = [];
  for (const [task, entry] of Object.entries(stats.tasks)) {
    const tag = entry.tag ?? "?";
    if (filter.tags && !filter.tags.includes(tag)) continue;
    if (filter.tasks && !filter.tasks.includes(task)) continue;
    const status = zero();
    for (const s of statuses) status[s] = entry.status[s];
    const total = statuses.reduce((sum, s) => sum + status[s], 0);
    if (filter.status && total === 0) continue;
    rows.push({ task, tag, total, status });
  }
  return rows.sort((a, b) => a.tag.localeCompare(b.tag) || a.task.localeCompare(b.task));
}

async function recentJobs(
  context: CliContext,
  rows: JobCounts[],
  status: JobStatus[] | undefined,
  limit: number,
): Promise<Job[]> {
  if (rows.length === 0) return [];
  const query: Record<string, unknown> = { task: { $in: rows.map((row) => row.task) } };
  if (status) query.status = { $in: status };
  const jobs: Job[] = [];
  for await (const job of context.queue.fetch(query, { sort: { created: -1 }, limit })) {
    jobs.push(job);
  }
  return jobs;
}

/** The `jobs` command. */
export const jobsCommand: Command = {
  name: "jobs",
  summary: "Count jobs by tag, task and status (and list the newest with --list)",
  usage: "",
  options: {
    tags: { type: "string" },
    tasks: { type: "string" },
    status: { type: "string" },
    list: { type: "boolean" },
    limit: { type: "string" },
  },
  optionHelp: [
    ["--tags T1,T2", "only tasks of these tags"],
    ["--tasks NAME1,NAME2", "only these tasks"],
    ["--status S1,S2", `only these statuses (${JOB_STATUSES.join(", ")})`],
    ["--list", "also list the newest matching jobs"],
    ["--limit N", "how many jobs --list shows (default 20)"],
  ],
  examples: [
    ["jobs", "counts of every task"],
    ["jobs --tags messaging --status failed,timeout", "what went wrong in messaging"],
    ['jobs --tasks "send email" --list --limit 5', "the five newest send email jobs"],
  ],
  maxPositionals: 0,
  async run(context, { values }) {
    const status = choiceList("status", values.status, JOB_STATUSES);
    const limit = integerOption("limit", values.limit, 1) ?? 20;
    const filter = { tags: listOption(values.tags), tasks: listOption(values.tasks), status };
    const rows = filterStats(await context.queue.stats(), filter);
    const jobs = values.list ? await recentJobs(context, rows, status, limit) : undefined;
    const totals = zero();
    for (const row of rows) for (const s of JOB_STATUSES) totals[s] += row.status[s];
    const total = rows.reduce((sum, row) => sum + row.total, 0);
    if (context.json) {
      return printJson(context, { store: context.store, total, status: totals, tasks: rows, jobs });
    }

    const { paint } = context;
    const shown = status ?? JOB_STATUSES;
    if (rows.length === 0) context.out(`No jobs${inStore(context)}.\n`);
    else {
      if (context.store) context.out(`Jobs in ${context.store}\n`);
      const count = (n: number, s: JobStatus) =>
        n === 0 ? paint("gray", "0") : paint(STATUS_STYLES[s], String(n));
      context.out(table(
        ["TAG", "TASK", ...shown.map((s) => s.toUpperCase()), "TOTAL"],
        [
          ...rows.map((row) => [
            row.tag,
            row.task,
            ...shown.map((s) => count(row.status[s], s)),
            String(row.total),
          ]),
          ["", paint("bold", "all"), ...shown.map((s) => count(totals[s], s)), String(total)],
        ],
        paint,
      ));
    }
    if (jobs && jobs.length > 0) {
      const now = Date.now();
      context.out(
        "\n" + table(
          ["ID", "TASK", "STATUS", "ATTEMPTS", "CREATED", "FINISHED"],
          jobs.map((job) => [
            job.id,
            job.task,
            paint(STATUS_STYLES[job.status], job.status),
            String(job.attempts),
            relativeTime(job.created, now),
            relativeTime(job.finished, now),
          ]),
          paint,
        ),
      );
    }
  },
};
