/**
 * Conformance cases for the log lines and progress a renewal carries (wave 2): written with
 * the lease only while its token holds, so a crashed attempt keeps what it logged up to its
 * last renewal and a worker that lost its lease writes nothing. @module
 */

import assert from "node:assert/strict";
import type { LogLine } from "../src/job.ts";
import { STORE_MESSAGES } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { assertFields, claim, claimOne, newJob, plain, T0 } from "./_helpers.ts";

const line = (n: number, data?: unknown): LogLine => ({
  time: T0 + n,
  message: `line ${n}`,
  ...(data === undefined ? {} : { data }),
});

const CREATED: LogLine = { time: T0, message: "Created" };

/** The `renew logs` cases. */
export const renewLogsCases: StoreCase[] = [
  {
    name: "renew logs: appends a live lease's lines after the earlier ones and keeps its progress",
    async run(store) {
      const [job] = await store.add([newJob("flush")]);
      const leased = await claimOne(store, "flush", { leaseMs: 1_000 });
      const lease = { id: job.id, token: leased.token };
      assert.deepEqual(
        await store.renew(
          [{
            ...lease,
            logs: [line(1, { step: [1] }), line(2)],
            progress: { current: 1, total: 4 },
          }],
          1_000,
          T0 + 500,
        ),
        [true],
      );
      assert.deepEqual(plain(await store.logs(job.id)), [CREATED, line(1, { step: [1] }), line(2)]);
      assertFields(await store.get(job.id), {
        status: "processing",
        progress: { current: 1, total: 4 },
        leaseUntil: T0 + 1_500,
      });
      assert.deepEqual(await store.renew([{ ...lease, logs: [] }], 1_000, T0 + 600), [true]);
      assert.deepEqual(await store.renew([{ ...lease, logs: [line(3)] }], 1_000, T0 + 700), [true]);
      assertFields(await store.get(job.id), { progress: { current: 1, total: 4 } }, "kept");
      await store.settle([{
        id: job.id,
        token: leased.token,
        outcome: "completed",
        now: T0 + 800,
        progress: { current: 4, total: 4 },
        logs: [line(4)],
      }]);
      assert.deepEqual(plain(await store.logs(job.id)), [
        CREATED,
        line(1, { step: [1] }),
        line(2),
        line(3),
        line(4),
      ]);
      assertFields(await store.get(job.id), { progress: { current: 4, total: 4 } });
    },
  },
  {
    name: "renew logs: a lease lost to recovery, a cancel or a newer claim writes nothing",
    async run(store) {
      const [recovered, cancelled, reclaimed, live] = await store.add([
        newJob("lost-a"),
        newJob("lost-b"),
        newJob("lost-c"),
        newJob("lost-d"),
      ]);
      const [a, b, c] = (await claim(store, [["lost-a", "lost-b", "lost-c", "lost-d"]], {
        leaseMs: 1_000,
      })).jobs;
      assert.equal((await store.recover(T0 + 1_001)).length, 4, "every lease expired");
      const [again] = (await claim(store, "lost-c", { now: T0 + 1_002, leaseMs: 10_000 })).jobs;
      const [fresh] = (await claim(store, "lost-d", { now: T0 + 1_002, leaseMs: 10_000 })).jobs;
      await store.cancel(cancelled.id, T0 + 1_003);
      const progress = { current: 9, total: 10 };
      const renewed = await store.renew(
        [
          { id: recovered.id, token: a.token, logs: [line(10)], progress },
          { id: cancelled.id, token: b.token, logs: [line(11)], progress },
          { id: reclaimed.id, token: c.token, logs: [line(12)], progress },
          { id: live.id, token: fresh.token, logs: [line(13)] },
        ],
        5_000,
        T0 + 1_004,
      );
      assert.deepEqual(renewed, [false, false, false, true]);
      assert.deepEqual(plain(await store.logs(recovered.id)), [
        CREATED,
        { time: T0 + 1_001, message: STORE_MESSAGES.stalledRequeued },
      ]);
      assert.deepEqual(plain(await store.logs(cancelled.id)), [
        CREATED,
        { time: T0 + 1_001, message: STORE_MESSAGES.stalledRequeued },
        { time: T0 + 1_003, message: STORE_MESSAGES.cancelled },
      ]);
      assert.ok(!(await store.logs(reclaimed.id)).some((l) => l.message === "line 12"));
      for (const job of [recovered, cancelled, reclaimed]) {
        assert.equal((await store.get(job.id))?.progress, undefined, `no progress on ${job.id}`);
      }
      assertFields(await store.get(reclaimed.id), {
        status: "processing",
        leaseUntil: T0 + 1_002 + 10_000,
        worker: "worker-1",
      }, "the newer claim's lease is untouched");
      assert.equal(again.id, reclaimed.id);
      // logs() is in time order: line 13 (written at T0 + 13) sorts before the stall line.
      assert.deepEqual(
        plain((await store.logs(live.id)).find((l) => l.message === "line 13")),
        line(13),
      );
      assertFields(await store.get(live.id), { leaseUntil: T0 + 6_004 });
    },
  },
];
