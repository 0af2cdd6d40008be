/**
 * Schedules across processes on one SQLite file (issue 12): three workers that each call
 * `schedule()` at start-up fire exactly one job per fire time with no gaps, and after all of
 * them were stopped for 5 s the `missed` policy decides what the outage leaves. Real time,
 * as the issue asks: one-second fire times, waits bounded by timeouts.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Job, MissedPolicy } from "../mod.ts";
import type { SqliteStore } from "../stores/sqlite.ts";
import { Child, until, withDatabase } from "./_sqlite_processes.ts";

/** The fixture's processor interval, which is also `skip`'s tolerance for a late fire time. */
const INTERVAL = 100;
const SECOND = 1_000;
/** The outage the issue asks for. */
const OUTAGE = 5_000;

/** Three schedule workers on `path`, started together, once each printed `ready`. */
async function startWorkers(path: string, missed: MissedPolicy, spawned: Child[]) {
  const workers = [1, 2, 3].map(() =>
    new Child("schedule_worker.ts", [`sqlite:${path}`, missed, String(INTERVAL)])
  );
  spawned.push(...workers);
  await Promise.all(workers.map((worker) => worker.line(/^ready \d+$/, 20_000)));
  return workers;
}

/** Stops workers gracefully (each prints `stopped`). */
async function stopWorkers(workers: Child[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
  for (const worker of workers) await worker.line(/^stopped$/, 0);
}

/** Every fired job of the schedule, by fire time (from its key); fails on a duplicate. */
async function firedJobs(store: SqliteStore): Promise<Map<number, Job>> {
  const jobs = await store.find({ task: "tick" }, { offset: 0, limit: 10_000 });
  const byTime = new Map<number, Job>();
  for (const job of jobs) {
    const time = Number(/^schedule:tick:(\d+)$/.exec(job.key ?? "")?.[1]);
    assert.ok(Number.isSafeInteger(time), `a fired job's key: ${job.key}`);
    assert.ok(!byTime.has(time), `one job for the fire time ${time}, not two`);
    byTime.set(time, job);
  }
  return byTime;
}

/** Waits until `count` fired jobs have completed (any worker ran them). */
function untilCompleted(store: SqliteStore, count: number, ms: number): Promise<void> {
  return until(
    async () => (await store.count({ task: "tick", status: "completed" })) >= count,
    ms,
    `${count} completed fired jobs`,
  );
}

/** The fire times from `from` to `to` (both included), one a second. */
function everySecond(from: number, to: number): number[] {
  return Array.from({ length: (to - from) / SECOND + 1 }, (_, i) => from + i * SECOND);
}

/**
 * Runs three workers until `before` jobs ran, stops them all for the outage, restarts three
 * and runs them until `after` more ran. Resolves to the fire times of the jobs, sorted, and
 * the last fire time before the outage and the first after it.
 */
async function withOutage(
  path: string,
  store: SqliteStore,
  spawned: Child[],
  missed: MissedPolicy,
  before: number,
  after: number,
) {
  const first = await startWorkers(path, missed, spawned);
  await untilCompleted(store, before, before * SECOND + 10_000);
  await stopWorkers(first);
  const stoppedAt = Date.now();
  const lastBefore = Math.max(...(await firedJobs(store)).keys());
  // The outage itself: nothing runs, so there is nothing to wait for but the time.
  await new Promise((resolve) => setTimeout(resolve, OUTAGE));
  const restartedAt = Date.now();
  const second = await startWorkers(path, missed, spawned);
  const ranBefore = await store.count({ task: "tick", status: "completed" });
  await untilCompleted(store, ranBefore + after, after * SECOND + 10_000);
  await stopWorkers(second);
  const fired = await firedJobs(store);
  const times = [...fired.keys()].sort((a, b) => a - b);
  const firstAfter = times.find((time) => time > lastBefore)!;
  assert.ok(restartedAt - stoppedAt >= OUTAGE, "every worker was away for the outage");
  return { fired, times, lastBefore, firstAfter, restartedAt };
}

test(
  "SqliteStore: three processes scheduling at start-up fire one job per second for 10 s, none missed after an outage (missed: all)",
  { timeout: 90_000 },
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const { fired, times, lastBefore, restartedAt } = await withOutage(
        path,
        store,
        spawned,
        "all",
        10,
        2,
      );
      assert.equal(
        (await store.schedules()).length,
        1,
        "six schedule() calls stored one schedule",
      );
      assert.deepEqual(times, everySecond(times[0], times.at(-1)!), "no gap, no duplicate");
      const missed = times.filter((time) => time > lastBefore && time < restartedAt - SECOND);
      assert.ok(missed.length >= 3, `the outage's fire times got jobs: ${missed.length}`);
      for (const time of missed) {
        assert.ok(fired.get(time)!.created >= restartedAt, "created once a worker was back");
      }
    });
  },
);

test(
  "SqliteStore: after all processes stopped for 5 s, missed: latest runs only the latest missed fire time",
  { timeout: 60_000 },
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const { fired, times, lastBefore, firstAfter, restartedAt } = await withOutage(
        path,
        store,
        spawned,
        "latest",
        2,
        2,
      );
      assert.deepEqual(
        times.filter((time) => time <= lastBefore),
        everySecond(times[0], lastBefore),
        "one job per second before the outage",
      );
      assert.ok(
        firstAfter - lastBefore >= 4 * SECOND,
        `the outage's earlier fire times got no job (${lastBefore} to ${firstAfter})`,
      );
      // The first fire after the restart ran the latest fire time due then, however late.
      const { created } = fired.get(firstAfter)!;
      assert.ok(created >= restartedAt, "created once a worker was back");
      assert.ok(created - firstAfter < SECOND, "for the latest fire time due at that moment");
      assert.deepEqual(
        times.filter((time) => time >= firstAfter),
        everySecond(firstAfter, times.at(-1)!),
        "then one job per second again",
      );
    });
  },
);

test(
  "SqliteStore: after all processes stopped for 5 s, missed: skip runs no missed fire time",
  { timeout: 60_000 },
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const { fired, lastBefore, firstAfter, restartedAt } = await withOutage(
        path,
        store,
        spawned,
        "skip",
        2,
        2,
      );
      assert.ok(
        firstAfter - lastBefore >= 5 * SECOND,
        `no job for the outage (${lastBefore} to ${firstAfter})`,
      );
      // Not asserted: a gap after the restart. Under load a worker may wake later than the
      // tolerance after a fire time, and skip then rightly leaves that one out too.
      const job = fired.get(firstAfter)!;
      assert.ok(job.created >= restartedAt, "created once a worker was back");
      assert.ok(job.created - firstAfter <= INTERVAL, "fired on time, within the tolerance");
    });
  },
);
