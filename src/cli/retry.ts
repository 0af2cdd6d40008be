/**
 * `kinetik retry ID`: puts a failed, timed-out or cancelled job back in the queue
 * (`queue.retry()`, which needs a store with the `requeue` verb). @module
 */

import type { Command } from "./_command.ts";
import { inStore, jobIdArgument, printJson } from "./_command.ts";

/** The `retry` command. */
export const retryCommand: Command = {
  name: "retry",
  summary: "Put a failed, timed-out or cancelled job back in the queue",
  usage: "ID",
  options: {},
  optionHelp: [],
  examples: [["retry 42", "run job 42 again"]],
  maxPositionals: 1,
  async run(context, args) {
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
  },
};
