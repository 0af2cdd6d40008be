/**
 * Shared pieces of the store conformance suite: the case shape, job builders and small
 * assertions. Private to `testing.ts`. @module
 */

import assert from "node:assert/strict";
import type { Job, LogLine } from "../src/job.ts";
import type {
  ClaimRequest,
  ClaimResult,
  LeasedJob,
  NewJob,
  SettleOutcome,
  Store,
} from "../src/store.ts";

/** What a case may ask of the suite besides its store. */
export interface CaseContext {
  /**
   * A second store on the same data as the case's store (another connection, as another
   * process would have), closed after the case; rejects with a `TypeError` when the suite was
   * given no `openPeer` (a case that cannot run without one).
   */
  openPeer(): Promise<Store>;
  /**
   * Like `openPeer()`, but the store itself when the suite was given no `openPeer` (a case
   * that means "from any connection").
   */
  peer(): Promise<Store>;
}

/** One conformance case; its name is `<verb or capability>: <behaviour>`. */
export interface StoreCase {
  name: string;
  run(store: Store, context: CaseContext): Promise<void>;
  /** The case closes the store itself. */
  closesStore?: boolean;
}

/** A fixed, realistic epoch ms: stores must keep 13-digit times exactly. */
export const T0 = 1_700_000_000_000;

/** The lease every case claims with unless it says otherwise. */
export const LEASE = 30_000;

/** A new job as the core would build it; `fields` override the defaults. */
export function newJob(task: string, fields: Partial<NewJob> = {}): NewJob {
  const created = fields.created ?? T0;
  return {
    task,
    data: null,
    created,
    priority: 0,
    log: { time: created, message: "Created" },
    ...fields,
  };
}

/** Claims from `tasks` (one group, or several when given as arrays). */
export function claim(
  store: Store,
  tasks: string | readonly (readonly string[])[],
  fields: Partial<ClaimRequest> = {},
): Promise<ClaimResult> {
  return store.claim({
    groups: typeof tasks === "string" ? [[tasks]] : tasks,
    limit: 100,
    worker: "worker-1",
    leaseMs: LEASE,
    now: T0,
    ...fields,
  });
}

/** Claims exactly one job of `task`, failing the case when there is none. */
export async function claimOne(
  store: Store,
  task: string,
  fields: Partial<ClaimRequest> = {},
): Promise<LeasedJob> {
  const { jobs } = await claim(store, task, { ...fields, limit: 1 });
  assert.equal(jobs.length, 1, `expected one ${task} job to be claimable`);
  return jobs[0];
}

/** Adds a job of `task`, claims it and settles it with `outcome`; resolves to the record. */
export async function runJob(
  store: Store,
  task: string,
  outcome: SettleOutcome,
  fields: Partial<NewJob> = {},
): Promise<Job> {
  const [added] = await store.add([newJob(task, fields)]);
  const leased = await claimOne(store, task);
  assert.equal(leased.id, added.id, `expected the ${task} job just added to be claimed`);
  const error = outcome === "completed" ? undefined : { message: `${outcome} on purpose` };
  // A retry runs again a minute later.
  const runAt = outcome === "retry" ? T0 + 60_000 : undefined;
  const { jobs } = await store.settle([
    { id: leased.id, token: leased.token, outcome, now: T0 + 1, error, runAt, logs: [] },
  ]);
  assert.ok(jobs[0], `expected the ${task} job to settle`);
  return jobs[0];
}

/** A JSON round trip: drops unset (`undefined`) fields so records compare by content. */
export function plain<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** The ids of `jobs`, in order. */
export function ids(jobs: readonly (Job | undefined)[]): (string | undefined)[] {
  return jobs.map((job) => job?.id);
}

/** Asserts that `job` has (at least) `fields`, compared as JSON. */
export function assertFields(job: Job | undefined, fields: Partial<Job>, label = "job"): void {
  assert.ok(job, `expected ${label} to exist`);
  const picked = Object.fromEntries(
    Object.keys(fields).map((key) => [key, (job as unknown as Record<string, unknown>)[key]]),
  );
  assert.deepEqual(plain(picked), plain(fields), `unexpected fields of ${label}`);
}

/** Asserts that `job`'s last log line is `message` at `time`. */
export async function assertLastLog(
  store: Store,
  id: string,
  line: LogLine,
): Promise<void> {
  const lines = await store.logs(id);
  assert.deepEqual(plain(lines.at(-1)), plain(line), `unexpected last log line of job ${id}`);
}

/**
 * Data nested `levels` deep: arrays and objects in turn, with integer-like keys (which send
 * V8's JSON.stringify down its recursive path) and a few scalars on the way.
 */
export function deepData(levels: number): unknown {
  let value: unknown = { leaf: "🍃", n: -1.5, yes: true, none: null };
  for (let i = 1; i < levels; i++) {
    value = i % 2 ? [i, value] : { [String(i % 10)]: value, text: "é\n" };
  }
  return value;
}

/** Asserts that `actual` is `expected` as JSON (deep values overflow a recursive deepEqual). */
export function assertSameJson(actual: unknown, expected: unknown, message: string): void {
  assert.ok(JSON.stringify(actual) === JSON.stringify(expected), message);
}

/**
 * Adds a job of `task`, claims it at `now - 1` and settles it with `outcome` at `now`, so it
 * finishes (for a final outcome) exactly at `now`; resolves to the record.
 */
export async function finishAt(
  store: Store,
  task: string,
  outcome: SettleOutcome,
  now: number,
  fields: Partial<NewJob> = {},
): Promise<Job> {
  const [added] = await store.add([newJob(task, fields)]);
  const leased = await claimOne(store, task, { now: now - 1 });
  assert.equal(leased.id, added.id, `expected the ${task} job just added to be claimed`);
  const error = outcome === "completed" ? undefined : { message: `${outcome} on purpose` };
  const { jobs } = await store.settle([
    { id: leased.id, token: leased.token, outcome, now, error, logs: [] },
  ]);
  assert.ok(jobs[0], `expected the ${task} job to settle`);
  return jobs[0];
}
