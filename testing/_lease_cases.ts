/**
 * Conformance cases for leases and cancellation: `renew`, `recover` and `cancel`. @module
 */

import assert from "node:assert/strict";
import { STALLED_ERROR, STORE_MESSAGES } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import {
  assertFields,
  assertLastLog,
  claim,
  claimOne,
  ids,
  newJob,
  plain,
  runJob,
  T0,
} from "./_helpers.ts";

/** The `renew`, `recover` and `cancel` cases. */
export const leaseCases: StoreCase[] = [
  {
    name: "renew: extends live leases and reports lost ones",
    async run(store) {
      const [a, b] = await store.add([newJob("lease"), newJob("lease")]);
      const [leasedA, leasedB] = (await claim(store, "lease", { leaseMs: 1_000 })).jobs;
      const renewed = await store.renew(
        [
          { id: a.id, token: leasedA.token },
          { id: b.id, token: "not-a-token" },
          { id: "404404", token: leasedB.token },
        ],
        5_000,
        T0 + 500,
      );
      assert.deepEqual(renewed, [true, false, false]);
      assertFields(await store.get(a.id), { leaseUntil: T0 + 5_500 });
      assertFields(await store.get(b.id), { leaseUntil: T0 + 1_000 });
      assert.deepEqual(ids(await store.recover(T0 + 1_001)), [b.id]);
      assert.deepEqual(await store.recover(T0 + 5_500), []);
      assert.deepEqual(ids(await store.recover(T0 + 5_501)), [a.id]);
      assert.deepEqual(await store.renew([{ id: a.id, token: leasedA.token }], 5_000, T0 + 5_502), [
        false,
      ]);
    },
  },
  {
    name: "recover: requeues a job once its lease has expired, with a log line",
    async run(store) {
      const [job] = await store.add([newJob("stall")]);
      const leased = await claimOne(store, "stall", { leaseMs: 1_000 });
      assert.equal(leased.leaseUntil, T0 + 1_000);
      assert.deepEqual(await store.recover(T0 + 1_000), [], "a lease is valid until leaseUntil");
      const recovered = await store.recover(T0 + 1_001);
      assert.deepEqual(ids(recovered), [job.id]);
      assertFields(recovered[0], { status: "queued", attempts: 1 });
      assert.equal(recovered[0].leaseUntil, undefined);
      assert.deepEqual(plain(await store.get(job.id)), plain(recovered[0]));
      await assertLastLog(store, job.id, {
        time: T0 + 1_001,
        message: STORE_MESSAGES.stalledRequeued,
      });
      assert.deepEqual(await store.recover(T0 + 99_999), []);
      assert.equal((await claimOne(store, "stall", { now: T0 + 1_002 })).id, job.id);
    },
  },
  {
    name: "recover: fails a stalled job with STALLED_ERROR once its attempts are spent",
    async run(store) {
      const [job, endless] = await store.add([newJob("spent"), newJob("endless")]);
      const maxAttempts = { spent: 2 };
      await claimOne(store, "spent", { leaseMs: 1_000, maxAttempts });
      assertFields((await store.recover(T0 + 1_001))[0], { status: "queued", attempts: 1 });
      await claimOne(store, "spent", { now: T0 + 2_000, leaseMs: 1_000, maxAttempts });
      const [failed] = await store.recover(T0 + 3_001);
      assertFields(failed, {
        id: job.id,
        status: "failed",
        attempts: 2,
        finished: T0 + 3_001,
        error: STALLED_ERROR,
      });
      await assertLastLog(store, job.id, {
        time: T0 + 3_001,
        message: STORE_MESSAGES.stalledFailed,
      });

      for (let attempt = 1; attempt <= 3; attempt++) {
        const now = T0 + attempt * 10_000;
        await claimOne(store, "endless", { now, leaseMs: 1_000 });
        const [again] = await store.recover(now + 1_001);
        assertFields(
          again,
          { id: endless.id, status: "queued", attempts: attempt },
          "a job without maxAttempts",
        );
      }
    },
  },
  {
    name: "cancel: cancels waiting and running jobs, fences the old token, skips final ones",
    async run(store) {
      const [queued, delayed, running] = await store.add([
        newJob("c"),
        newJob("c", { runAt: T0 + 100 }),
        newJob("running"),
      ]);
      const leased = await claimOne(store, "running");
      for (const job of [queued, delayed, running]) {
        const cancelled = await store.cancel(job.id, T0 + 50);
        assertFields(
          cancelled,
          { id: job.id, status: "cancelled", finished: T0 + 50 },
          `cancelled ${job.id}`,
        );
        assert.equal(cancelled?.leaseUntil, undefined);
        assert.deepEqual(plain(await store.get(job.id)), plain(cancelled));
        await assertLastLog(store, job.id, { time: T0 + 50, message: STORE_MESSAGES.cancelled });
      }
      const late = await store.settle([
        { id: running.id, token: leased.token, outcome: "completed", now: T0 + 60, logs: [] },
      ]);
      assert.deepEqual(late.jobs, [undefined]);
      assert.deepEqual(
        await store.renew([{ id: running.id, token: leased.token }], 1_000, T0 + 60),
        [false],
      );
      assertFields(await store.get(running.id), { status: "cancelled" });
      assert.deepEqual((await claim(store, [["c", "running"]], { now: T0 + 1_000 })).jobs, []);
      assert.equal(await store.cancel(queued.id, T0 + 70), undefined, "already cancelled");
      const completed = await runJob(store, "finished", "completed");
      assert.equal(await store.cancel(completed.id, T0 + 70), undefined, "already completed");
      assert.equal(await store.cancel("404404", T0 + 70), undefined);
    },
  },
];
