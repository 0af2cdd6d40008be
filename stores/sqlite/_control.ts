/**
 * Pause and schedules: the `paused` and `schedules` tables. Callers hold the transaction;
 * these functions only run statements. @module
 */

import type { Job } from "../../src/job.ts";
import type { PauseTarget, ScheduleFire, ScheduleRecord } from "../../src/store.ts";
import type { Statements } from "./_statements.ts";
import { add } from "./_verbs.ts";

/** The rows of a pause target: one `(kind, name)` per tag and task. */
function rows(target: PauseTarget): string {
  return JSON.stringify([
    ...target.tags.map((name) => ["tag", name]),
    ...target.tasks.map((name) => ["task", name]),
  ]);
}

/** Adds tags and tasks to the paused set (each name once). */
export function pause(statements: Statements, target: PauseTarget): void {
  statements.get(
    `INSERT OR IGNORE INTO paused (kind, name)
     SELECT value ->> 0, value ->> 1 FROM json_each(?)`,
  ).run(rows(target));
}

/** Removes tags and tasks from the paused set. */
export function resume(statements: Statements, target: PauseTarget): void {
  statements.get(
    `DELETE FROM paused WHERE (kind, name) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
  ).run(rows(target));
}

/** The paused set, names in code point order. */
export function paused(statements: Statements): PauseTarget {
  const found = statements.get("SELECT kind, name FROM paused ORDER BY kind, name").all() as {
    kind: string;
    name: string;
  }[];
  return {
    tags: found.filter((row) => row.kind === "tag").map((row) => row.name),
    tasks: found.filter((row) => row.kind === "task").map((row) => row.name),
  };
}

/*
 * A schedule row keeps `next` in its own column, beside the canonical `spec` text, so a fire
 * is one compare-and-set `UPDATE … WHERE spec = ? AND next = ?`; the rest of the record is
 * JSON in `body`. Every writer holds the write lock (the callers' `BEGIN IMMEDIATE`), so the
 * compare and the jobs the fire adds commit together or not at all.
 */

interface ScheduleRow {
  next: number;
  body: string;
}

function toSchedule(row: ScheduleRow): ScheduleRecord {
  return { ...JSON.parse(row.body), next: row.next };
}

/**
 * Saves a schedule unless one with the same id and spec is stored (then that one stays, its
 * `next` included); resolves to what is stored afterwards.
 */
export function schedule(statements: Statements, record: ScheduleRecord): ScheduleRecord {
  const { next, ...rest } = record;
  statements.get(
    `INSERT INTO schedules (id, spec, next, body) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, next = excluded.next, body = excluded.body
       WHERE schedules.spec IS NOT excluded.spec`,
  ).run(record.id, record.spec, next, JSON.stringify(rest));
  return toSchedule(
    statements.get("SELECT next, body FROM schedules WHERE id = ?").get(
      record.id,
    ) as unknown as ScheduleRow,
  );
}

/** Deletes a schedule; whether there was one. */
export function unschedule(statements: Statements, id: string): boolean {
  return Number(statements.get("DELETE FROM schedules WHERE id = ?").run(id).changes) === 1;
}

/** Every schedule, by id. */
export function schedules(statements: Statements): ScheduleRecord[] {
  const found = statements.get("SELECT next, body FROM schedules ORDER BY id")
    .all() as unknown as ScheduleRow[];
  return found.map(toSchedule);
}

/** Moves `next` and adds the fire's jobs, only while spec and next are as the fire expects. */
export function fire(statements: Statements, fire: ScheduleFire): Job[] | undefined {
  const moved = statements.get(
    "UPDATE schedules SET next = ? WHERE id = ? AND spec = ? AND next = ?",
  ).run(fire.next, fire.id, fire.spec, fire.expected);
  if (Number(moved.changes) !== 1) return undefined;
  return add(statements, fire.jobs);
}
