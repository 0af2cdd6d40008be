/**
 * Conformance cases for `settle`: every outcome, the claim that rides along, and token
 * fencing. @module
 */

import assert from "node:assert/strict";
import type { StoreCase } from "./_helpers.ts";
import {
  assertFields,
  assertLastLog,
  claim,
  claimOne,
  ids,
  newJob,
  plain,
  T0,
} from "./_helpers.ts";

/** The `settle` cases. */
export const settleCases: StoreCase[] = [
  {
    name: "settle: completes, fails and times out jobs with their logs in one step",
    async run(store) {
      const added = await store.add([newJob("s"), newJob("s"), newJob("s")]);
      const [done, failed, timedOut] = (await claim(store, "s")).jobs;
      assert.deepEqual(ids([done, failed, timedOut]), ids(added));
      const now = T0 + 500;
      const lines = [
        { time: T0 + 10, message: "working", data: { step: 1 } },
        { time: T0 + 20, message: "Completed" },
      ];
      const result = await store.settle([
        {
          id: done.id,
          token: done.token,
          outcome: "completed",
          now,
          progress: { current: 1, total: 1 },
          logs: lines,
        },
        {
          id: failed.id,
          token: failed.token,
          outcome: "failed",
          now,
          error: { message: "boom", code: "EBOOM" },
          logs: [{ time: now, message: "Failed: boom" }],
        },
        {
          id: timedOut.id,
          token: timedOut.token,
          outcome: "timeout",
          now,
          error: { message: "Timed out after 1s" },
          logs: [],
        },
      ]);
      assert.equal(result.jobs.length, 3);
      assert.deepEqual(result.claimed.jobs, []);
      const [c, f, t] = result.jobs;
      assertFields(c, {
        status: "completed",
        finished: now,
        attempts: 1,
        progress: { current: 1, total: 1 },
      });
      assertFields(f, {
        status: "failed",
        finished: now,
        error: { message: "boom", code: "EBOOM" },
      });
      assertFields(t, {
        status: "timeout",
        finished: now,
        error: { message: "Timed out after 1s" },
      });
      for (const job of result.jobs) {
        assert.equal(job?.leaseUntil, undefined, "a settled job holds no lease");
        assert.deepEqual(
          plain(await store.get(job!.id)),
          plain(job),
          "settle returns the stored record",
        );
      }
      assert.deepEqual(plain(await store.logs(done.id)), [
        { time: T0, message: "Created" },
        ...lines,
      ]);
      await assertLastLog(store, failed.id, { time: now, message: "Failed: boom" });
      assert.equal((await store.logs(timedOut.id)).length, 1);
    },
  },
  {
    name: "settle: retries a job as delayed and releases one back to the queue",
    async run(store) {
      const [retried, released] = await store.add([newJob("r", { data: "retry" }), newJob("r")]);
      const [a, b] = (await claim(store, "r")).jobs;
      const { jobs } = await store.settle([
        {
          id: a.id,
          token: a.token,
          outcome: "retry",
          now: T0 + 10,
          runAt: T0 + 5_000,
          error: { message: "try again" },
          logs: [],
        },
        { id: b.id, token: b.token, outcome: "release", now: T0 + 10, logs: [] },
      ]);
      assertFields(jobs[0], {
        id: retried.id,
        status: "delayed",
        runAt: T0 + 5_000,
        attempts: 1,
        error: { message: "try again" },
      });
      assert.equal(jobs[0]?.finished, undefined);
      assertFields(jobs[1], { id: released.id, status: "queued", attempts: 0 });
      assert.equal(jobs[1]?.leaseUntil, undefined);

      const again = await claim(store, "r", { now: T0 + 10 });
      assert.deepEqual(ids(again.jobs), [released.id], "a released job is ready at once");
      assertFields(again.jobs[0], { attempts: 1 });
      const later = await claim(store, "r", { now: T0 + 5_000 });
      assert.deepEqual(ids(later.jobs), [retried.id]);
      assertFields(later.jobs[0], { status: "processing", attempts: 2, data: "retry" });
    },
  },
  {
    name: "settle: claims the next request in the same call",
    async run(store) {
      const [first, second] = await store.add([
        newJob("n", { created: T0 }),
        newJob("n", { created: T0 + 1 }),
      ]);
      const leased = await claimOne(store, "n");
      assert.equal(leased.id, first.id);
      const result = await store.settle(
        [{ id: leased.id, token: leased.token, outcome: "completed", now: T0 + 5, logs: [] }],
        { groups: [["n"]], limit: 5, worker: "w-next", leaseMs: 1_000, now: T0 + 5 },
      );
      assertFields(result.jobs[0], { status: "completed" });
      assert.deepEqual(ids(result.claimed.jobs), [second.id]);
      assertFields(result.claimed.jobs[0], {
        status: "processing",
        worker: "w-next",
        leaseUntil: T0 + 1_005,
      });
      assert.equal(typeof result.claimed.jobs[0].token, "string");
    },
  },
  {
    name: "settle: refuses a stale token after recovery and after a new claim",
    async run(store) {
      const [job] = await store.add([newJob("fence")]);
      const first = await claimOne(store, "fence", { leaseMs: 1_000 });
      assert.equal((await store.recover(T0 + 1_001)).length, 1);
      const settle = (token: string, now: number) =>
        store.settle([{
          id: job.id,
          token,
          outcome: "completed",
          now,
          logs: [{ time: now, message: "late" }],
        }]);
      assert.deepEqual((await settle(first.token, T0 + 1_002)).jobs, [undefined]);
      assertFields(await store.get(job.id), { status: "queued" }, "the recovered job");

      const second = await claimOne(store, "fence", { now: T0 + 1_003 });
      assert.notEqual(second.token, first.token);
      assertFields(second, { attempts: 2 });
      assert.deepEqual((await settle(first.token, T0 + 1_004)).jobs, [undefined]);
      assert.deepEqual(await store.renew([{ id: job.id, token: first.token }], 1_000, T0 + 1_004), [
        false,
      ]);
      assert.deepEqual((await settle("not-a-token", T0 + 1_004)).jobs, [undefined]);
      assert.ok(!(await store.logs(job.id)).some((line) => line.message === "late"));

      assertFields((await settle(second.token, T0 + 1_005)).jobs[0], {
        status: "completed",
        finished: T0 + 1_005,
      });
      assert.deepEqual(
        (await settle(second.token, T0 + 1_006)).jobs,
        [undefined],
        "settled once only",
      );
      const unknown = await store.settle([{
        id: "404404",
        token: second.token,
        outcome: "failed",
        now: T0,
        logs: [],
      }]);
      assert.deepEqual(unknown.jobs, [undefined]);
    },
  },
];
