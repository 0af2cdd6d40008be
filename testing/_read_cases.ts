/**
 * Conformance cases for reading and cleaning: `find`, `count`, `stats` and `remove`. @module
 */

import assert from "node:assert/strict";
import { MAX_DATA_DEPTH } from "../src/json_data.ts";
import type { JobStats, Store } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import {
  assertSameJson,
  claim,
  claimOne,
  deepData,
  ids,
  newJob,
  plain,
  runJob,
  T0,
} from "./_helpers.ts";

function all(store: Store, query: Record<string, unknown>) {
  return store.find(query, { offset: 0, limit: 1_000 }).then(ids);
}

/** Drops zero counts and tasks without jobs, which a store may or may not report. */
function nonZero(stats: JobStats): JobStats {
  const out: JobStats = {};
  for (const [task, counts] of Object.entries(stats)) {
    const kept = Object.entries(counts).filter(([, n]) => n !== 0);
    if (kept.length > 0) out[task] = Object.fromEntries(kept);
  }
  return out;
}

/** The read and clean cases. */
export const readCases: StoreCase[] = [
  {
    name:
      "get: returns data nested 1000 levels deep (the core's limit) as added, as do find, claim and settle",
    async run(store) {
      const data = deepData(MAX_DATA_DEPTH);
      const [added] = await store.add([newJob("deep", { data })]);
      assertSameJson(added.data, data, "add returns the data");
      assertSameJson((await store.get(added.id))?.data, data, "get returns the data");
      const [found] = await store.find({ task: "deep" }, { offset: 0, limit: 1 });
      assertSameJson(found?.data, data, "find returns the data");
      const [matched] = await store.find({ "data.1": { $exists: true } }, { offset: 0, limit: 1 });
      assertSameJson(matched?.data, data, "find through a data query returns the data");
      const leased = await claimOne(store, "deep");
      assertSameJson(leased.data, data, "claim returns the data");
      const { jobs } = await store.settle([
        { id: leased.id, token: leased.token, outcome: "completed", now: T0 + 1, logs: [] },
      ]);
      assertSameJson(jobs[0]?.data, data, "settle returns the data");
      assertSameJson((await store.get(added.id))?.data, data, "get after settle returns the data");
    },
  },
  {
    name: "find: matches status, task lists, data paths, $or and nested operators",
    async run(store) {
      const [pro, free, vip, later] = await store.add([
        newJob("email", { data: { user: 42, plan: { tier: "pro", seats: 5 } }, created: T0 + 1 }),
        newJob("sms", { data: { user: 42, plan: { tier: "free", seats: 1 } }, created: T0 + 2 }),
        newJob("push", { data: { user: 7, tags: ["vip"] }, created: T0 + 3, priority: 2 }),
        newJob("email", { data: { user: 7 }, created: T0 + 4, runAt: T0 + 100 }),
      ]);
      const leased = await claimOne(store, "email");
      assert.equal(leased.id, pro.id);
      await store.settle([{
        id: pro.id,
        token: leased.token,
        outcome: "completed",
        now: T0 + 5,
        logs: [],
      }]);

      assert.deepEqual(await all(store, {}), ids([pro, free, vip, later]));
      assert.deepEqual(await all(store, { status: "queued" }), ids([free, vip]));
      assert.deepEqual(
        await all(store, { task: { $in: ["email", "sms"] } }),
        ids([pro, free, later]),
      );
      assert.deepEqual(await all(store, { "data.user": 42 }), ids([pro, free]));
      assert.deepEqual(
        await all(store, { $or: [{ "data.user": 7 }, { task: "sms" }] }),
        ids([free, vip, later]),
      );
      assert.deepEqual(await all(store, { "data.plan.tier": "pro" }), ids([pro]));
      assert.deepEqual(await all(store, { "data.plan.seats": { $gte: 2 } }), ids([pro]));
      assert.deepEqual(await all(store, { "data.tags": "vip" }), ids([vip]));
      assert.deepEqual(
        await all(store, { status: { $in: ["queued", "delayed"] }, "data.user": 7 }),
        ids([vip, later]),
      );
      assert.deepEqual(
        await all(store, {
          $and: [{ task: "email" }, { $or: [{ status: "completed" }, { status: "delayed" }] }],
        }),
        ids([pro, later]),
      );
      assert.deepEqual(
        await all(store, { priority: { $gt: 0 }, status: { $ne: "completed" } }),
        ids([vip]),
      );
      assert.deepEqual(await all(store, { status: "failed" }), []);
      const [found] = await store.find({ "data.user": 7, task: "push" }, { offset: 0, limit: 1 });
      assert.deepEqual(plain(found), plain(await store.get(vip.id)));
      (found.data as { user: number }).user = 0;
      assert.deepEqual(await all(store, { "data.user": 0 }), [], "find returns copies");
    },
  },
  {
    name: "find: pages with offset and limit, in creation order or by a sort field",
    async run(store) {
      const jobs = await store.add(
        Array.from(
          { length: 10 },
          (_, i) =>
            newJob("page", {
              data: { even: i % 2 === 0 },
              created: T0 + i,
              priority: (i * 3) % 10,
            }),
        ),
      );
      const page = (
        offset: number,
        limit: number,
        sort?: { field: "priority" | "created"; direction: 1 | -1 },
      ) => store.find({}, { offset, limit, sort }).then(ids);
      const all = ids(jobs);
      assert.deepEqual(await page(0, 4), all.slice(0, 4));
      assert.deepEqual(await page(4, 4), all.slice(4, 8));
      assert.deepEqual(await page(8, 4), all.slice(8));
      assert.deepEqual(await page(20, 4), []);
      const byPriority = [...jobs].sort((a, b) => a.priority - b.priority);
      assert.deepEqual(await page(0, 10, { field: "priority", direction: 1 }), ids(byPriority));
      assert.deepEqual(
        await page(2, 3, { field: "priority", direction: -1 }),
        ids(byPriority.reverse().slice(2, 5)),
      );
      assert.deepEqual(
        await page(0, 3, { field: "created", direction: -1 }),
        all.slice(-3).reverse(),
      );
      const even = await store.find({ "data.even": true }, { offset: 1, limit: 2 });
      assert.deepEqual(ids(even), [all[2], all[4]]);
    },
  },
  {
    name: "count: counts every job or those matching a query",
    async run(store) {
      assert.equal(await store.count({}), 0);
      await store.add([
        newJob("a", { data: { n: 1 } }),
        newJob("a", { data: { n: 2 } }),
        newJob("a", { data: { n: 3 }, runAt: T0 + 1_000 }),
        newJob("b", { data: { n: 4 } }),
        newJob("b", { data: { n: 5 } }),
      ]);
      await claimOne(store, "b");
      assert.equal(await store.count({}), 5);
      assert.equal(await store.count({ status: "queued" }), 3);
      assert.equal(await store.count({ task: "a" }), 3);
      assert.equal(await store.count({ task: "a", status: "delayed" }), 1);
      assert.equal(await store.count({ status: "processing" }), 1);
      assert.equal(
        await store.count({ status: { $in: ["queued", "delayed"] }, task: { $in: ["a", "b"] } }),
        4,
      );
      assert.equal(await store.count({ "data.n": { $gt: 2 } }), 3);
      assert.equal(await store.count({ task: "nobody" }), 0);
    },
  },
  {
    name: "stats: counts jobs by task and status",
    async run(store) {
      assert.deepEqual(nonZero(await store.stats()), {});
      await store.add([newJob("a"), newJob("a"), newJob("a", { runAt: T0 + 1_000 }), newJob("b")]);
      await claimOne(store, "b");
      await runJob(store, "b", "completed");
      await runJob(store, "c", "failed");
      assert.deepEqual(nonZero(await store.stats()), {
        a: { queued: 2, delayed: 1 },
        b: { processing: 1, completed: 1 },
        c: { failed: 1 },
      });
    },
  },
  {
    name: "remove: deletes jobs by status and task with their logs and returns the count",
    async run(store) {
      const doneA1 = await runJob(store, "a", "completed");
      const doneA2 = await runJob(store, "a", "completed");
      const failedA = await runJob(store, "a", "failed");
      const doneB = await runJob(store, "b", "completed");
      const [queuedA] = await store.add([newJob("a")]);
      assert.equal(await store.remove({ status: ["completed"], tasks: ["a"] }), 2);
      for (const job of [doneA1, doneA2]) {
        assert.equal(await store.get(job.id), undefined);
        assert.deepEqual(await store.logs(job.id), []);
      }
      assert.equal((await store.get(doneB.id))?.status, "completed");
      assert.equal(await store.remove({ status: ["completed", "failed"] }), 2);
      assert.equal(await store.get(failedA.id), undefined);
      assert.equal(await store.remove({ status: ["completed"] }), 0);
      assert.deepEqual(await all(store, {}), [queuedA.id]);
      assert.equal(await store.remove({ status: ["queued"], tasks: ["other"] }), 0);
      assert.equal(await store.remove({ status: ["queued"] }), 1);
      assert.deepEqual((await claim(store, "a")).jobs, [], "a removed job is never claimed");
      assert.equal(await store.count({}), 0);
      assert.deepEqual(nonZero(await store.stats()), {});
      const removed = [doneA1, doneA2, failedA, doneB, queuedA].map((job) => job.id);
      const [fresh] = await store.add([newJob("a")]);
      assert.ok(!removed.includes(fresh.id), `id ${fresh.id} of a removed job was reused`);
    },
  },
];
