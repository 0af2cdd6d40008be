/**
 * The Redis store's pause and schedule verbs: arguments for their scripts
 * (`_scripts/control.ts`, `_scripts/schedules.ts`) and records from the replies. Private to
 * the Redis store. @module
 */

import type { PauseTarget, ScheduleFire, ScheduleRecord } from "../../src/store.ts";
import { type Arg, newJobArgs } from "./_codec.ts";
import type { ScriptRunner } from "./_match.ts";
import { SCRIPTS } from "./_scripts.ts";

/** The paused set's members for a target: `tag:<name>` and `task:<name>`. */
function members(target: PauseTarget): string[] {
  return [
    ...(target.tags ?? []).map((tag) => `tag:${tag}`),
    ...(target.tasks ?? []).map((task) => `task:${task}`),
  ];
}

/** Adds a target's tags and tasks to the paused set. */
export async function pause(run: ScriptRunner, target: PauseTarget): Promise<void> {
  const added = members(target);
  if (added.length > 0) await run("pause", SCRIPTS.pause, added);
}

/** Removes a target's tags and tasks from the paused set; the script wakes every processor. */
export async function resume(run: ScriptRunner, target: PauseTarget): Promise<void> {
  const removed = members(target);
  if (removed.length > 0) await run("resume", SCRIPTS.resume, removed);
}

/** The paused set, as sorted tag and task names. */
export async function paused(run: ScriptRunner): Promise<PauseTarget> {
  const reply = await run("read the paused set", SCRIPTS.paused, []) as string[];
  const target: PauseTarget = { tags: [], tasks: [] };
  for (const member of reply) {
    if (member.startsWith("tag:")) target.tags.push(member.slice(4));
    else if (member.startsWith("task:")) target.tasks.push(member.slice(5));
  }
  target.tags.sort();
  target.tasks.sort();
  return target;
}

/** A schedule from its stored JSON (without `next`) and its next fire time. */
function scheduleRecord(json: string, next: unknown): ScheduleRecord {
  return { ...JSON.parse(json), next: Number(next) };
}

/** Saves a schedule unless one with its id and spec is stored; resolves to what is stored. */
export async function schedule(run: ScriptRunner, record: ScheduleRecord): Promise<ScheduleRecord> {
  const { next, ...rest } = record;
  const args = [record.id, JSON.stringify(rest), record.spec, next];
  const [json, storedNext] = await run("save a schedule", SCRIPTS.schedule, args) as string[];
  return scheduleRecord(json, storedNext);
}

/** Deletes a schedule; `false` when there was none. */
export async function unschedule(run: ScriptRunner, id: string): Promise<boolean> {
  return await run("delete a schedule", SCRIPTS.unschedule, [id]) === 1;
}

/** Every schedule, by id. */
export async function schedules(run: ScriptRunner): Promise<ScheduleRecord[]> {
  const [records, nexts] = await run("list schedules", SCRIPTS.schedules, []) as string[][];
  const nextOf = new Map<string, string>();
  for (let i = 0; i < nexts.length; i += 2) nextOf.set(nexts[i], nexts[i + 1]);
  const out: ScheduleRecord[] = [];
  for (let i = 0; i < records.length; i += 2) {
    const next = nextOf.get(records[i]);
    if (next !== undefined) out.push(scheduleRecord(records[i + 1], next));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The fire script's arguments, and each job's add arguments (for the saved records). */
export function fireArgs(fire: ScheduleFire): { args: Arg[]; jobArgs: Arg[][] } {
  const jobArgs = fire.jobs.map(newJobArgs);
  const args: Arg[] = [fire.id, fire.spec, fire.expected, fire.next, fire.jobs.length];
  for (const one of jobArgs) for (const arg of one) args.push(arg);
  return { args, jobArgs };
}
