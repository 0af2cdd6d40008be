/**
 * The settle: every outcome of a batch, with its log lines, in one token-fenced
 * `UPDATE … FROM json_each`; a batch of one in an `UPDATE` by id. @module
 */

import type { Job } from "../../src/job.ts";
import type { Settlement } from "../../src/store.ts";
import { JOB_COLUMNS, toJob, toRow, toText } from "./_rows.ts";
import { toJsonLines } from "../_json_lines.ts";
import type { Statements } from "./_statements.ts";

/*
 * The batch travels as one JSON parameter instead of one statement per job: at concurrency 50
 * a processor settles 50 runs per call, and crossing from JavaScript into SQLite once per
 * batch (rather than once per job) is much of what per-job work costs here. Log lines ride
 * along as JSON-lines text appended to the row's `logs` column; a result rides as its JSON
 * text (a string inside the batch), so however deep it nests, SQLite's JSON parser never
 * descends into it.
 * The fence is the `WHERE`: a row is updated only while it is `processing` under the
 * settlement's token, so a worker whose lease was recovered, or whose job was cancelled,
 * changes nothing and gets `undefined` back. (`+jobs.status` keeps the planner from walking the
 * status index and probing the JSON per row: it reads the batch and looks each job up by id.)
 */
/** A settlement's fields, in the order of its array in the batch and of the parameters. */
const FIELDS = ["job", "claim", "outcome", "at", "failure", "due", "latest", "lines", "result"];

/** The new values of a settled row; `field` names where a settlement's field is read. */
function setColumns(field: (name: string) => string): string {
  const [outcome, at, failure, due, latest, lines, result] = [
    "outcome",
    "at",
    "failure",
    "due",
    "latest",
    "lines",
    "result",
  ].map(field);
  return `status = CASE ${outcome} WHEN 'retry' THEN 'delayed' WHEN 'release' THEN 'queued'
      ELSE ${outcome} END,
    attempts = CASE ${outcome} WHEN 'release' THEN max(0, jobs.attempts - 1)
      ELSE jobs.attempts END,
    finished = CASE WHEN ${outcome} IN ('completed', 'failed', 'timeout') THEN ${at}
      ELSE jobs.finished END,
    error = CASE ${outcome} WHEN 'completed' THEN NULL WHEN 'release' THEN jobs.error
      ELSE ${failure} END,
    run_at = CASE ${outcome} WHEN 'retry' THEN ${due} ELSE jobs.run_at END,
    progress = coalesce(${latest}, jobs.progress),
    result = CASE ${outcome} WHEN 'completed' THEN ${result} ELSE jobs.result END,
    logs = jobs.logs || ${lines},
    worker = NULL, lease_until = NULL, token = NULL`;
}

const SETTLE_SQL = `UPDATE jobs SET ${setColumns((name) => `s.${name}`)}
  FROM (SELECT ${FIELDS.map((name, i) => `value ->> ${i} AS ${name}`).join(", ")}
    FROM json_each(?)) AS s
  WHERE jobs.id = s.job AND jobs.token = s.claim AND +jobs.status = 'processing'
  RETURNING ${JOB_COLUMNS}`;

/*
 * A batch of one (every settle at concurrency 1) binds its fields instead: no JSON to build
 * and parse, no join: measured at concurrency 1, 48 → 37 µs of CPU per settle on Deno, 44 → 29
 * on Bun.
 */
const SETTLE_ONE_SQL = `UPDATE jobs SET ${setColumns((name) => `?${FIELDS.indexOf(name) + 1}`)}
  WHERE jobs.id = ?1 AND jobs.token = ?2 AND jobs.status = 'processing'
  RETURNING ${JOB_COLUMNS}`;

/** Settles a batch whose ids are distinct. */
function settleBatch(
  statements: Statements,
  batch: readonly { id: number; settlement: Settlement }[],
): Map<number, Job> {
  const params = batch.map(({ id, settlement: s }) => [
    id,
    s.token,
    s.outcome,
    s.now,
    toText(
      s.outcome === "failed" || s.outcome === "timeout"
        ? s.error ?? { message: s.outcome }
        : s.error,
    ),
    s.runAt ?? s.now,
    toText(s.progress),
    toJsonLines(s.logs),
    toText(s.result),
  ]);
  const rows = params.length === 1
    ? statements.rows(SETTLE_ONE_SQL).all(...params[0]).map(toRow)
    : statements.rows(SETTLE_SQL).all(JSON.stringify(params)).map(toRow);
  const settled = new Map<number, Job>();
  for (const row of rows) settled.set(row.id, toJob(row));
  return settled;
}

/**
 * Records outcomes, each fenced by its token, with its buffered log lines. A batch naming one
 * job twice is split there, so the second settlement sees what the first did.
 *
 * @param key turns a job id into the row id, or `undefined` for an id this store never made
 */
export function settle(
  statements: Statements,
  settlements: readonly Settlement[],
  key: (id: string) => number | undefined,
): (Job | undefined)[] {
  const results: (Job | undefined)[] = [];
  let batch: { id: number; settlement: Settlement; index: number }[] = [];
  let ids = new Set<number>();
  const flush = () => {
    const settled = settleBatch(statements, batch);
    for (const { id, index } of batch) results[index] = settled.get(id);
    batch = [];
    ids = new Set();
  };
  settlements.forEach((settlement, index) => {
    results[index] = undefined;
    const id = key(settlement.id);
    if (id === undefined) return;
    if (ids.has(id)) flush();
    ids.add(id);
    batch.push({ id, settlement, index });
  });
  if (batch.length > 0) flush();
  return results;
}
