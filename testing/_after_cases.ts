/**
 * Conformance cases for keyset paging (`FindOptions.after`): walking pages by the last job of
 * the previous one gives exactly the order of one big `find`, for every filter a store may
 * answer from its indexes (none, status, task, both) and for one it may not (`data.n`), in
 * both directions, with runs of equal creation times that a page edge falls into.
 * @module
 */

import assert from "node:assert/strict";
import type { Job } from "../src/job.ts";
import type { FindOptions, JobQuery, Store } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { claimOne, newJob, runJob, T0 } from "./_helpers.ts";

type Sort = NonNullable<FindOptions["sort"]>;

function labels(jobs: readonly Job[]): number[] {
  return jobs.map((job) => (job.data as { n: number }).n);
}

/**
 * Jobs of three tasks in several statuses, created in runs of equal times (ids break those
 * ties), in an order that is neither id nor creation order for a task.
 */
async function addMixedJobs(store: Store): Promise<void> {
  // [task, created offset, status]
  const specs: [string, number, "queued" | "delayed" | "completed" | "processing"][] = [
    ["b", 5, "queued"],
    ["a", 1, "completed"],
    ["a", 1, "queued"],
    ["c", 3, "delayed"],
    ["b", 1, "queued"],
    ["a", 3, "processing"],
    ["b", 3, "completed"],
    ["a", 1, "queued"],
    ["c", 0, "queued"],
    ["b", 1, "completed"],
    ["a", 7, "queued"],
    ["c", 3, "queued"],
    ["a", 1, "delayed"],
    ["b", 0, "queued"],
  ];
  for (const [n, [task, at, status]] of specs.entries()) {
    const fields = { data: { n }, created: T0 + at };
    if (status === "completed") {
      // A task of its own, so the claim takes exactly this job.
      await runJob(store, `${task}-done`, "completed", fields);
    } else if (status === "delayed") {
      await store.add([newJob(task, { ...fields, runAt: T0 + 1_000_000 })]);
    } else if (status === "processing") {
      await store.add([newJob(`${task}-busy`, fields)]);
      await claimOne(store, `${task}-busy`);
    } else {
      await store.add([newJob(task, fields)]);
    }
  }
}

/** Walks `query` in pages of `size`, each after the last job of the previous one. */
async function walk(
  store: Store,
  query: JobQuery,
  sort: Sort,
  size: number,
  keep: (job: Job) => FindOptions["after"],
): Promise<number[]> {
  const seen: number[] = [];
  let after: FindOptions["after"];
  for (let page = 0; page < 100; page++) {
    const jobs = await store.find(query, { offset: 0, limit: size, sort, after });
    seen.push(...labels(jobs));
    if (jobs.length < size) return seen;
    after = keep(jobs[jobs.length - 1]);
  }
  throw new Error(`paging ${JSON.stringify(query)} did not end after 100 pages`);
}

/** Only what an HTTP cursor keeps: the sort field, `created` and `id`. */
function cursorOf(field: keyof Job): (job: Job) => Job {
  return (job) => ({ id: job.id, created: job.created, [field]: job[field] }) as unknown as Job;
}

const QUERIES: JobQuery[] = [
  {},
  { status: "queued" },
  { status: { $in: ["queued", "delayed"] } },
  { task: "a" },
  { task: { $in: ["a", "c"] } },
  { status: { $in: ["queued", "completed"] }, task: { $in: ["b", "c", "b-done"] } },
  { "data.n": { $gte: 2 } },
  // Long lists (more pairs than a store may want to read one by one).
  {
    status: {
      $in: ["queued", "delayed", "processing", "completed", "failed", "cancelled", "timeout"],
    },
    task: { $in: ["a", "b", "c", "b-done", "a-busy"] },
  },
  {
    status: { $in: ["queued", "completed"] },
    task: { $in: ["a", "b", "c", "b-done", ...Array.from({ length: 14 }, (_, n) => `none-${n}`)] },
  },
];

/** The keyset paging cases. */
export const afterCases: StoreCase[] = [
  {
    name: "after: pages by creation order give one find's order for every filter",
    async run(store) {
      await addMixedJobs(store);
      for (const direction of [1, -1] as const) {
        const sort: Sort = { field: "created", direction };
        for (const query of QUERIES) {
          const want = labels(await store.find(query, { offset: 0, limit: 1_000, sort }));
          const label = `${JSON.stringify(query)} by created ${direction}`;
          assert.ok(want.length > 0, `${label} matches jobs`);
          for (const size of [1, 2, 3]) {
            assert.deepEqual(
              await walk(store, query, sort, size, (job) => job),
              want,
              `${label}, pages of ${size}`,
            );
          }
          assert.deepEqual(
            await walk(store, query, sort, 2, cursorOf("created")),
            want,
            `${label}, after only the id and creation time`,
          );
        }
      }
    },
  },
  {
    name: "after: the default order is creation order, and offset counts after after",
    async run(store) {
      await addMixedJobs(store);
      const all = await store.find({}, { offset: 0, limit: 1_000 });
      const after = all[3];
      assert.deepEqual(
        labels(await store.find({}, { offset: 0, limit: 4, after })),
        labels(all.slice(4, 8)),
        "no sort given: creation order",
      );
      assert.deepEqual(
        labels(await store.find({}, { offset: 2, limit: 3, after })),
        labels(all.slice(6, 9)),
        "offset 2 skips two jobs after after",
      );
      const tasks = { task: { $in: ["a", "b"] } };
      const sort: Sort = { field: "created", direction: -1 };
      const ofTasks = await store.find(tasks, { offset: 0, limit: 1_000, sort });
      assert.deepEqual(
        labels(await store.find(tasks, { offset: 2, limit: 3, sort, after: ofTasks[1] })),
        labels(ofTasks.slice(4, 7)),
        "offset 2 skips two jobs after after, across two tasks",
      );
      assert.deepEqual(
        await store.find({}, { offset: 0, limit: 5, after: all[all.length - 1] }),
        [],
        "nothing after the last job",
      );
    },
  },
  {
    name: "after: pages by id and by task keep their orders too",
    async run(store) {
      await addMixedJobs(store);
      for (const field of ["id", "task"] as const) {
        for (const direction of [1, -1] as const) {
          const sort: Sort = { field, direction };
          for (const query of [{}, { status: "queued" }, { "data.n": { $gte: 2 } }]) {
            const want = labels(await store.find(query, { offset: 0, limit: 1_000, sort }));
            assert.deepEqual(
              await walk(store, query, sort, 2, cursorOf(field)),
              want,
              `${JSON.stringify(query)} by ${field} ${direction}, pages of 2`,
            );
          }
        }
      }
    },
  },
  {
    name: "after: a job that is gone still marks the place",
    async run(store) {
      const jobs = await store.add(
        Array.from({ length: 6 }, (_, n) => newJob("gone", { data: { n }, created: T0 + n })),
      );
      assert.ok(await store.cancel(jobs[2].id, T0 + 10));
      assert.equal(await store.remove({ status: ["cancelled"] }), 1);
      const sort: Sort = { field: "created", direction: 1 };
      assert.deepEqual(
        labels(await store.find({}, { offset: 0, limit: 10, sort, after: jobs[2] })),
        [3, 4, 5],
      );
      assert.deepEqual(
        labels(
          await store.find({ status: "queued" }, {
            offset: 0,
            limit: 10,
            sort: { field: "created", direction: -1 },
            after: jobs[2],
          }),
        ),
        [1, 0],
      );
    },
  },
];
