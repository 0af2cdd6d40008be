/**
 * `kinetik pause TAG…|--tasks …` and `kinetik resume TAG…|--tasks …|--all`: stop and restart
 * claims of tags or tasks in every worker on the store (`queue.pause()`, `queue.resume()`).
 * Running jobs finish either way. @module
 */

import type { PauseTarget } from "../store.ts";
import { listOption, type ParsedArgs, UsageError } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { printJson } from "./_command.ts";

/** What the command line names: the positionals as tags, plus `--tasks`. */
function target(command: string, args: ParsedArgs): PauseTarget {
  const tags = args.positionals.filter((tag) => tag !== "");
  const tasks = listOption(args.values.tasks) ?? [];
  if (tags.length + tasks.length === 0) {
    throw new UsageError(
      `${command} needs a tag or --tasks: kinetik ${command} TAG… or kinetik ${command} --tasks T1,T2`,
    );
  }
  return { tags, tasks };
}

/** `tags mail, media; tasks resize`, or `nothing`. */
export function describePaused({ tags, tasks }: PauseTarget): string {
  const parts = [
    tags.length > 0 ? `tag${tags.length === 1 ? "" : "s"} ${tags.join(", ")}` : "",
    tasks.length > 0 ? `task${tasks.length === 1 ? "" : "s"} ${tasks.join(", ")}` : "",
  ].filter((part) => part !== "");
  return parts.length > 0 ? parts.join("; ") : "nothing";
}

async function report(context: CliContext, done: string, changed: PauseTarget): Promise<void> {
  const paused = await context.queue.paused();
  if (context.json) return printJson(context, { [done]: changed, paused });
  context.out(
    `${done === "paused" ? "Paused" : "Resumed"} ${describePaused(changed)}. ` +
      `Paused now: ${describePaused(paused)}.\n`,
  );
}

const TASKS_OPTION: [string, string] = ["--tasks T1,T2", "tasks to include, besides the tags"];

/** The `pause` command. */
export const pauseCommand: Command = {
  name: "pause",
  summary: "Stop every worker from starting jobs of tags or tasks",
  usage: "[TAG…]",
  // A pause may come before any worker made the store (pause, then deploy the workers).
  createsStore: true,
  options: { tasks: { type: "string" } },
  optionHelp: [TASKS_OPTION],
  examples: [
    ["pause messaging", "no worker starts messaging jobs; running ones finish"],
    ['pause --tasks "send email,send sms"', "just these tasks, in whatever tag"],
  ],
  maxPositionals: Infinity,
  async run(context, args) {
    const paused = target("pause", args);
    await context.queue.pause(paused);
    await report(context, "paused", paused);
  },
};

/** The `resume` command. */
export const resumeCommand: Command = {
  name: "resume",
  summary: "Let workers start jobs of paused tags or tasks again, at once",
  usage: "[TAG…]",
  options: { tasks: { type: "string" }, all: { type: "boolean" } },
  optionHelp: [TASKS_OPTION, ["--all", "resume everything that is paused"]],
  examples: [
    ["resume messaging", "messaging jobs start again"],
    ["resume --all", "nothing stays paused"],
  ],
  maxPositionals: Infinity,
  async run(context, args) {
    let resumed: PauseTarget;
    if (args.values.all) {
      if (args.positionals.length > 0 || args.values.tasks !== undefined) {
        throw new UsageError("resume: --all takes no tags or --tasks");
      }
      resumed = await context.queue.paused();
      if (resumed.tags.length + resumed.tasks.length > 0) await context.queue.resume(resumed);
    } else {
      resumed = target("resume", args);
      await context.queue.resume(resumed);
    }
    await report(context, "resumed", resumed);
  },
};
