/**
 * Conformance cases for the verbs an operator uses on one job (wave 2): `removeJob` and
 * `promote`, including their races with `claim`. @module
 */

import assert from "node:assert/strict";
import type { Store } from "../src/store.ts";
import { STORE_MESSAGES } from "../src/store.ts";
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

function assertRemoveJob(store: Store): void {
  assert.equal(
    typeof store.removeJob,
    "function",
    'removeJob() is missing: implement it or skip "removeJob" with a reason',
  );
}

function assertPromote(store: Store): void {
  assert.equal(
    typeof store.promote,
    "function",
    'promote() is missing: implement it or skip "promote" with a reason',
  );
}

/** The `removeJob` and `promote` cases. */
export const byHandCases: StoreCase[] = [
  {
    name: "removeJob: deletes a job in any status with its logs and returns it as it was",
    async run(store) {
      assertRemoveJob(store);
      const [queued, delayed, running] = await store.add([
        newJob("rm"),
        newJob("rm", { runAt: T0 + 60_000 }),
        newJob("rm-running"),
      ]);
      await claimOne(store, "rm-running");
      const completed = await runJob(store, "rm-done", "completed");
      const failed = await runJob(store, "rm-done", "failed");
      const [cancelled] = await store.add([newJob("rm-cancelled")]);
      await store.cancel(cancelled.id, T0 + 2);
      const statuses = [
        [queued, "queued"],
        [delayed, "delayed"],
        [running, "processing"],
        [completed, "completed"],
        [failed, "failed"],
        [cancelled, "cancelled"],
      ] as const;
      for (const [job, status] of statuses) {
        const before = await store.get(job.id);
        const removed = await store.removeJob!(job.id);
        assertFields(removed, { id: job.id, status }, `the removed ${status} job`);
        assert.deepEqual(plain(removed), plain(before), `removeJob returns the ${status} record`);
        assert.equal(await store.get(job.id), undefined, `the ${status} job is gone`);
        assert.deepEqual(await store.logs(job.id), [], `the ${status} job's logs are gone`);
        assert.equal(await store.removeJob!(job.id), undefined, `a second remove of ${status}`);
      }
      assert.equal(await store.removeJob!("404404"), undefined);
      assert.equal(await store.count({}), 0);
      assert.deepEqual(await store.find({}, { offset: 0, limit: 10 }), []);
      const stats = await store.stats();
      const left = Object.values(stats).flatMap((counts) => Object.values(counts));
      assert.ok(left.every((n) => n === 0), `stats count no removed job: ${JSON.stringify(stats)}`);
    },
  },
  {
    name: "removeJob: a removed waiting job is never claimed, and its key is free again",
    async run(store) {
      assertRemoveJob(store);
      const [keyed, due] = await store.add([
        newJob("gone", { key: "report" }),
        newJob("gone", { runAt: T0 + 10 }),
      ]);
      await store.removeJob!(keyed.id);
      await store.removeJob!(due.id);
      assert.deepEqual((await claim(store, "gone", { now: T0 + 1_000 })).jobs, []);
      const [fresh] = await store.add([newJob("gone", { key: "report" })]);
      assert.ok(![keyed.id, due.id].includes(fresh.id), "a new job, with a new id");
      assertFields(fresh, { key: "report", status: "queued" });
      assert.deepEqual(ids((await claim(store, "gone", { now: T0 + 1_000 })).jobs), [fresh.id]);
    },
  },
  {
    name: "removeJob: a running job's token is useless once it is removed (remove vs claim)",
    async run(store) {
      assertRemoveJob(store);
      const [job] = await store.add([newJob("racing")]);
      const leased = await claimOne(store, "racing", { leaseMs: 1_000 });
      assertFields(await store.removeJob!(job.id), { status: "processing", worker: "worker-1" });
      const line = { time: T0 + 5, message: "late line" };
      assert.deepEqual(
        await store.renew([{ id: job.id, token: leased.token, logs: [line] }], 1_000, T0 + 5),
        [false],
      );
      const settled = await store.settle([{
        id: job.id,
        token: leased.token,
        outcome: "completed",
        now: T0 + 6,
        logs: [line],
        result: "late",
      }]);
      assert.deepEqual(settled.jobs, [undefined]);
      await store.appendLogs(job.id, [line]);
      assert.equal(await store.get(job.id), undefined, "nothing brings the job back");
      assert.deepEqual(await store.logs(job.id), []);
      assert.deepEqual(await store.recover(T0 + 5_000), [], "nothing left to recover");
      assert.deepEqual((await claim(store, "racing", { now: T0 + 5_000 })).jobs, []);
    },
  },
  {
    name: "promote: makes a delayed job ready at once, with a log line",
    async run(store) {
      assertPromote(store);
      const [delayed, queued] = await store.add([
        newJob("later", { runAt: T0 + 60_000, data: { n: 1 } }),
        newJob("now"),
      ]);
      assert.deepEqual((await claim(store, "later", { now: T0 + 10 })).jobs, [], "not yet due");
      const promoted = await store.promote!(delayed.id, T0 + 10);
      assertFields(promoted, { id: delayed.id, status: "queued", attempts: 0, data: { n: 1 } });
      assert.equal(promoted?.runAt, undefined, "runAt is cleared");
      assert.deepEqual(plain(await store.get(delayed.id)), plain(promoted));
      await assertLastLog(store, delayed.id, { time: T0 + 10, message: STORE_MESSAGES.promoted });
      assert.deepEqual(ids((await claim(store, "later", { now: T0 + 11 })).jobs), [delayed.id]);

      assert.equal(await store.promote!(queued.id, T0 + 12), undefined, "queued: not delayed");
      assert.equal(await store.promote!(delayed.id, T0 + 12), undefined, "processing");
      const done = await runJob(store, "done", "completed");
      assert.equal(await store.promote!(done.id, T0 + 12), undefined, "completed");
      assert.equal(await store.promote!("404404", T0 + 12), undefined, "unknown");
      assert.equal((await store.logs(queued.id)).length, 1, "a refused promote writes nothing");
    },
  },
  {
    name: "promote: a promoted job orders by its creation among ready jobs of its priority",
    async run(store) {
      assertPromote(store);
      const [early, middle, late] = await store.add([
        newJob("order", { created: T0, runAt: T0 + 60_000 }),
        newJob("order", { created: T0 + 1 }),
        newJob("order", { created: T0 + 2, runAt: T0 + 60_000 }),
      ]);
      await store.promote!(late.id, T0 + 5);
      await store.promote!(early.id, T0 + 6);
      const { jobs } = await claim(store, "order", { now: T0 + 7 });
      assert.deepEqual(ids(jobs), ids([early, middle, late]));
    },
  },
  {
    name: "promote: keeps a retried job's attempts and error",
    async run(store) {
      assertPromote(store);
      const retried = await runJob(store, "flaky", "retry");
      assertFields(retried, { status: "delayed" });
      const promoted = await store.promote!(retried.id, T0 + 2);
      assertFields(promoted, { status: "queued", attempts: 1, error: retried.error });
      assertFields(await claimOne(store, "flaky", { now: T0 + 3 }), { attempts: 2 });
    },
  },
  {
    name: "promote: a job claimed once due cannot be promoted, one promoted is claimed once",
    async run(store) {
      assertPromote(store);
      const [due, waiting] = await store.add([
        newJob("race", { runAt: T0 + 100 }),
        newJob("race-2", { runAt: T0 + 100 }),
      ]);
      const leased = await claimOne(store, "race", { now: T0 + 100 });
      assert.equal(leased.id, due.id);
      assert.equal(await store.promote!(due.id, T0 + 101), undefined, "claim first: no promote");
      assertFields(await store.get(due.id), {
        status: "processing",
        leaseUntil: T0 + 100 + 30_000,
      });

      await store.promote!(waiting.id, T0 + 1);
      const first = await claim(store, "race-2", { now: T0 + 2 });
      const second = await claim(store, "race-2", { now: T0 + 200 });
      assert.deepEqual(ids(first.jobs), [waiting.id]);
      assert.deepEqual(second.jobs, [], "promote first: claimed once, not again when runAt passes");
    },
  },
];
