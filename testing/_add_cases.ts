/**
 * Conformance cases for `add` and `get`: JSON round trips, bulk order, dedupe keys (also
 * from two stores at once, and with a job requeued while another holds its key).
 * @module
 */

import assert from "node:assert/strict";
import type { StoreCase } from "./_helpers.ts";
import { assertFields, claim, claimOne, ids, newJob, plain, runJob, T0 } from "./_helpers.ts";

/** The `add` cases. */
export const addCases: StoreCase[] = [
  {
    name: "add: stores a JSON copy as queued or delayed, with its created log line",
    async run(store) {
      const data = { user: 42, tags: ["a", "b"], nested: { ok: true, none: null, pi: 3.5 } };
      const created = { time: T0, message: "Created", data: { by: "suite" } };
      const [queued, delayed] = await store.add([
        newJob("email", { data, log: created }),
        newJob("email", { data: "text", runAt: T0 + 5_000, priority: 3, key: "k1" }),
      ]);
      assert.equal(typeof queued.id, "string");
      assert.notEqual(queued.id, delayed.id);
      assertFields(queued, {
        task: "email",
        data,
        status: "queued",
        created: T0,
        attempts: 0,
        priority: 0,
      }, "the queued job");
      assert.equal(queued.runAt, undefined);
      assert.equal(queued.key, undefined);
      assertFields(delayed, {
        data: "text",
        status: "delayed",
        runAt: T0 + 5_000,
        priority: 3,
        key: "k1",
        attempts: 0,
      }, "the delayed job");

      // Neither the caller's object nor a returned record is the stored one.
      data.tags.push("mutated input");
      (queued.data as typeof data).nested.ok = false;
      const got = await store.get(queued.id);
      assert.deepEqual(plain(got), plain({ ...queued, data: { ...data, tags: ["a", "b"] } }));
      (got!.data as typeof data).user = 0;
      assertFields(await store.get(queued.id), {
        data: { user: 42, tags: ["a", "b"], nested: { ok: true, none: null, pi: 3.5 } },
      });

      assert.deepEqual(plain(await store.logs(queued.id)), [created]);
      assert.deepEqual(plain(await store.logs(delayed.id)), [{ time: T0, message: "Created" }]);
      assert.equal(await store.get("404404"), undefined);
    },
  },
  {
    name: "add: saves many jobs in one call and returns them in order",
    async run(store) {
      const specs = Array.from(
        { length: 100 },
        (_, i) => newJob(i % 2 ? "odd" : "even", { data: { i }, created: T0 + i }),
      );
      const jobs = await store.add(specs);
      assert.equal(jobs.length, 100);
      assert.deepEqual(jobs.map((job) => (job.data as { i: number }).i), specs.map((_, i) => i));
      assert.equal(new Set(jobs.map((job) => job.id)).size, 100, "ids must be unique");
      for (const [i, job] of jobs.entries()) {
        assertFields(await store.get(job.id), {
          task: specs[i].task,
          data: { i },
          created: T0 + i,
        }, `job ${i}`);
      }
      assert.deepEqual(await store.add([]), []);
    },
  },
  {
    name: "add: keeps every kind of JSON data exactly",
    async run(store) {
      let deep: unknown = { leaf: "bottom" };
      for (let i = 0; i < 30; i++) deep = { level: i, next: [deep] };
      const values: unknown[] = [
        null,
        0,
        -1.5,
        2 ** 53 - 1,
        1e300,
        false,
        true,
        "",
        'ünïcødé ✓ 😀 \u0000 \n "quoted"',
        "x".repeat(100_000),
        [],
        {},
        [1, "a", null, false, { b: [] }],
        { "key with spaces": 1, "ключ": "значение", empty: {}, list: [[], [[]]] },
        deep,
      ];
      const jobs = await store.add(values.map((data) => newJob("kinds", { data })));
      for (const [i, job] of jobs.entries()) {
        assert.deepEqual(job.data, values[i], `add() result ${i}`);
        assert.deepEqual((await store.get(job.id))?.data, values[i], `get() of value ${i}`);
      }
      const { jobs: leased } = await claim(store, "kinds");
      assert.deepEqual(leased.map((job) => job.data), values, "claim() returns the data");
    },
  },
  {
    name: "add: returns the unfinished job holding a key instead of saving another",
    async run(store) {
      const [first] = await store.add([newJob("keyed", { key: "k", data: 1 })]);
      const [again, other] = await store.add([
        newJob("keyed", { key: "k", data: 2 }),
        newJob("keyed", { key: "other", data: 3 }),
      ]);
      assert.equal(again.id, first.id);
      assert.equal(again.data, 1, "the first job is returned as stored");
      assert.notEqual(other.id, first.id);

      const [x, y] = await store.add([
        newJob("batch", { key: "same batch" }),
        newJob("batch", { key: "same batch" }),
      ]);
      assert.equal(x.id, y.id, "a key repeated within one call saves one job");

      const [delayed] = await store.add([newJob("later", { key: "d", runAt: T0 + 1_000 })]);
      assert.equal((await store.add([newJob("later", { key: "d" })]))[0].id, delayed.id);
      assert.equal(await store.count({}), 4);

      // Processing is unfinished too; a final job frees its key.
      const leased = await claimOne(store, "keyed");
      assert.equal(leased.id, first.id);
      const [whileRunning] = await store.add([newJob("keyed", { key: "k" })]);
      assertFields(whileRunning, { id: first.id, status: "processing" });
      const { jobs } = await store.settle([
        { id: leased.id, token: leased.token, outcome: "completed", now: T0 + 1, logs: [] },
      ]);
      assert.equal(jobs[0]?.status, "completed");
      const [fresh] = await store.add([newJob("keyed", { key: "k", data: 4 })]);
      assert.notEqual(fresh.id, first.id);
      assertFields(fresh, { status: "queued", data: 4, key: "k" });

      await store.cancel(delayed.id, T0 + 2);
      const [afterCancel] = await store.add([newJob("later", { key: "d" })]);
      assert.notEqual(afterCancel.id, delayed.id);
      assert.equal(await store.count({}), 6);
    },
  },
  {
    name: "add: saves one job when two stores add the same key at once",
    async run(store, { openPeer }) {
      const peer = await openPeer();
      for (let round = 0; round < 20; round++) {
        const key = `race-${round}`;
        const [[mine], [theirs]] = await Promise.all([
          store.add([newJob("race", { key, data: "mine" })]),
          peer.add([newJob("race", { key, data: "theirs" })]),
        ]);
        assert.equal(mine.id, theirs.id, `both adds of ${key} return the one job saved`);
        assert.equal(mine.data, theirs.data, `both adds of ${key} return the saved data`);
      }
      assert.equal(await store.count({ task: "race" }), 20);

      // Many keys per call, in opposite orders, so the two calls meet in the middle.
      const keys = Array.from({ length: 50 }, (_, i) => `bulk-${i}`);
      const [forward, backward] = await Promise.all([
        store.add(keys.map((key) => newJob("bulk", { key }))),
        peer.add(keys.toReversed().map((key) => newJob("bulk", { key }))),
      ]);
      assert.deepEqual(ids(forward), ids(backward.toReversed()));
      assert.equal(new Set(ids(forward)).size, 50);
      assert.equal(await peer.count({ task: "bulk" }), 50);
    },
  },
  {
    name: "add: returns the job holding a key, then one requeued while it held the key",
    async run(store) {
      assert.equal(
        typeof store.requeue,
        "function",
        "requeue() is missing: implement it or skip this case by name with a reason",
      );
      const old = await runJob(store, "keyed", "failed", { key: "k" });
      const [holder] = await store.add([newJob("keyed", { key: "k", data: "holder" })]);
      assert.notEqual(holder.id, old.id, "a failed job frees its key");

      const requeued = await store.requeue!(old.id, T0 + 2);
      assertFields(requeued, { id: old.id, status: "queued", key: "k", attempts: 1 });
      const [same] = await store.add([newJob("keyed", { key: "k" })]);
      assertFields(same, { id: holder.id, data: "holder" }, "the job holding the key");
      assert.equal(await store.count({}), 2);

      // The holder finishes; the requeued job is unfinished with the key, so it is returned.
      await store.cancel(holder.id, T0 + 3);
      const [again] = await store.add([newJob("keyed", { key: "k" })]);
      assertFields(again, { id: old.id, status: "queued" }, "the requeued job");
      assert.equal(await store.count({}), 2);

      await store.cancel(old.id, T0 + 4);
      const [fresh] = await store.add([newJob("keyed", { key: "k", data: "fresh" })]);
      assert.ok(fresh.id !== old.id && fresh.id !== holder.id, "a free key saves a new job");
      assertFields(fresh, { status: "queued", key: "k", data: "fresh" });
    },
  },
];
