/**
 * The control verbs: the paused set (`pause`, `resume`, `paused`) and schedules (`schedule`,
 * `unschedule`, `schedules`, and `fire`, a compare-and-set that adds the fire's jobs in the
 * same transaction). Claims read the paused set themselves (see `_limits.ts`). @module
 */

import type { Job } from "../../src/job.ts";
import type { PauseTarget, ScheduleFire, ScheduleRecord } from "../../src/store.ts";
import { add } from "./_add.ts";
import type { Connection, Row } from "./_connection.ts";
import type { Names } from "./_verbs.ts";

/** The rows of a paused set: kinds and names as two arrays. */
function pauseRows(target: PauseTarget): [string[], string[]] {
  const kinds = [...target.tags.map(() => "tag"), ...target.tasks.map(() => "task")];
  return [kinds, [...target.tags, ...target.tasks]];
}

/** Pause. Inserts the tags and tasks into `paused` (a name already there stays once). */
export async function pause(
  connection: Connection,
  { schema }: Names,
  target: PauseTarget,
): Promise<void> {
  const [kinds, names] = pauseRows(target);
  if (names.length === 0) return;
  await connection.query(
    "pause",
    `INSERT INTO "${schema}".paused (kind, name)
     SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
    [kinds, names],
  );
}

/**
 * Resume. Deletes the tags and tasks from `paused` and sends one wake-up for everyone (not per
 * task: a resumed tag names no task), in one statement, so the wake-up leaves with the commit.
 */
export async function resume(
  connection: Connection,
  { schema, channel }: Names,
  target: PauseTarget,
): Promise<void> {
  const [kinds, names] = pauseRows(target);
  await connection.query(
    "resume",
    `WITH gone AS (
       DELETE FROM "${schema}".paused p USING unnest($1::text[], $2::text[]) AS r(kind, name)
       WHERE p.kind = r.kind AND p.name = r.name RETURNING 1)
     SELECT pg_notify('${channel}', '|{"type":"wake"}') AS woke`,
    [kinds, names],
  );
}

/** Paused. Reads the `paused` table. */
export async function paused(connection: Connection, { schema }: Names): Promise<PauseTarget> {
  const rows = await connection.query(
    "read the paused set",
    `SELECT kind, name FROM "${schema}".paused ORDER BY kind, name COLLATE "C"`,
  );
  const target: PauseTarget = { tags: [], tasks: [] };
  for (const { kind, name } of rows) {
    (kind === "tag" ? target.tags : target.tasks).push(name as string);
  }
  return target;
}

/** A schedule as stored: the record but `next` as JSON, `next` in its own column. */
function toSchedule(row: Row): ScheduleRecord {
  return { ...JSON.parse(row.body as string), next: Number(row.next) };
}

/**
 * Schedule. Upserts one `schedules` row by id in one statement: a new id is inserted; a stored
 * one keeps its `next` (and record) when the spec is unchanged, else takes the new one. Two
 * processes saving one id at once meet on the primary key: the second updates the row the
 * first inserted, so both return what was stored first.
 */
export async function schedule(
  connection: Connection,
  { schema }: Names,
  record: ScheduleRecord,
): Promise<ScheduleRecord> {
  const { next, ...rest } = record;
  const [row] = await connection.query(
    "save a schedule",
    `INSERT INTO "${schema}".schedules AS s (id, spec, next, body) VALUES ($1, $2, $3::bigint, $4)
     ON CONFLICT (id) DO UPDATE SET
       next = CASE WHEN s.spec = excluded.spec THEN s.next ELSE excluded.next END,
       body = CASE WHEN s.spec = excluded.spec THEN s.body ELSE excluded.body END,
       spec = excluded.spec
     RETURNING next, body`,
    [record.id, record.spec, next, JSON.stringify(rest)],
  );
  return toSchedule(row);
}

/** Unschedule. Deletes one `schedules` row by id. */
export async function unschedule(
  connection: Connection,
  { schema }: Names,
  id: string,
): Promise<boolean> {
  const rows = await connection.query(
    "delete a schedule",
    `DELETE FROM "${schema}".schedules WHERE id = $1 RETURNING 1`,
    [id],
  );
  return rows.length > 0;
}

/** Schedules. Reads every `schedules` row, by id (code point order). */
export async function schedules(
  connection: Connection,
  { schema }: Names,
): Promise<ScheduleRecord[]> {
  const rows = await connection.query(
    "list schedules",
    `SELECT next, body FROM "${schema}".schedules ORDER BY id COLLATE "C"`,
  );
  return rows.map(toSchedule);
}

/**
 * Fire. One transaction: moves `next` by primary key only while the row holds the spec and the
 * `next` the caller read, then adds the fire's jobs as `add` does (keys deduplicating). A
 * second process firing the same fire time waits on the row's lock, then finds `next` moved
 * and writes nothing; so exactly one job is made per fire time, however many processes fire.
 * The jobs' wake-ups leave with the commit.
 */
export function fire(
  connection: Connection,
  names: Names,
  fire: ScheduleFire,
): Promise<Job[] | undefined> {
  return connection.transaction("fire a schedule", async (tx) => {
    const moved = await connection.query(
      "fire a schedule",
      `UPDATE "${names.schema}".schedules SET next = $4::bigint
       WHERE id = $1 AND spec = $2 AND next = $3::bigint RETURNING id`,
      [fire.id, fire.spec, fire.expected, fire.next],
      tx,
    );
    if (moved.length === 0) return undefined;
    return fire.jobs.length === 0 ? [] : await add(connection, names, fire.jobs, tx);
  });
}
