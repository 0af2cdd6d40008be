/**
 * Turns the store contract's values into script arguments and script replies back into
 * records. Private to the Redis store. @module
 */

import type { Job, JobStatus, LogLine } from "../../src/job.ts";
import type {
  ClaimRequest,
  ClaimResult,
  JobStats,
  Lease,
  LeasedJob,
  NewJob,
  Settlement,
} from "../../src/store.ts";
import { newJobRecord as newRecord, StoreError } from "../../src/store.ts";

/** A script argument. */
export type Arg = string | number;

/** JSON text of a value that may be undefined ('' then, which no JSON text is). */
function json(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value);
}

/**
 * The record field that marks a `maxAttempts` saved with the job (`NewJob.maxAttempts`),
 * which a claim keeps; never part of a returned record.
 */
const OWN_MAX_ATTEMPTS = "ownMaxAttempts";

/** The add script's arguments for one job (see `_scripts/add.ts`). */
export function newJobArgs(job: NewJob): Arg[] {
  const args: Arg[] = [
    job.task,
    json(job.data),
    job.created,
    job.runAt ?? "",
    job.priority,
    job.key === undefined ? "" : `=${job.key}`,
    JSON.stringify(job.log),
    0,
  ];
  // The per-job overrides, as extra `field, value` pairs; most jobs have none.
  const { retry, timeout, maxAttempts, trace } = job;
  if (retry === undefined && timeout === undefined && maxAttempts === undefined && !trace) {
    return args;
  }
  if (retry !== undefined) args.push("retry", JSON.stringify(retry));
  if (timeout !== undefined) args.push("timeout", timeout);
  if (maxAttempts !== undefined) args.push("maxAttempts", maxAttempts, OWN_MAX_ATTEMPTS, 1);
  if (trace !== undefined) args.push("trace", JSON.stringify(trace));
  args[7] = (args.length - 8) / 2;
  return args;
}

/**
 * The record the add script saved for `job` under `id`, built here rather than read back;
 * `args` are the job's add arguments, whose JSON texts give the record its own copies.
 */
export function newJobRecord(id: string, job: NewJob, args: readonly Arg[]): Job {
  const text = args[1] as string;
  const record = newRecord(id, job, text === "" ? undefined : JSON.parse(text));
  for (let i = 8; i < args.length; i += 2) {
    const field = args[i] as string;
    if (field === OWN_MAX_ATTEMPTS) continue;
    const value = args[i + 1];
    (record as unknown as Record<string, unknown>)[field] = typeof value === "string"
      ? JSON.parse(value)
      : value;
  }
  return record;
}

/**
 * A claim request as script arguments (see `CLAIM_LIB`), appended to `args` when given;
 * `suffix` makes the tokens unique.
 */
export function claimArgs(request: ClaimRequest, suffix: string, args: Arg[] = []): Arg[] {
  const { groups, limit, now, leaseMs, worker, maxAttempts, tags, limits } = request;
  if (!(limit >= 1)) {
    throw new RangeError(
      `Cannot claim jobs as limit must be at least 1: current value is ${limit}`,
    );
  }
  args.push(now, now + leaseMs, worker, Math.floor(limit), suffix, groups.length);
  for (const [g, group] of groups.entries()) {
    args.push(tags?.[g] ?? "", group.length);
    for (const task of group) args.push(task, maxAttempts?.[task] ?? 0);
  }
  const countAt = args.push(0) - 1;
  for (const task in limits) {
    const { rate, concurrency } = limits[task];
    if (rate === undefined && concurrency === undefined) continue;
    args.push(task, rate?.max ?? "", rate?.per ?? "", concurrency ?? "");
    args[countAt] = (args[countAt] as number) + 1;
  }
  return args;
}

const OUTCOMES = new Set(["completed", "failed", "timeout", "retry", "release"]);

/**
 * Appends one settlement's script arguments to `args` (see `_scripts/settle.ts`); `isKnown`
 * when the caller will build the record afterwards itself ({@linkcode settledRecord}).
 * Pushed straight into the call's arguments: an array per job, then `flatMap` and a spread,
 * were three copies of every argument of a batch.
 */
export function pushSettlementArgs(args: Arg[], settlement: Settlement, isKnown: boolean): void {
  const { id, token, outcome, now, error, runAt, progress, result, logs } = settlement;
  if (!OUTCOMES.has(outcome)) {
    throw new TypeError(
      `Cannot settle job ${id} as the outcome must be one of ${[...OUTCOMES].join(", ")}: ` +
        `current value is ${JSON.stringify(outcome)}`,
    );
  }
  args.push(
    id,
    token,
    outcome,
    now,
    json(error),
    runAt ?? "",
    json(progress),
    outcome === "completed" ? json(result) : "",
    isKnown ? 0 : 1,
    logs.length,
  );
  for (let i = 0; i < logs.length; i++) args.push(JSON.stringify(logs[i]));
}

/**
 * The record the settle script leaves for a job leased as `leased`, built here rather than
 * read back: the same field changes as the script makes, lease fields dropped.
 */
export function settledRecord(leased: LeasedJob, settlement: Settlement): Job {
  const { token: _t, worker: _w, leaseUntil: _l, ...job } = leased;
  const { outcome, now, error, runAt, progress, result } = settlement;
  if (progress !== undefined) job.progress = progress;
  if (outcome === "completed") {
    job.status = "completed";
    job.finished = now;
    delete job.error;
    // Its own copy, as stored.
    if (result !== undefined) job.result = JSON.parse(JSON.stringify(result));
  } else if (outcome === "failed" || outcome === "timeout") {
    job.status = outcome;
    job.finished = now;
    job.error = error ?? { message: outcome };
  } else if (outcome === "retry") {
    job.status = "delayed";
    job.runAt = runAt ?? now;
    if (error !== undefined) job.error = error;
    else delete job.error;
  } else {
    job.status = "queued";
    job.attempts = Math.max(0, job.attempts - 1);
  }
  return job;
}

const NUMBERS = new Set(["created", "runAt", "attempts", "priority", "started", "finished"]);
const MORE_NUMBERS = new Set(["leaseUntil", "maxAttempts", "timeout"]);
const JSON_FIELDS = new Set(["data", "error", "progress", "result", "retry", "trace"]);
/** The record's "created" log line, read by the logs script only. */
const LOG_FIELD = "log";
/** Record fields that are not job fields. */
const HIDDEN = new Set([LOG_FIELD, OWN_MAX_ATTEMPTS]);
/**
 * The lease fields, which a settle leaves in the record: they are part of a job only while
 * it is `processing`. ('' means absent too: earlier versions blanked them on settle.)
 */
const BLANKED = new Set(["worker", "leaseUntil", "token"]);

/** A record from a flat HGETALL reply; `undefined` for an empty one (no such job). */
export function decodeJob(reply: unknown): LeasedJob | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const job: Record<string, unknown> = { data: undefined };
  for (let i = 0; i < reply.length; i += 2) {
    const field = String(reply[i]);
    const value = String(reply[i + 1]);
    if (HIDDEN.has(field) || (value === "" && BLANKED.has(field))) continue;
    if (NUMBERS.has(field) || MORE_NUMBERS.has(field)) job[field] = Number(value);
    else if (JSON_FIELDS.has(field)) job[field] = JSON.parse(value);
    else job[field] = value;
  }
  if (typeof job.id !== "string" || typeof job.status !== "string") {
    throw new StoreError("redis", `Cannot read a job as its record is incomplete: ${reply}`);
  }
  if (job.status !== "processing") { for (const field of BLANKED) delete job[field]; }
  return job as unknown as LeasedJob;
}

/** A record without the claim token, as every verb but claim returns it. */
export function publicJob(job: LeasedJob): Job {
  const { token: _token, ...rest } = job;
  return rest;
}

/** A public record from an HGETALL-style reply, `undefined` for an empty one. */
export function toJob(reply: unknown): Job | undefined {
  const job = decodeJob(reply);
  return job && publicJob(job);
}

/** What a claim writes to each job it leases: all of it comes from its request. */
export interface LeaseWrites {
  /** The claim's time, written as `started`. */
  now: number;
  /** `now` plus the lease length. */
  leaseUntil: number;
  /** The claiming worker's id. */
  worker: string;
  /** The token is `<id>.<suffix>`. */
  suffix: string;
  /** `maxAttempts` per task, for jobs saved without their own. */
  maxAttempts?: Readonly<Record<string, number>>;
}

/** The writes of a claim of `request` whose tokens end in `suffix`. */
export function leaseWrites(request: ClaimRequest, suffix: string): LeaseWrites {
  const { now, leaseMs, worker, maxAttempts } = request;
  return { now, leaseUntil: now + leaseMs, worker, suffix, maxAttempts };
}

const parsed = (text: string | null) => text === null ? undefined : JSON.parse(text);

/**
 * A leased record from the claim script's fields of it as they were before the claim (in
 * the order of `LEASED_FIELDS`, null when absent), with the claim's own writes applied here
 * as the script applied them to the stored record.
 */
function decodeLeased(id: string, f: readonly (string | null)[], lease: LeaseWrites): LeasedJob {
  const [task, , created, attempts, own, maxAttempts, data, runAt, priority, key] = f as string[];
  const job: LeasedJob = {
    id,
    task,
    data: parsed(data),
    status: "processing",
    created: Number(created),
    attempts: Number(attempts) + 1,
    priority: Number(priority),
    started: lease.now,
    worker: lease.worker,
    leaseUntil: lease.leaseUntil,
    maxAttempts: own !== null ? Number(maxAttempts) : lease.maxAttempts?.[task] ?? 0,
    token: `${id}.${lease.suffix}`,
  };
  if (runAt !== null) job.runAt = Number(runAt);
  if (key !== null) job.key = key;
  // Indexed, not sliced: most jobs have none of these, and a slice is an array per job.
  if (f[10] !== null) job.error = JSON.parse(f[10]);
  if (f[11] !== null) job.progress = JSON.parse(f[11]);
  if (f[12] !== null) job.result = JSON.parse(f[12]);
  if (f[13] !== null) job.retry = JSON.parse(f[13]);
  if (f[14] !== null) job.timeout = Number(f[14]);
  if (f[15] !== null) job.trace = JSON.parse(f[15]);
  return job;
}

/** A claim script reply `{ jobs, next }`: per job its id and its fields (see `CLAIM_LIB`). */
export function decodeClaim(jobs: unknown, next: unknown, lease: LeaseWrites): ClaimResult {
  const flat = jobs as unknown[];
  const leased: LeasedJob[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    leased.push(decodeLeased(flat[i] as string, flat[i + 1] as (string | null)[], lease));
  }
  const result: ClaimResult = { jobs: leased };
  if (next !== "" && next !== null && next !== undefined) result.next = Number(next);
  return result;
}

/** Stats from the stats script's `task, [status, count, …]` pairs. */
export function decodeStats(reply: unknown): JobStats {
  const pairs = reply as unknown[];
  const stats: JobStats = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const counts = pairs[i + 1] as unknown[];
    const byStatus: Record<string, number> = {};
    for (let j = 0; j < counts.length; j += 2) byStatus[String(counts[j])] = Number(counts[j + 1]);
    stats[String(pairs[i])] = byStatus;
  }
  return stats;
}

/** Log lines from their JSON texts. */
export function decodeLogs(lines: readonly string[]): LogLine[] {
  return lines.map((line) => JSON.parse(line));
}

/** Appends one lease's renew arguments to `args` (see `_scripts/renew.ts`). */
export function pushLeaseArgs(args: Arg[], lease: Lease): void {
  const logs = lease.logs ?? [];
  args.push(lease.id, lease.token, json(lease.progress), logs.length);
  for (const line of logs) args.push(JSON.stringify(line));
}

/** The statuses and tasks a selection script reads (see `_scripts/read.ts`). */
export function selectionArgs(statuses: readonly JobStatus[], tasks?: readonly string[]): Arg[] {
  const unique = [...new Set(statuses)];
  return tasks === undefined
    ? [unique.length, ...unique, -1]
    : [unique.length, ...unique, new Set(tasks).size, ...new Set(tasks)];
}
