/**
 * Conformance cases for what a job carries through its life (wave 2): the result a completed
 * run stores (`settle result`), and the per-job overrides saved with it (`add overrides`).
 * @module
 */

import assert from "node:assert/strict";
import type { StoreCase } from "./_helpers.ts";
import { assertFields, claim, claimOne, ids, newJob, plain, T0 } from "./_helpers.ts";

const RESULTS: unknown[] = [
  { rows: 3, nested: { list: [1, "two", null], ok: true } },
  ["a", 1, false],
  "text",
  0,
  false,
  null,
];

/** The `settle result` and `add overrides` cases. */
export const lifecycleCases: StoreCase[] = [
  {
    name: "settle result: stores a completed run's JSON result, null and falsy values included",
    async run(store) {
      const added = await store.add([...RESULTS, undefined].map(() => newJob("result")));
      const { jobs: leased } = await claim(store, "result");
      assert.equal(leased.length, added.length);
      const { jobs } = await store.settle(leased.map((job, i) => ({
        id: job.id,
        token: job.token,
        outcome: "completed" as const,
        now: T0 + 10,
        logs: [],
        ...(i < RESULTS.length ? { result: RESULTS[i] } : {}),
      })));
      for (const [i, value] of RESULTS.entries()) {
        const label = `the result ${JSON.stringify(value)}`;
        assert.deepEqual(jobs[i]?.result, value, `settle returns ${label}`);
        const stored = await store.get(leased[i].id);
        assert.ok(stored && "result" in stored, `get keeps ${label}`);
        assert.deepEqual(stored.result, value, `get returns ${label}`);
      }
      const none = await store.get(leased.at(-1)!.id);
      assert.equal(none?.result, undefined, "a run that returned nothing stores no result");
      assert.ok(!("result" in plain(none!)), "and no result field");
      const [found] = await store.find({ status: "completed" }, { offset: 0, limit: 1 });
      assert.deepEqual(plain(found.result), plain(RESULTS[0]), "find returns the result too");
      (found.result as { rows: number }).rows = 0;
      assertFields(await store.get(found.id), { result: RESULTS[0] }, "a copy was handed out");
      const given = { list: [1] };
      const [kept] = await store.add([newJob("result")]);
      const leasedKept = await claimOne(store, "result");
      await store.settle([{
        id: kept.id,
        token: leasedKept.token,
        outcome: "completed",
        now: T0 + 11,
        logs: [],
        result: given,
      }]);
      given.list.push(2);
      assertFields(await store.get(kept.id), { result: { list: [1] } }, "a copy was stored");
    },
  },
  {
    name: "settle result: a job retried and then completed stores the last run's result only",
    async run(store) {
      const [job] = await store.add([newJob("again")]);
      const first = await claimOne(store, "again");
      const { jobs: [retried] } = await store.settle([{
        id: job.id,
        token: first.token,
        outcome: "retry",
        now: T0 + 1,
        runAt: T0 + 2,
        error: { message: "not yet" },
        logs: [],
      }]);
      assert.equal(retried?.result, undefined, "a retry stores no result");
      const second = await claimOne(store, "again", { now: T0 + 2 });
      const { jobs: [done] } = await store.settle([{
        id: job.id,
        token: second.token,
        outcome: "completed",
        now: T0 + 3,
        logs: [],
        result: { attempt: 2 },
      }]);
      assertFields(done, { status: "completed", attempts: 2, result: { attempt: 2 } });
      assert.deepEqual(plain(await store.get(job.id)), plain(done));
    },
  },
  {
    name: "add overrides: stores a job's own retry, timeout, maxAttempts and trace",
    async run(store) {
      const retry = { delay: 5_000, max: 2, backoff: "exponential" as const };
      const trace = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
      const [own, plainJob] = await store.add([
        newJob("own", { retry, timeout: 1_500, maxAttempts: 4, trace }),
        newJob("own"),
      ]);
      const fields = { retry, timeout: 1_500, maxAttempts: 4, trace };
      assertFields(own, fields, "the job with overrides, as add returns it");
      assertFields(await store.get(own.id), fields, "the job with overrides, as stored");
      const bare = plain(await store.get(plainJob.id))!;
      for (const field of ["retry", "timeout", "maxAttempts", "trace"]) {
        assert.ok(!(field in bare), `a job saved without ${field} has none`);
      }
      const endless = { delay: 10, backoff: "fixed" as const };
      const [unlimited] = await store.add([newJob("own", { retry: endless, maxAttempts: 0 })]);
      assertFields(await store.get(unlimited.id), { retry: endless, maxAttempts: 0 });

      // The overrides stay through a claim, a retry and a requeue.
      const leased = await claimOne(store, "own");
      assertFields(leased, { id: own.id, retry, timeout: 1_500, trace });
      await store.settle([{
        id: own.id,
        token: leased.token,
        outcome: "failed",
        now: T0 + 1,
        error: { message: "no" },
        logs: [],
      }]);
      await store.requeue?.(own.id, T0 + 2);
      assertFields(await store.get(own.id), fields, "after a failure (and a requeue)");
    },
  },
  {
    name:
      "add overrides: a claim keeps a job's own maxAttempts and records the request's on others",
    async run(store) {
      const [own, other] = await store.add([
        newJob("stall", { maxAttempts: 1 }),
        newJob("stall"),
      ]);
      const request = { leaseMs: 1_000, maxAttempts: { stall: 5 } };
      const { jobs } = await claim(store, "stall", request);
      assert.deepEqual(ids(jobs), ids([own, other]));
      assertFields(jobs[0], { maxAttempts: 1 }, "the job saved with its own");
      assertFields(jobs[1], { maxAttempts: 5 }, "the job saved without");
      const recovered = await store.recover(T0 + 1_001);
      const byId = new Map(recovered.map((job) => [job.id, job]));
      assertFields(byId.get(own.id), { status: "failed", attempts: 1 }, "own limit reached");
      assertFields(byId.get(other.id), { status: "queued", attempts: 1 }, "other requeued");
      const again = await claimOne(store, "stall", {
        now: T0 + 2_000,
        maxAttempts: { stall: 7 },
      });
      assertFields(again, { id: other.id, maxAttempts: 7 }, "the request's value, again");
    },
  },
];
