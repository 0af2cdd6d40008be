/**
 * `kinetik remove ID`: deletes one job and its logs in any status (`queue.remove()`); a
 * running job is cancelled first, in whichever worker runs it. @module
 */

import type { Command } from "./_command.ts";
import { jobIdArgument, printJson } from "./_command.ts";

/** The `remove` command. */
export const removeCommand: Command = {
  name: "remove",
  summary: "Delete a job and its log, whatever its status (a running one is cancelled)",
  usage: "ID",
  options: {},
  optionHelp: [],
  examples: [["remove 42", "forget job 42"], ["remove 42 --json", "the removed record as JSON"]],
  maxPositionals: 1,
  async run(context, args) {
    const id = jobIdArgument("remove", args);
    const { queue } = context;
    // Read first, for the message: remove() itself only says whether there was a job.
    const job = await queue.get(id);
    if (!job || !(await queue.remove(id))) throw new Error(`no job with id ${id}`);
    if (context.json) return printJson(context, { removed: job });
    const running = job.status === "processing" ? "; its run was cancelled" : "";
    context.out(`Removed job ${id} (${job.task}, ${job.status})${running}.\n`);
  },
};
