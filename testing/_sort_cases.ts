/**
 * Conformance cases for the order of `find` (the rules of `FindOptions.sort`): ids as
 * numbers, tasks by code point, statuses in life order, ties by creation order, in both
 * directions and across pages. Each case also reads through a query the store may not answer
 * from its indexes alone (`data.n`), so every path of a store's `find` keeps the order.
 * @module
 */

import assert from "node:assert/strict";
import type { Job, JobStatus } from "../src/job.ts";
import { compareIds } from "../src/query.ts";
import type { FindOptions, JobQuery, Store } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { claimOne, newJob, runJob, T0 } from "./_helpers.ts";

type Sort = NonNullable<FindOptions["sort"]>;

/** `job.data.n` of each job, which the cases use as the job's label. */
function labels(jobs: readonly Job[]): number[] {
  return jobs.map((job) => (job.data as { n: number }).n);
}

/**
 * The expected order of `jobs`: by `rank` of the sort field, ties by `created` then id (as
 * the store's ids compare), all in `direction`.
 */
function expected(jobs: readonly Job[], rank: (job: Job) => number, direction: 1 | -1): number[] {
  const order = [...jobs].sort((a, b) =>
    (rank(a) - rank(b) || a.created - b.created || compareIds(a.id, b.id)) * direction
  );
  return labels(order);
}

/**
 * Asserts the order of `jobs` sorted by `field` in both directions: whole, in pages whose
 * edges fall inside runs of ties, and through a query matched outside the indexes.
 */
async function assertOrder(
  store: Store,
  jobs: readonly Job[],
  field: Sort["field"],
  rank: (job: Job) => number,
): Promise<void> {
  for (const direction of [1, -1] as const) {
    const sort = { field, direction };
    const want = expected(jobs, rank, direction);
    const find = (query: JobQuery, offset: number, limit: number) =>
      store.find(query, { offset, limit, sort }).then(labels);
    const label = `sort by ${field} ${direction}`;
    assert.deepEqual(await find({}, 0, 1_000), want, label);
    assert.deepEqual(await find({ "data.n": { $gte: 0 } }, 0, 1_000), want, `${label}, data query`);
    const pages: number[] = [];
    for (let offset = 0; offset < want.length; offset += 3) {
      pages.push(...await find({}, offset, 3));
    }
    assert.deepEqual(pages, want, `${label}, pages of 3`);
    assert.deepEqual(await find({}, 2, 5), want.slice(2, 7), `${label}, offset 2 limit 5`);
    assert.deepEqual(
      await find({ "data.n": { $gte: 0 } }, 3, 4),
      want.slice(3, 7),
      `${label}, data query, offset 3 limit 4`,
    );
  }
}

/** Tasks in code point order (UTF-8 byte order): no locale, upper case first, "é" after "f". */
const TASKS_IN_ORDER = ["B", "Z", "a", "a b", "ab", "b", "f", "é"];

/** Statuses in life order. */
const STATUSES_IN_ORDER: readonly JobStatus[] = [
  "queued",
  "delayed",
  "processing",
  "completed",
  "failed",
  "cancelled",
  "timeout",
];

/** The sort cases. */
export const sortCases: StoreCase[] = [
  {
    name: "find: sorts ids as numbers in both directions and across pages",
    async run(store) {
      // Created in reverse of id order, so a sort by creation time cannot pass for one by id.
      const jobs = await store.add(
        Array.from({ length: 12 }, (_, n) => newJob("ids", { data: { n }, created: T0 + 100 - n })),
      );
      const ids = jobs.map((job) => job.id);
      const rank = (job: Job) => [...ids].sort(compareIds).indexOf(job.id);
      await assertOrder(store, jobs, "id", rank);
    },
  },
  {
    name: "find: sorts tasks by code point, ties by creation order, in both directions",
    async run(store) {
      // [task, created]: runs of one task, some with equal creation times (ties by id).
      const specs: [string, number][] = [
        ["é", 0],
        ["b", 3],
        ["B", 1],
        ["a b", 2],
        ["b", 1],
        ["ab", 0],
        ["a", 5],
        ["b", 1],
        ["Z", 4],
        ["f", 2],
        ["a", 5],
        ["b", 0],
      ];
      const jobs = await store.add(
        specs.map(([task, at], n) => newJob(task, { data: { n }, created: T0 + at })),
      );
      await assertOrder(store, jobs, "task", (job) => TASKS_IN_ORDER.indexOf(job.task));
    },
  },
  {
    name: "find: sorts statuses in life order, ties by creation order, in both directions",
    async run(store) {
      // [status, created], in an order that is neither life order nor alphabetical.
      const specs: [JobStatus, number][] = [
        ["completed", 1],
        ["queued", 2],
        ["timeout", 3],
        ["delayed", 4],
        ["cancelled", 5],
        ["failed", 6],
        ["processing", 7],
        ["queued", 8],
        ["completed", 8],
        ["failed", 0],
        ["delayed", 4],
        ["completed", 8],
        ["timeout", 9],
        ["processing", 2],
      ];
      const jobs: Job[] = [];
      for (const [n, [status, at]] of specs.entries()) {
        // One task per job, so each claim takes exactly the job just added.
        const task = `status-${n}`;
        const fields = { data: { n }, created: T0 + at };
        if (status === "completed" || status === "failed" || status === "timeout") {
          await runJob(store, task, status, fields);
        } else if (status === "delayed") {
          await store.add([newJob(task, { ...fields, runAt: T0 + 1_000_000 })]);
        } else {
          const [job] = await store.add([newJob(task, fields)]);
          if (status === "processing") await claimOne(store, task);
          if (status === "cancelled") assert.ok(await store.cancel(job.id, T0 + 10));
        }
      }
      jobs.push(...await store.find({}, { offset: 0, limit: 1_000 }));
      assert.deepEqual(
        jobs.map((job) => job.status).sort(),
        specs.map(([status]) => status).sort(),
        "every job reached its status",
      );
      await assertOrder(store, jobs, "status", (job) => STATUSES_IN_ORDER.indexOf(job.status));
    },
  },
];
