/**
 * `kinetik schedules`: the stored schedules (`queue.schedules()`) with when each fires next.
 * @module
 */

import type { Schedule } from "../schedules/schedule_spec.ts";
import type { Command } from "./_command.ts";
import { printJson } from "./_command.ts";
import { elapsed, inlineJson, relativeTime, table } from "./_format.ts";

/** `"30 2 * * *"` or `"every 5m"`. */
export function scheduleTiming(schedule: Schedule): string {
  return schedule.cron ?? `every ${elapsed(schedule.every ?? 0)}`;
}

/** The `schedules` command. */
export const schedulesCommand: Command = {
  name: "schedules",
  summary: "List the stored schedules and when each fires next",
  usage: "",
  options: {},
  optionHelp: [],
  examples: [["schedules", "what runs when"], ["schedules --json", "the same as JSON"]],
  maxPositionals: 0,
  async run(context) {
    const schedules = await context.queue.schedules();
    if (context.json) return printJson(context, { schedules });
    if (schedules.length === 0) {
      context.out("No schedules.\n");
      return;
    }
    const now = Date.now();
    context.out(table(
      ["ID", "TASK", "WHEN", "TZ", "NEXT", "", "MISSED", "DATA"],
      schedules.map((schedule) => [
        schedule.id,
        schedule.task,
        scheduleTiming(schedule),
        schedule.tz,
        new Date(schedule.next).toISOString(),
        relativeTime(schedule.next, now),
        schedule.missed,
        inlineJson(schedule.data),
      ]),
      context.paint,
    ));
  },
};
