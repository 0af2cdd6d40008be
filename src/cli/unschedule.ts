/**
 * `kinetik unschedule ID`: deletes a stored schedule (`queue.unschedule()`); the jobs it
 * already created stay. @module
 */

import { UsageError } from "./_args.ts";
import type { Command } from "./_command.ts";
import { printJson } from "./_command.ts";

/** The `unschedule` command. */
export const unscheduleCommand: Command = {
  name: "unschedule",
  summary: "Delete a schedule (the jobs it created stay)",
  usage: "ID",
  options: {},
  optionHelp: [],
  examples: [["unschedule nightly-report", "stop creating nightly-report jobs"]],
  maxPositionals: 1,
  async run(context, args) {
    const id = args.positionals[0];
    if (id === undefined || id === "") {
      throw new UsageError("unschedule needs a schedule id: kinetik unschedule ID");
    }
    if (!(await context.queue.unschedule(id))) throw new Error(`no schedule with id ${id}`);
    if (context.json) return printJson(context, { id, removed: true });
    context.out(`Removed schedule ${id}.\n`);
  },
};
