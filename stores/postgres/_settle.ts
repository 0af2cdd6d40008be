/**
 * The settle: every outcome of a batch, with its log lines, in one token-fenced
 * `UPDATE … FROM json_to_recordset`, and the next claim in the same statement. @module
 */

import type { Job } from "../../src/job.ts";
import type { ClaimRequest, Settlement, SettleResult } from "../../src/store.ts";
import { claimCtes, type ClaimPlan, claimPlan, claimResult, claimShape } from "./_claim.ts";
import type { Row } from "./_connection.ts";
import { carriedCte } from "./_listeners.ts";
import { wakeCte } from "./_notify.ts";
import { jobColumns, rowId, toJob, toText } from "./_rows.ts";
import { toJsonLines } from "../_json_lines.ts";
import { statement } from "./_statements.ts";

/*
 * Reads: the batch (one JSON parameter) and each job's row by primary key. Writes: the
 * settled rows; a NOTIFY wake-up per task of a released or retried job (sent at commit).
 * No SKIP LOCKED here: a settle names its rows, and the only one that may hold such a row
 * for a moment is a cancel or a recovery, whose outcome the fence then sees.
 *
 * The fence is the WHERE: a row changes only while it is `processing` under the settlement's
 * token, so a worker whose lease was recovered, or whose job was cancelled, changes nothing
 * and gets `undefined` back. The batch travels as one parameter rather than one statement per
 * job: at concurrency 50 a processor settles 50 runs per call. The ids travel once more as an
 * array, so the plan probes `jobs_pkey` per id (`id = ANY`) instead of hash-joining the batch
 * against every processing job (the planner takes any `json_to_recordset` for 100 rows).
 *
 * With a `next` request the claim's CTEs follow in the same statement, so a busy processor
 * settles and claims in one round trip and one commit. Both see one snapshot, in which the
 * rows this settle releases are still `processing`: the claim never takes a job back that the
 * same call gave up.
 *
 * Measured (Deno 2.9 and Bun 1.4, PostgreSQL 15 on the same 2-core VM under load from other
 * work, medians of 5 runs of a few hundred calls; settling 1 job and claiming 1, then 25 and 25):
 *
 *   one statement with CTEs (this)                     1.3–1.8 ms, 180–210 µs client CPU;
 *                                                      2.3 ms, 215–320 µs
 *   BEGIN; settle; claim; COMMIT pipelined on a        2.4–2.8 ms, 260–420 µs;
 *     reserved connection (one round trip)             2.5–2.9 ms, 310–370 µs
 *   two statements on two connections at once          2.0–2.2 ms, 230–330 µs;
 *                                                      2.2–2.4 ms, 270–370 µs
 *   sql.begin((tx) => [settle, claim])                 3.1–3.4 ms, 400–570 µs;
 *     (BEGIN and COMMIT each wait for their answer)    3.8–5.2 ms, 580–690 µs
 *
 * One statement sends one message and parses one reply, and the server runs one command with
 * one snapshot and one commit.
 */
const SETTLE_CTES = (schema: string, channel: string) => `
  s AS (SELECT * FROM json_to_recordset($1::text::json) AS s(n int, id bigint, token text,
    outcome text, at bigint, error text, due bigint, progress text, lines text, result text)),
  settled AS (
    UPDATE "${schema}".jobs j SET
      status = CASE s.outcome WHEN 'retry' THEN 'delayed' WHEN 'release' THEN 'queued'
        ELSE s.outcome END,
      attempts = CASE s.outcome WHEN 'release' THEN greatest(0, j.attempts - 1)
        ELSE j.attempts END,
      finished = CASE WHEN s.outcome IN ('completed', 'failed', 'timeout') THEN s.at
        ELSE j.finished END,
      error = CASE s.outcome WHEN 'completed' THEN NULL WHEN 'release' THEN j.error
        ELSE s.error END,
      run_at = CASE s.outcome WHEN 'retry' THEN s.due ELSE j.run_at END,
      result = CASE s.outcome WHEN 'completed' THEN s.result ELSE j.result END,
      held_key = CASE WHEN s.outcome IN ('completed', 'failed', 'timeout') THEN NULL
        ELSE j.held_key END,
      progress = coalesce(s.progress, j.progress),
      logs = j.logs || s.lines,
      worker = NULL, lease_until = NULL, token = NULL
    FROM s WHERE j.id = ANY($2::bigint[]) AND j.id = s.id AND j.token = s.token
      AND j.status = 'processing'
    RETURNING 's' AS kind, s.n, j.ready_at, j.token, ${jobColumns("j")}),
  ${wakeCte(channel, "SELECT task FROM settled WHERE status IN ('queued', 'delayed')")}`;

/**
 * The settle statement, with the claim of `groups` after it when there are any. Every
 * row of the result is a settled (`kind = 's'`) or a claimed (`kind = 'c'`) job, beside the
 * claim's next due time; a statement that changed nothing still returns one row of NULLs.
 */
export function settleSql(
  schema: string,
  channel: string,
  claim?: ClaimPlan,
  isCarrying = false,
): string {
  const first = 3 + (claim?.params.length ?? 0);
  const carried = isCarrying ? `,\n${carriedCte(schema, channel, first)}` : "";
  const count = isCarrying ? ", (SELECT count(*) FROM carried) AS carried" : "";
  const shape = `${claim ? claimShape(claim) : "-"}${isCarrying ? " e" : ""}`;
  if (claim === undefined) {
    return statement(
      `settle ${schema} ${shape}`,
      () =>
        `WITH ${SETTLE_CTES(schema, channel)}${carried}
      SELECT NULL::bigint AS next, (SELECT count(*) FROM woke) AS woke${count}, r.*
      FROM (SELECT 1) x LEFT JOIN settled r ON true`,
    );
  }
  return statement(
    `settle ${schema} ${shape}`,
    () =>
      `WITH ${SETTLE_CTES(schema, channel)},
    ${claimCtes(schema, claim, 3, "s")}${carried}
    SELECT x.next, (SELECT count(*) FROM woke) AS woke${count}, r.*
    FROM claim_next x LEFT JOIN (SELECT * FROM settled UNION ALL SELECT * FROM claimed) r
    ON true`,
  );
}

/** A settle batch, ready to run. */
export interface SettlePlan {
  /** The claim after the settle, when there is one with tasks to claim. */
  claim?: ClaimPlan;
  params: unknown[];
  /** How many settlements there are. */
  size: number;
}

/**
 * The parameters of a settle: the batch as JSON (settlements of unknown ids left out; a job
 * named twice keeps its first settlement, as the second would find its token spent), then
 * the claim's.
 */
export function settlePlan(settlements: readonly Settlement[], next?: ClaimRequest): SettlePlan {
  const seen = new Set<string>();
  const batch: unknown[] = [];
  settlements.forEach((s, n) => {
    const id = rowId(s.id);
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    const error = s.outcome === "failed" || s.outcome === "timeout"
      ? s.error ?? { message: s.outcome }
      : s.error;
    batch.push({
      n,
      id,
      token: s.token,
      outcome: s.outcome,
      at: s.now,
      error: toText(error),
      due: s.runAt ?? s.now,
      progress: toText(s.progress),
      lines: toJsonLines(s.logs),
      result: s.outcome === "completed" ? toText(s.result) : null,
    });
  });
  const planned = next && claimPlan(next);
  const claim = planned && planned.groups.length > 0 ? planned : undefined;
  // The ids again as an array: json_to_recordset looks like 100 rows to the planner, which
  // would hash-join them against every processing job; `id = ANY(…)` makes it probe the key.
  const params: unknown[] = [JSON.stringify(batch), batch.map((s) => (s as { id: string }).id)];
  if (claim) params.push(...claim.params);
  return { claim, params, size: settlements.length };
}

/** The settled records by their settlement's place, and what the claim leased. */
export function settleResult(plan: SettlePlan, rows: readonly Row[]): SettleResult {
  const jobs: (Job | undefined)[] = Array.from({ length: plan.size }, () => undefined);
  for (const row of rows) if (row.kind === "s") jobs[Number(row.n)] = toJob(row);
  return { jobs, claimed: plan.claim ? claimResult(rows, plan.claim.groups) : { jobs: [] } };
}
