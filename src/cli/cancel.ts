/**
 * `kinetik cancel ID`: cancels a queued, delayed or running job (`queue.cancel()`); a running
 * job's action is aborted in whichever worker runs it. @module
 */

import type { Command } from "./_command.ts";
import { inStore, jobIdArgument, printJson } from "./_command.ts";

/** The `cancel` command. */
export const cancelCommand: Command = {
  name: "cancel",
  summary: "Cancel a queued, delayed or running job",
  usage: "ID",
  options: {},
  optionHelp: [],
  examples: [["cancel 42", "stop job 42, wherever it runs"]],
  maxPositionals: 1,
  async run(context, args) {
    const id = jobIdArgument("cancel", args);
    const { queue } = context;
    if (!(await queue.cancel(id))) {
      const job = await queue.get(id);
      throw new Error(
        job
          ? `job ${id} is already ${job.status}; nothing to cancel`
          : `no job with id ${id}${inStore(context)}`,
      );
    }
    const job = await queue.get(id);
    if (context.json) return printJson(context, job);
    context.out(`Cancelled job ${id} (${job?.task}).\n`);
  },
};
