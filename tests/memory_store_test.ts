import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../stores/memory.ts";
import { StoreError } from "../src/store.ts";
import { testStore } from "../testing.ts";

testStore(test, {
  name: "memory",
  open: () => new MemoryStore(),
  skip: {
    "add: saves one job when two stores add the same key at once":
      "a memory store's data lives in that store alone: there is no second store to open on it",
  },
});

const log = { time: 0, message: "Created" };
const job = (key?: string) => ({ task: "t", data: null, created: 0, priority: 0, key, log });
const request = { groups: [["t"]], limit: 100, worker: "w", leaseMs: 1_000, now: 0 };

async function finish(store: MemoryStore, count: number): Promise<string[]> {
  await store.add(Array.from({ length: count }, () => job()));
  const { jobs } = await store.claim(request);
  await store.settle(
    jobs.map(({ id, token }) => ({ id, token, outcome: "completed", now: 1, logs: [] })),
  );
  return jobs.map((j) => j.id);
}

test("MemoryStore keeps only the newest maxFinished finished jobs, with their logs", async () => {
  const store = new MemoryStore({ maxFinished: 3 });
  const ids = await finish(store, 5);
  const [waiting] = await store.add([job()]);
  assert.deepEqual(await store.stats(), { t: { queued: 1, completed: 3 } });
  assert.equal(await store.get(ids[0]), undefined);
  assert.deepEqual(await store.logs(ids[1]), []);
  assert.equal((await store.get(ids[4]))?.status, "completed");
  assert.equal(
    (await store.get(waiting.id))?.status,
    "queued",
    "unfinished jobs are never dropped",
  );
  await store.close();
});

test("MemoryStore does not drop a finished job that was requeued since", async () => {
  const store = new MemoryStore({ maxFinished: 1 });
  const [first] = await store.add([{ ...job(), task: "kept" }]);
  await store.cancel(first.id, 1);
  await store.requeue(first.id, 2);
  await finish(store, 2);
  assert.equal((await store.get(first.id))?.status, "queued");
  await store.close();
});

test("new MemoryStore() throws a RangeError for a bad maxFinished", () => {
  assert.throws(() => new MemoryStore({ maxFinished: -1 }), {
    name: "RangeError",
    message:
      "Cannot create a memory store as maxFinished must be a whole number: current value is -1",
  });
  assert.throws(() => new MemoryStore({ maxFinished: 1.5 }), RangeError);
});

test("MemoryStore.subscribe() throws a StoreError once closed", async () => {
  const store = new MemoryStore();
  await store.close();
  assert.throws(() => store.subscribe(new AbortController().signal), (error: unknown) => {
    assert.ok(error instanceof StoreError);
    assert.equal(error.message, "memory: store is closed");
    return true;
  });
});

test("MemoryStore.claim() rejects a limit below 1 with a RangeError", async () => {
  const store = new MemoryStore();
  await assert.rejects(store.claim({ ...request, limit: 0 }), {
    name: "RangeError",
    message: "Cannot claim jobs as limit must be at least 1: current value is 0",
  });
  await store.close();
});

test("MemoryStore.find() takes a page of a big list in order, after after, both ways", async () => {
  const store = new MemoryStore();
  try {
    // 3,000 jobs in runs of ten equal creation times, added out of creation order.
    const jobs = await store.add(
      Array.from({ length: 3_000 }, (_, i) => {
        const n = (i * 7_919) % 3_000;
        const created = 1_700_000_000_000 + Math.floor(n / 10);
        return {
          task: "t",
          data: { n },
          created,
          priority: 0,
          log: { time: created, message: "" },
        };
      }),
    );
    for (const direction of [1, -1] as const) {
      const sort = { field: "created" as const, direction };
      const all = await store.find({}, { offset: 0, limit: 10_000, sort });
      assert.equal(all.length, 3_000);
      for (
        const [at, offset, limit] of [[0, 0, 20], [1_234, 0, 50], [2_990, 3, 20], [500, 10, 1]]
      ) {
        const page = await store.find({}, { offset, limit, sort, after: all[at] });
        assert.deepEqual(
          page,
          all.slice(at + 1 + offset, at + 1 + offset + limit),
          `${direction} ${at}`,
        );
      }
    }
    assert.equal(jobs.length, 3_000);
  } finally {
    await store.close();
  }
});
