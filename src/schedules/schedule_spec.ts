/**
 * What `queue.schedule(id, spec)` accepts, checked and turned into the record a store keeps,
 * and the public view `queue.schedules()` returns. Everything is checked before anything is
 * stored: a bad spec throws at the call site. @module
 */

import { type Duration, parseDuration } from "../duration.ts";
import { assertJsonData } from "../json_data.ts";
import { assertTaskName } from "../job_spec.ts";
import type { MissedPolicy, ScheduleRecord } from "../store.ts";
import { compileCron, nextFire } from "./next_fire.ts";

export type { MissedPolicy } from "../store.ts";

/** The second argument of `queue.schedule(id, spec)`: `cron` or `every`, plus options. */
export interface ScheduleSpec {
  /**
   * A cron expression: 5 fields (`"30 2 * * *"`), 6 with seconds first (`"15 30 2 * * *"`),
   * or a nickname (`"@daily"`), evaluated in `tz`.
   */
  cron?: string;
  /** Or a period (`"5m"`, ms, at least 1 s); fires at its multiples since the Unix epoch. */
  every?: Duration;
  /** The task of the jobs it creates. @default the schedule's id */
  task?: string;
  /** The data of every job it creates (JSON). @default {} */
  data?: unknown;
  /** The IANA time zone of `cron` (`"Europe/Berlin"`). @default "UTC" */
  tz?: string;
  /**
   * Fire times that passed while no processor ran: `"skip"` them, run the `"latest"` one, or
   * run `"all"` of them (the latest 100 at most).
   * @default "latest"
   */
  missed?: MissedPolicy;
  /** The priority of every job it creates (lower runs first). @default 0 */
  priority?: number;
}

/** A stored schedule, as `queue.schedule()` and `queue.schedules()` return it. */
export interface Schedule {
  /** The schedule's id. */
  id: string;
  /** The task of the jobs it creates. */
  task: string;
  /** Its cron expression, when it has one. */
  cron?: string;
  /** Its period in ms, when it has one. */
  every?: number;
  /** The time zone of `cron`. */
  tz: string;
  /** The next fire time, epoch ms. */
  next: number;
  /** The data of every job it creates. */
  data: unknown;
  /** The priority of every job it creates. */
  priority: number;
  /** What it does with fire times that passed while no processor ran. */
  missed: MissedPolicy;
}

/** The shortest `every`: one job a second per schedule, the resolution of cron's seconds. */
export const MIN_EVERY = 1_000;

const MISSED: readonly MissedPolicy[] = ["skip", "latest", "all"];

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function fail(what: string, value: unknown): never {
  throw new TypeError(`Cannot schedule as ${what}: current value is ${show(value)}`);
}

/** JSON with object keys sorted, so equal data always gives the same spec text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    if (typeof inner.toJSON === "function") return inner;
    return Object.fromEntries(Object.keys(inner).sort().map((key) => [key, inner[key]]));
  });
}

/** The canonical name of an IANA time zone (`"europe/berlin"` → `"Europe/Berlin"`). */
function timeZone(tz: unknown): string {
  if (typeof tz !== "string" || tz.trim() === "") fail("tz must be an IANA time zone name", tz);
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return fail('tz must be an IANA time zone name such as "Europe/Berlin"', tz);
  }
}

function cronExpression(cron: unknown, tz: string): string {
  if (typeof cron !== "string") fail("cron must be a string", cron);
  const text = cron.trim().replace(/\s+/g, " ");
  const fields = text.split(" ").length;
  if (!text.startsWith("@") && fields !== 5 && fields !== 6) {
    fail("cron must have 5 fields, or 6 with seconds first", cron);
  }
  try {
    compileCron(text, tz);
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^\w+: /, "") : String(error);
    fail(`cron must be a valid expression (${why})`, cron);
  }
  return text;
}

/**
 * The record to store for `queue.schedule(id, spec)` at `now`: the spec checked, `next` the
 * first fire time after `now`, and `spec` the canonical text of the rest.
 *
 * @throws {TypeError} for a bad id, neither or both of `cron` and `every`, an unreadable
 * expression or time zone, non-JSON data, or an unknown `missed` policy
 * @throws {RangeError} for an `every` shorter than a second or a non-integer priority
 */
export function buildSchedule(id: unknown, spec: unknown, now: number): ScheduleRecord {
  if (typeof id !== "string" || id.trim() === "") fail("its id must be a non-empty string", id);
  if (spec === null || typeof spec !== "object") fail("spec must be an object", spec);
  const input = spec as ScheduleSpec;
  if ((input.cron === undefined) === (input.every === undefined)) {
    fail("spec needs exactly one of cron and every", spec);
  }
  const task = input.task ?? id;
  assertTaskName(task, `schedule ${JSON.stringify(id)}`);
  const tz = input.tz === undefined ? "UTC" : timeZone(input.tz);
  const data = input.data === undefined ? {} : input.data;
  assertJsonData(data, `schedule ${JSON.stringify(id)}`);
  const missed = input.missed ?? "latest";
  if (!MISSED.includes(missed)) fail('missed must be "skip", "latest" or "all"', missed);
  const priority = input.priority ?? 0;
  if (typeof priority !== "number" || !Number.isInteger(priority)) {
    throw new RangeError(
      `Cannot schedule as priority must be an integer: current value is ${show(priority)}`,
    );
  }
  const record: Omit<ScheduleRecord, "next" | "spec"> = { id, task, tz, data, priority, missed };
  if (input.cron !== undefined) record.cron = cronExpression(input.cron, tz);
  else {
    const every = parseDuration(input.every, "every");
    if (every < MIN_EVERY) {
      throw new RangeError(
        `Cannot schedule as every must be at least 1s: current value is ${show(input.every)}`,
      );
    }
    record.every = every;
  }
  const next = nextFire(record, now);
  if (next === undefined) fail("cron must fire at least once in the future", input.cron);
  return { ...record, next, spec: canonicalSpec(record) };
}

/** The canonical text of a schedule's spec: every field but `next`, in a fixed order. */
export function canonicalSpec(record: Omit<ScheduleRecord, "next" | "spec">): string {
  const { id, task, cron, every, tz, data, priority, missed } = record;
  return canonicalJson({ id, task, cron, every, tz, data, priority, missed });
}

/** The public view of a stored schedule. */
export function scheduleView(record: ScheduleRecord): Schedule {
  const view: Schedule = {
    id: record.id,
    task: record.task,
    tz: record.tz,
    next: record.next,
    data: record.data,
    priority: record.priority,
    missed: record.missed,
  };
  if (record.cron !== undefined) view.cron = record.cron;
  if (record.every !== undefined) view.every = record.every;
  return view;
}
