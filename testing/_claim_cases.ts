/**
 * Conformance cases for `claim`: exclusivity, the fields a claim sets, delayed jobs, and the
 * order of priority groups, tasks and the `priority` field, also when the limit leaves ready
 * jobs behind. @module
 */

import assert from "node:assert/strict";
import type { StoreCase } from "./_helpers.ts";
import { assertFields, claim, claimOne, ids, LEASE, newJob, T0 } from "./_helpers.ts";

/** The `claim` cases. */
export const claimCases: StoreCase[] = [
  {
    name: "claim: hands each job to one claimer when claims run concurrently",
    async run(store) {
      const added = await store.add(
        Array.from({ length: 200 }, (_, i) => newJob("race", { data: i, created: T0 + i })),
      );
      const seen = new Map<string, string>();
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => claim(store, "race", { limit: 7, worker: `w${i}` })),
        );
        let claimed = 0;
        for (const [i, { jobs }] of results.entries()) {
          assert.ok(jobs.length <= 7, `claimer ${i} got ${jobs.length} jobs with limit 7`);
          for (const job of jobs) {
            assert.ok(!seen.has(job.id), `job ${job.id} handed to ${seen.get(job.id)} and w${i}`);
            assert.equal(job.worker, `w${i}`);
            seen.set(job.id, `w${i}`);
            claimed++;
          }
        }
        if (claimed === 0) break;
      }
      assert.equal(seen.size, 200, "every job is handed out");
      assert.deepEqual([...seen.keys()].sort(), added.map((job) => job.id).sort());
      assert.equal(await store.count({ status: "processing" }), 200);
    },
  },
  {
    name: "claim: sets status, attempts, started, worker, lease, token and maxAttempts",
    async run(store) {
      const [job, plain, elsewhere] = await store.add([
        newJob("send"),
        newJob("plain"),
        newJob("elsewhere"),
      ]);
      const { jobs } = await claim(store, [["send"]], {
        now: T0 + 100,
        worker: "w-7",
        leaseMs: 5_000,
        maxAttempts: { send: 3 },
      });
      assert.deepEqual(ids(jobs), [job.id]);
      const leased = jobs[0];
      assertFields(leased, {
        id: job.id,
        task: "send",
        status: "processing",
        attempts: 1,
        started: T0 + 100,
        worker: "w-7",
        leaseUntil: T0 + 5_100,
        maxAttempts: 3,
      }, "the claimed job");
      assert.equal(typeof leased.token, "string");
      assert.ok(leased.token.length > 0, "a token is never empty");

      const stored = await store.get(job.id);
      assertFields(stored, { status: "processing", attempts: 1, worker: "w-7" }, "the stored job");
      assert.equal(stored?.leaseUntil, T0 + 5_100);
      assert.ok(!stored || !("token" in stored), "get() never reveals the token");

      assert.deepEqual((await claim(store, "send", { now: T0 + 200 })).jobs, []);
      const other = await claimOne(store, "plain", { now: T0 + 200 });
      assert.equal(other.id, plain.id);
      assert.equal(other.maxAttempts ?? 0, 0, "maxAttempts is 0 when the request has none");
      assert.notEqual(other.token, leased.token);
      assertFields(await store.get(elsewhere.id), { status: "queued", attempts: 0 });
    },
  },
  {
    name: "claim: takes a delayed job at its runAt, not before, and reports the next runAt",
    async run(store) {
      const [soon, late] = await store.add([
        newJob("timer", { runAt: T0 + 1_000 }),
        newJob("timer", { runAt: T0 + 3_000 }),
        newJob("unrelated", { runAt: T0 + 500 }),
      ]);
      const early = await claim(store, "timer", { now: T0 + 999 });
      assert.deepEqual(early.jobs, []);
      if (early.next !== undefined) assert.equal(early.next, T0 + 1_000);

      const due = await claim(store, "timer", { now: T0 + 1_000 });
      assert.deepEqual(ids(due.jobs), [soon.id]);
      assertFields(due.jobs[0], { status: "processing", attempts: 1, started: T0 + 1_000 });

      const after = await claim(store, "timer", { now: T0 + 1_000 });
      assert.deepEqual(after.jobs, []);
      if (after.next !== undefined) assert.equal(after.next, T0 + 3_000);
      assertFields(await store.get(late.id), { status: "delayed", runAt: T0 + 3_000 });
      assert.deepEqual(ids((await claim(store, "timer", { now: T0 + 3_000 })).jobs), [late.id]);

      const none = await claim(store, "timer", { now: T0 + 9_000 });
      assert.deepEqual(none.jobs, []);
      assert.equal(none.next, undefined, "no next runAt when nothing is delayed");
    },
  },
  {
    name: "claim: empties one priority group before the next, oldest first across its tasks",
    async run(store) {
      const [b1, b2] = await store.add([
        newJob("b", { created: T0 }),
        newJob("b", { created: T0 + 1 }),
      ]);
      const [y2, x3, y4, x5, lateX] = await store.add([
        newJob("y", { created: T0 + 2 }),
        newJob("x", { created: T0 + 3 }),
        newJob("y", { created: T0 + 4 }),
        newJob("x", { created: T0 + 5 }),
        // Created first but ready at T0 + 10: it queues by the time it became ready.
        newJob("x", { created: T0, runAt: T0 + 10 }),
      ]);
      const groups = [["x", "y"], ["b"]];
      const first = await claim(store, groups, { now: T0 + 100, limit: 3 });
      assert.deepEqual(ids(first.jobs), [y2.id, x3.id, y4.id]);
      const rest = await claim(store, groups, { now: T0 + 100, limit: 10 });
      assert.deepEqual(ids(rest.jobs), [x5.id, lateX.id, b1.id, b2.id]);
    },
  },
  {
    name: "claim: orders a group by the priority field before age",
    async run(store) {
      const [p5, p0, pMinus, p0late, q] = await store.add([
        newJob("p", { priority: 5, created: T0 }),
        newJob("p", { priority: 0, created: T0 + 1 }),
        newJob("p", { priority: -1, created: T0 + 2 }),
        newJob("p", { priority: 0, created: T0 + 3 }),
        newJob("q", { priority: -10, created: T0 + 4 }),
      ]);
      const { jobs } = await claim(store, [["p", "q"]], { now: T0 + 10 });
      assert.deepEqual(ids(jobs), [q.id, pMinus.id, p0.id, p0late.id, p5.id]);
      assert.equal(jobs[0].leaseUntil, T0 + 10 + LEASE);
    },
  },
  {
    name:
      "claim: takes the best jobs by group and priority when the limit is below the ready count",
    async run(store) {
      // Added oldest first with the worst priorities first, so a claim that took the oldest
      // ready jobs (or one task's jobs) and ordered only those would hand out others.
      const [p5, p0, pMinus, p0late, q, r, due] = await store.add([
        newJob("p", { priority: 5, created: T0 }),
        newJob("p", { priority: 0, created: T0 + 1 }),
        newJob("p", { priority: -1, created: T0 + 2 }),
        newJob("p", { priority: 0, created: T0 + 3 }),
        newJob("q", { priority: -10, created: T0 + 4 }),
        newJob("r", { priority: -100, created: T0 }),
        newJob("p", { priority: -5, created: T0, runAt: T0 + 5 }),
      ]);
      const groups = [["p", "q"], ["r"]];
      const take = async () => ids((await claim(store, groups, { now: T0 + 10, limit: 2 })).jobs);
      assert.deepEqual(await take(), [q.id, due.id], "first claim");
      assert.deepEqual(await take(), [pMinus.id, p0.id], "second claim");
      assert.deepEqual(await take(), [p0late.id, p5.id], "third claim");
      assert.deepEqual(await take(), [r.id], "the next group only once the first is empty");
      assert.deepEqual(await take(), []);
    },
  },
];
