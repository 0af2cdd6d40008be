/**
 * `kinetik promote ID`: a delayed job becomes ready now (`queue.promote()`). @module
 */

import type { Command } from "./_command.ts";
import { jobIdArgument, printJson } from "./_command.ts";

/** The `promote` command. */
export const promoteCommand: Command = {
  name: "promote",
  summary: "Make a delayed job ready to run now",
  usage: "ID",
  options: {},
  optionHelp: [],
  examples: [["promote 42", "run delayed job 42 without waiting for its time"]],
  maxPositionals: 1,
  async run(context, args) {
    const id = jobIdArgument("promote", args);
    const { queue } = context;
    if (!(await queue.promote(id))) {
      const job = await queue.get(id);
      throw new Error(
        job
          ? `job ${id} is ${job.status}; only delayed jobs can be promoted`
          : `no job with id ${id}`,
      );
    }
    const job = await queue.get(id);
    if (context.json) return printJson(context, job);
    context.out(`Promoted job ${id} (${job?.task}): ready now.\n`);
  },
};
