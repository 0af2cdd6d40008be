/**
 * `kinetik retry ID`: puts a failed, timed-out or cancelled job back in the queue;
 * `kinetik retry --status failed [--tasks …] [--tags …]`: every such job matching, after
 * showing how many and asking (`--yes` answers for scripts). Both call `queue.retry()`, which
 * needs a store with the `requeue` verb. @module
 */

import type { JobStatus } from "../job.ts";
import { RETRYABLE_STATUSES } from "../queue_lifecycle.ts";
import { choiceList, listOption, type ParsedArgs, UsageError } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { inStore, jobIdArgument, printJson } from "./_command.ts";

async function retryOne(context: CliContext, args: ParsedArgs): Promise<void> {
  if (args.positionals.length === 0) {
    throw new UsageError("retry needs a job id or --status: kinetik retry ID | --status failed");
  }
  const id = jobIdArgument("retry", args);
  const { queue } = context;
  const job = await queue.retry(id);
  if (!job) {
    const found = await queue.get(id);
    throw new Error(
      found
        ? `job ${id} is ${found.status}; only failed, timeout or cancelled jobs can be retried`
        : `no job with id ${id}${inStore(context)}`,
    );
  }
  if (context.json) return printJson(context, job);
  context.out(`Requeued job ${id} (${job.task}).\n`);
}

/** The tasks of `--tasks` and of the tasks whose tag is in `--tags` (both when both). */
async function selectedTasks(
  context: CliContext,
  values: ParsedArgs["values"],
): Promise<string[] | undefined> {
  const tasks = listOption(values.tasks);
  const tags = listOption(values.tags);
  if (!tags) return tasks;
  const stats = await context.queue.stats();
  const tagged = Object.entries(stats.tasks)
    .filter(([, entry]) => entry.tag !== undefined && tags.includes(entry.tag))
    .map(([task]) => task);
  return tasks ? tagged.filter((task) => tasks.includes(task)) : tagged;
}

async function retryMany(context: CliContext, values: ParsedArgs["values"]): Promise<number> {
  const status = choiceList("status", values.status, RETRYABLE_STATUSES) as JobStatus[];
  const tasks = await selectedTasks(context, values);
  const query: Record<string, unknown> = { status: { $in: status } };
  if (tasks) query.task = { $in: tasks };
  const { queue } = context;
  const what = `${status.join("/")} job`;
  const count = tasks?.length === 0 ? 0 : await queue.count(query);
  if (count > 0 && values.yes !== true) {
    const question = `Retry ${count} ${what}${count === 1 ? "" : "s"}? [y/N] `;
    if (!context.confirm) {
      throw new UsageError(
        `retry: would requeue ${count} ${what}${count === 1 ? "" : "s"}; pass --yes to confirm`,
      );
    }
    if (!(await context.confirm(question))) {
      context.note("Nothing retried.\n");
      return 1;
    }
  }
  const requeued = count === 0 ? 0 : await queue.retry(query);
  if (context.json) {
    printJson(context, { requeued, status, ...(tasks ? { tasks } : {}) });
  } else context.out(`Requeued ${requeued} ${what}${requeued === 1 ? "" : "s"}.\n`);
  return 0;
}

/** The `retry` command. */
export const retryCommand: Command = {
  name: "retry",
  summary: "Put a failed, timed-out or cancelled job (or every one matching) back in the queue",
  usage: "ID | --status S1,S2",
  options: {
    status: { type: "string" },
    tasks: { type: "string" },
    tags: { type: "string" },
    yes: { type: "boolean", short: "y" },
  },
  optionHelp: [
    ["--status S1,S2", "retry every job in these statuses (failed, timeout, cancelled)"],
    ["--tasks NAME1,NAME2", "with --status: only jobs of these tasks"],
    ["--tags T1,T2", "with --status: only jobs of tasks with these tags"],
    ["-y, --yes", "do not ask first (needed when stdin is not a terminal)"],
  ],
  examples: [
    ["retry 42", "run job 42 again"],
    ["retry --status failed", "every failed job, after saying how many and asking"],
    ["retry --status failed,timeout --tags media --yes", "from a script"],
  ],
  maxPositionals: 1,
  async run(context, args) {
    const { values, positionals } = args;
    const isBulk = values.status !== undefined;
    if (isBulk && positionals.length > 0) {
      throw new UsageError("retry takes a job id or --status, not both; see kinetik retry --help");
    }
    if (!isBulk) {
      for (const option of ["tasks", "tags", "yes"]) {
        if (values[option] !== undefined) {
          throw new UsageError(`retry: --${option} needs --status; see kinetik retry --help`);
        }
      }
      return retryOne(context, args);
    }
    if (!listOption(values.status)) {
      throw new UsageError("retry: --status needs at least one status: failed, timeout, cancelled");
    }
    return await retryMany(context, values);
  },
};
