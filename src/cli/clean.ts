/**
 * `kinetik clean`: removes finished jobs and their logs (`queue.clean()`), by default the
 * completed ones of every tag. @module
 */

import { JOB_STATUSES } from "../job.ts";
import { choiceList, listOption } from "./_args.ts";
import type { Command } from "./_command.ts";
import { inStore, printJson } from "./_command.ts";

/** The `clean` command. */
export const cleanCommand: Command = {
  name: "clean",
  summary: "Remove jobs of a status (default completed) and their logs",
  usage: "",
  options: { status: { type: "string" }, tags: { type: "string" } },
  optionHelp: [
    ["--status S1,S2", "statuses to remove (default completed)"],
    ["--tags T1,T2", "only jobs of tasks with these tags (default every tag)"],
  ],
  examples: [
    ["clean", "remove every completed job"],
    ["clean --status failed,timeout --tags media", "forget media's failures"],
  ],
  maxPositionals: 0,
  async run(context, { values }) {
    const status = choiceList("status", values.status, JOB_STATUSES) ?? ["completed"];
    const tags = listOption(values.tags);
    const removed = await context.queue.clean({ status, tags });
    if (context.json) return printJson(context, { removed, status, tags, store: context.store });
    const where = tags ? ` of ${tags.join(", ")}` : "";
    const s = removed === 1 ? "" : "s";
    context.out(
      `Removed ${removed} ${status.join("/")} job${s}${where}${inStore(context, "from")}.\n`,
    );
  },
};
