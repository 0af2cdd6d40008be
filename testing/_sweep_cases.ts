/**
 * Conformance cases for `remove` narrowed by `before`, `keep` and `limit` (wave 2): what
 * `clean({ before })` and retention sweeps ask for, including the race with a job that is
 * requeued or retried. @module
 */

import assert from "node:assert/strict";
import type { Job, JobStatus } from "../src/job.ts";
import type { Store } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { assertFields, claimOne, finishAt, newJob, runJob, T0 } from "./_helpers.ts";

/** The ids of the jobs of `statuses` still stored, in creation order. */
async function left(store: Store, statuses: JobStatus[]): Promise<string[]> {
  const jobs = await store.find({ status: { $in: statuses } }, { offset: 0, limit: 1_000 });
  return jobs.map((job) => job.id);
}

/** Jobs of `task` completed at `T0 + 1_000 * n` for each n, in that order. */
async function completedAt(store: Store, task: string, ns: number[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const n of ns) jobs.push(await finishAt(store, task, "completed", T0 + 1_000 * n));
  return jobs;
}

const idsOf = (jobs: Job[]) => jobs.map((job) => job.id);

/** The `remove sweep` cases. */
export const sweepCases: StoreCase[] = [
  {
    name: "remove sweep: removes jobs finished before a time, oldest first, at most limit",
    async run(store) {
      const jobs = await completedAt(store, "old", [1, 2, 3, 4, 5]);
      const sweep = { status: ["completed"] as JobStatus[], before: T0 + 4_000 };
      assert.equal(await store.remove({ ...sweep, limit: 2 }), 2);
      assert.deepEqual(await left(store, ["completed"]), idsOf(jobs.slice(2)));
      for (const job of jobs.slice(0, 2)) {
        assert.deepEqual(await store.logs(job.id), [], `the logs of job ${job.id} went too`);
      }
      assert.equal(
        await store.remove({ ...sweep, limit: 2 }),
        1,
        "the job finished at before stays",
      );
      assert.equal(await store.remove(sweep), 0);
      assert.deepEqual(await left(store, ["completed"]), idsOf(jobs.slice(3)));
      assert.equal(await store.remove({ status: ["completed"], limit: 1 }), 1, "limit alone");
      assert.deepEqual(await left(store, ["completed"]), idsOf(jobs.slice(4)));
    },
  },
  {
    name: "remove sweep: keep spares the newest finished jobs",
    async run(store) {
      // Finished out of creation order: the newest by finish time are kept.
      const jobs = await completedAt(store, "kept", [3, 1, 5, 2, 4]);
      assert.equal(await store.remove({ status: ["completed"], keep: 3 }), 2);
      assert.deepEqual(await left(store, ["completed"]), idsOf([jobs[0], jobs[2], jobs[4]]));
      assert.equal(await store.remove({ status: ["completed"], keep: 3 }), 0);
      assert.equal(await store.remove({ status: ["completed"], keep: 1, limit: 1 }), 1);
      assert.deepEqual(await left(store, ["completed"]), idsOf([jobs[2], jobs[4]]));
      assert.equal(
        await store.remove({ status: ["completed"], keep: 1, before: T0 + 4_500 }),
        1,
        "keep and before together",
      );
      assert.deepEqual(await left(store, ["completed"]), idsOf([jobs[2]]));
      assert.equal(await store.remove({ status: ["completed"], keep: 0 }), 1);
    },
  },
  {
    name: "remove sweep: narrows by status and task, and never removes unfinished jobs",
    async run(store) {
      const doneA = await finishAt(store, "a", "completed", T0 + 1_000);
      const failedA = await finishAt(store, "a", "failed", T0 + 1_000);
      const timedOut = await finishAt(store, "a", "timeout", T0 + 1_000);
      const doneB = await finishAt(store, "b", "completed", T0 + 1_000);
      const [queued, delayed, cancelled] = await store.add([
        newJob("a"),
        newJob("a", { runAt: T0 + 99_000 }),
        newJob("a"),
      ]);
      await store.cancel(cancelled.id, T0 + 1_000);
      const [running] = await store.add([newJob("a-running")]);
      await claimOne(store, "a-running", { now: T0 + 1_000 });
      const before = T0 + 10_000;
      assert.equal(await store.remove({ status: ["completed"], tasks: ["a"], before }), 1);
      assert.equal(await store.get(doneA.id), undefined);
      assertFields(await store.get(doneB.id), { status: "completed" }, "task b is spared");
      assert.equal(
        await store.remove({ status: ["queued", "delayed", "processing"], before }),
        0,
        "unfinished jobs have no finish time, so none finished before",
      );
      assert.equal(await store.remove({ status: ["failed", "cancelled"], before, limit: 10 }), 2);
      assert.equal(await store.get(failedA.id), undefined);
      assert.equal(await store.get(cancelled.id), undefined);
      assert.equal(await store.remove({ status: ["timeout"], keep: 0, tasks: ["b"] }), 0);
      assert.equal(await store.remove({ status: ["timeout"], keep: 0, tasks: ["a"] }), 1);
      assert.equal(await store.get(timedOut.id), undefined);
      for (const job of [queued, delayed, running, doneB]) {
        assert.ok(await store.get(job.id), `job ${job.id} (${job.task}) is kept`);
      }
    },
  },
  {
    name: "remove sweep: spares a job requeued or retried since it finished (retention vs retry)",
    async run(store) {
      const failed = await finishAt(store, "retried", "failed", T0 + 1_000);
      const sweep = { status: ["failed"] as JobStatus[], before: T0 + 50_000, limit: 100 };
      // Requeued before the sweep: no longer failed, so kept.
      if (store.requeue) {
        await store.requeue(failed.id, T0 + 2_000);
        assert.equal(await store.remove(sweep), 0, "a requeued job is not swept");
        const rerun = await claimOne(store, "retried", { now: T0 + 3_000 });
        assert.equal(await store.remove(sweep), 0, "nor while it runs again");
        await store.settle([{
          id: rerun.id,
          token: rerun.token,
          outcome: "failed",
          now: T0 + 60_000,
          error: { message: "again" },
          logs: [],
        }]);
        assert.equal(await store.remove(sweep), 0, "it failed again after the sweep's time");
        assert.equal(await store.remove({ ...sweep, before: T0 + 60_001 }), 1);
        // Swept first: a requeue afterwards finds nothing.
        const gone = await finishAt(store, "retried", "failed", T0 + 1_000);
        assert.equal(await store.remove(sweep), 1);
        assert.equal(await store.requeue(gone.id, T0 + 2_000), undefined);
        assert.equal(await store.get(gone.id), undefined);
      }
      // A failed run with retries left is delayed, not failed: never swept.
      const retrying = await runJob(store, "retrying", "retry");
      assertFields(retrying, { status: "delayed" });
      assert.equal(await store.remove({ ...sweep, before: T0 + 999_999 }), 0);
      assertFields(await store.get(retrying.id), { status: "delayed" });
    },
  },
];
