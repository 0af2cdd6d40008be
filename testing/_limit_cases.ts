/**
 * Conformance cases for the limits a claim enforces (`ClaimRequest.limits`): a task's rate
 * (group `rate`, a sliding window of starts) and its global concurrency (group
 * `concurrency`), counted across workers and connections, never holding up the other tasks
 * of a group, and reporting in `next` when a rate window reopens. @module
 */

import assert from "node:assert/strict";
import type { ClaimRequest, ClaimResult, LeasedJob, Store, TaskLimits } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { claim, ids, newJob, T0 } from "./_helpers.ts";

/** A claim of `groups` with `limits`, `limit` 10 unless `fields` say otherwise. */
function limited(
  store: Store,
  groups: string | readonly (readonly string[])[],
  limits: Record<string, TaskLimits>,
  fields: Partial<ClaimRequest> = {},
): Promise<ClaimResult> {
  return claim(store, groups, { limit: 10, limits, ...fields });
}

/** Adds `count` jobs of `task`, one ms apart from `created`. */
function addJobs(store: Store, task: string, count: number, created = T0) {
  return store.add(
    Array.from({ length: count }, (_, i) => newJob(task, { created: created + i, data: i })),
  );
}

function complete(store: Store, jobs: readonly LeasedJob[], now: number, next?: ClaimRequest) {
  return store.settle(
    jobs.map((job) => ({ id: job.id, token: job.token, outcome: "completed", now, logs: [] })),
    next,
  );
}

const RATE = { rate: { max: 2, per: 1_000 } };

/** The `rate` and `concurrency` cases. */
export const limitCases: StoreCase[] = [
  {
    name: "rate: starts at most max jobs in a window and reports when it reopens",
    async run(store) {
      const added = await addJobs(store, "api", 5);
      const first = await limited(store, "api", { api: RATE });
      assert.deepEqual(ids(first.jobs), ids(added.slice(0, 2)), "the two oldest");
      assert.equal(first.next, T0 + 1_000, "the window reopens a period after the first start");
      await complete(store, first.jobs, T0 + 1);
      const closed = await limited(store, "api", { api: RATE }, { now: T0 + 999 });
      assert.deepEqual(closed.jobs, [], "settled starts still count");
      assert.equal(closed.next, T0 + 1_000);
      const reopened = await limited(store, "api", { api: RATE }, { now: T0 + 1_000 });
      assert.deepEqual(ids(reopened.jobs), ids(added.slice(2, 4)));
      assert.equal(reopened.next, T0 + 2_000);
      const last = await limited(store, "api", { api: RATE }, { now: T0 + 2_000 });
      assert.deepEqual(ids(last.jobs), ids(added.slice(4)));
      assert.equal(last.next, undefined, "nothing is held back");
    },
  },
  {
    name: "rate: the window slides one start at a time",
    async run(store) {
      const added = await addJobs(store, "api", 5);
      const at = async (now: number, limit = 10) =>
        ids((await limited(store, "api", { api: RATE }, { now, limit })).jobs);
      assert.deepEqual(await at(T0, 1), [added[0].id]);
      assert.deepEqual(await at(T0 + 500, 1), [added[1].id]);
      const full = await limited(store, "api", { api: RATE }, { now: T0 + 600 });
      assert.deepEqual(full.jobs, []);
      assert.equal(full.next, T0 + 1_000, "when the start at T0 leaves the window");
      assert.deepEqual(await at(T0 + 1_000), [added[2].id], "one start left, one comes in");
      const again = await limited(store, "api", { api: RATE }, { now: T0 + 1_000 });
      assert.equal(again.next, T0 + 1_500, "when the start at T0 + 500 leaves");
      assert.deepEqual(await at(T0 + 1_500), [added[3].id]);
    },
  },
  {
    name:
      "rate: a claim made earlier that reaches the store later counts every start of its window",
    async run(store) {
      // Claims carry their caller's `now`: one from another process, made just before the
      // window reopened, can arrive after a claim made just after. The starts at T0 and
      // T0 + 1 have left the second claim's window but not the first's.
      const added = await addJobs(store, "api", 4);
      const at = async (now: number) =>
        ids((await limited(store, "api", { api: RATE }, { now, limit: 1 })).jobs);
      assert.deepEqual(await at(T0), [added[0].id]);
      assert.deepEqual(await at(T0 + 1), [added[1].id]);
      assert.deepEqual(await at(T0 + 1_002), [added[2].id], "T0 and T0 + 1 are out of its window");
      assert.deepEqual(await at(T0 + 999), [], "T0 and T0 + 1 are inside the window to T0 + 999");
      assert.equal(await store.count({ task: "api", status: "queued" }), 1);
    },
  },
  {
    name: "rate: a held-back task does not hold up the other tasks of its group",
    async run(store) {
      const api = await addJobs(store, "api", 4, T0);
      const [mail1, mail2] = await addJobs(store, "mail", 2, T0 + 10);
      const [later] = await addJobs(store, "later", 1, T0 + 20);
      const result = await limited(store, [["api", "mail"], ["later"]], { api: RATE });
      assert.deepEqual(ids(result.jobs), [api[0].id, api[1].id, mail1.id, mail2.id, later.id]);
      assert.equal(result.next, T0 + 1_000, "when api may start again");
      assert.equal(await store.count({ task: "api", status: "queued" }), 2);
      // A claim that starts with api's window already full goes straight on to mail.
      const [mail3] = await addJobs(store, "mail", 1, T0 + 30);
      const again = await limited(store, [["api", "mail"]], { api: RATE }, { now: T0 + 40 });
      assert.deepEqual(ids(again.jobs), [mail3.id]);
      assert.equal(again.next, T0 + 1_000);
    },
  },
  {
    name: "rate: counts the starts of every worker and connection, also claiming at once",
    async run(store, { peer }) {
      const other = await peer();
      await addJobs(store, "api", 30);
      const limits = { api: { rate: { max: 5, per: 60_000 } } };
      const results = await Promise.all(
        Array.from(
          { length: 12 },
          (_, i) => limited(i % 2 ? other : store, "api", limits, { limit: 2, worker: `w${i}` }),
        ),
      );
      const claimed = results.flatMap((result) => ids(result.jobs));
      assert.equal(claimed.length, 5, `max starts in the window: ${claimed}`);
      assert.equal(new Set(claimed).size, 5);
      assert.deepEqual((await limited(other, "api", limits, { now: T0 + 59_999 })).jobs, []);
      const reopened = await limited(store, "api", limits, { now: T0 + 60_000 });
      assert.equal(reopened.jobs.length, 5);
    },
  },
  {
    name: "concurrency: leases at most n jobs of a task and a settle frees a slot",
    async run(store) {
      const added = await addJobs(store, "render", 5);
      const limits = { render: { concurrency: 2 } };
      const first = await limited(store, "render", limits);
      assert.deepEqual(ids(first.jobs), ids(added.slice(0, 2)));
      const full = await limited(store, "render", limits, { now: T0 + 1 });
      assert.deepEqual(full.jobs, []);
      if (full.next !== undefined) assert.ok(full.next > T0 + 1, "next is never due already");
      // Settle one and claim in the same call: the freed slot is taken at once.
      const settled = await complete(store, first.jobs.slice(0, 1), T0 + 2, {
        groups: [["render"]],
        limit: 10,
        worker: "worker-1",
        leaseMs: 30_000,
        now: T0 + 2,
        limits,
      });
      assert.deepEqual(ids(settled.claimed.jobs), [added[2].id]);
      assert.equal(await store.count({ task: "render", status: "processing" }), 2);
    },
  },
  {
    name: "concurrency: counts jobs leased by every worker and connection, also at once",
    async run(store, { peer }) {
      const other = await peer();
      await addJobs(store, "render", 20);
      const limits = { render: { concurrency: 3 } };
      const results = await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) => limited(i % 2 ? other : store, "render", limits, { limit: 2, worker: `w${i}` }),
        ),
      );
      const claimed = results.flatMap((result) => result.jobs);
      assert.equal(claimed.length, 3, "n running jobs, whoever claimed them");
      assert.equal(await store.count({ task: "render", status: "processing" }), 3);
      await complete(other, claimed.slice(0, 2), T0 + 5);
      assert.equal((await limited(store, "render", limits, { now: T0 + 6 })).jobs.length, 2);
    },
  },
  {
    name: "concurrency: a held-back task does not hold up the other tasks of its group",
    async run(store) {
      const [render1, render2] = await addJobs(store, "render", 3, T0);
      const [mail] = await addJobs(store, "mail", 1, T0 + 10);
      const limits = { render: { concurrency: 2 } };
      const result = await limited(store, [["render", "mail"]], limits);
      assert.deepEqual(ids(result.jobs), [render1.id, render2.id, mail.id]);
      const [mail2] = await addJobs(store, "mail", 1, T0 + 20);
      const again = await limited(store, [["render", "mail"]], limits, { now: T0 + 30 });
      assert.deepEqual(ids(again.jobs), [mail2.id], "render is full from the start of the claim");
    },
  },
  {
    name: "concurrency: cancelled, recovered and released jobs free their slots",
    async run(store) {
      const added = await addJobs(store, "render", 5);
      const limits = { render: { concurrency: 1 } };
      const one = async (now: number, leaseMs = 30_000) => {
        const { jobs } = await limited(store, "render", limits, { now, leaseMs });
        assert.equal(jobs.length, 1, `one slot free at ${now - T0}`);
        assert.deepEqual((await limited(store, "render", limits, { now })).jobs, [], "then none");
        return jobs[0];
      };
      const cancelled = await one(T0);
      await store.cancel(cancelled.id, T0 + 1);
      const stalled = await one(T0 + 2, 10);
      assert.equal((await store.recover(T0 + 20)).length, 1);
      const released = await one(T0 + 21);
      await store.settle([
        { id: released.id, token: released.token, outcome: "release", now: T0 + 22, logs: [] },
      ]);
      const after = await one(T0 + 23);
      assert.deepEqual([cancelled.id, stalled.id], [added[0].id, added[1].id]);
      // A recovered or released job is ready again since its creation: the oldest, so taken next.
      assert.deepEqual([released.id, after.id], [added[1].id, added[1].id]);
    },
  },
  {
    name: "concurrency: applies together with a rate limit, whichever is stricter",
    async run(store) {
      await addJobs(store, "api", 10);
      const limits = { api: { concurrency: 3, rate: { max: 4, per: 1_000 } } };
      const first = await limited(store, "api", limits);
      assert.equal(first.jobs.length, 3, "concurrency is stricter at first");
      await complete(store, first.jobs, T0 + 1);
      const second = await limited(store, "api", limits, { now: T0 + 2 });
      assert.equal(second.jobs.length, 1, "then the rate: 4 starts in the window");
      assert.equal(second.next, T0 + 1_000);
    },
  },
];
