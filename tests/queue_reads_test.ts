import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../stores/memory.ts";
import type { FindOptions, JobQuery, NewJob, WorkerRecord } from "../src/store.ts";
import { cleanJobs, fetchJobs, knownTags, queueStats } from "../src/queue_reads.ts";
import type { Job } from "../src/job.ts";

const NOW = Date.now();

type FetchSort = Partial<Record<keyof Job, 1 | -1>>;

function newJob(task: string, n = 0): NewJob {
  return {
    task,
    data: { n },
    created: NOW + n,
    priority: 0,
    log: { time: NOW + n, message: "Created" },
  };
}

/** A memory store that records the options of each `find` call. */
function recordingStore(): { store: MemoryStore; finds: FindOptions[] } {
  const store = new MemoryStore();
  const finds: FindOptions[] = [];
  const find = store.find.bind(store);
  store.find = (query: JobQuery, options: FindOptions) => {
    finds.push(options);
    return find(query, options);
  };
  return { store, finds };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

/** Runs `fn` with a memory store and closes it afterwards. */
async function withStore(fn: (store: MemoryStore) => unknown): Promise<void> {
  const store = new MemoryStore();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

function worker(tasks: Record<string, string>): WorkerRecord {
  return {
    id: `worker-${Object.keys(tasks).join("-")}`,
    tags: [...new Set(Object.values(tasks))],
    tasks: Object.entries(tasks).map(([name, tag]) => ({ name, tag })),
    started: Date.now(),
    seen: Date.now(),
  };
}

/** Claims and completes one ready job of `task`; resolves to its id. */
async function complete(store: MemoryStore, task: string): Promise<string> {
  const now = Date.now();
  const { jobs: [job] } = await store.claim({
    groups: [[task]],
    limit: 1,
    worker: "test",
    leaseMs: 60_000,
    now,
  });
  await store.settle([{ id: job.id, token: job.token, outcome: "completed", now, logs: [] }]);
  return job.id;
}

test("fetchJobs() pages through more than one 200-job page in creation order", async () => {
  const { store, finds } = recordingStore();
  try {
    await store.add(Array.from({ length: 450 }, (_, n) => newJob("resize", n)));
    const jobs = await all(fetchJobs(store, {}));
    assert.equal(jobs.length, 450);
    assert.deepEqual(jobs.map((job) => (job.data as { n: number }).n), [...Array(450).keys()]);
    assert.deepEqual(finds, [
      { offset: 0, limit: 200, sort: undefined },
      { offset: 200, limit: 200, sort: undefined },
      { offset: 400, limit: 200, sort: undefined },
    ]);
  } finally {
    await store.close();
  }
});

test("fetchJobs() stops at limit, asking the last page for only what is left", async () => {
  const { store, finds } = recordingStore();
  try {
    await store.add(Array.from({ length: 450 }, (_, n) => newJob("resize", n)));
    const jobs = await all(fetchJobs(store, {}, { limit: 250 }));
    assert.equal(jobs.length, 250);
    assert.equal((jobs[249].data as { n: number }).n, 249);
    assert.deepEqual(finds.map(({ offset, limit }) => [offset, limit]), [[0, 200], [200, 50]]);
  } finally {
    await store.close();
  }
});

test("fetchJobs() asks no further page when limit is a multiple of the page size", async () => {
  const { store, finds } = recordingStore();
  try {
    await store.add(Array.from({ length: 450 }, (_, n) => newJob("resize", n)));
    assert.equal((await all(fetchJobs(store, {}, { limit: 400 }))).length, 400);
    assert.equal(finds.length, 2);
    finds.length = 0;
    assert.deepEqual(await all(fetchJobs(store, {}, { limit: 0 })), []);
    assert.equal(finds.length, 0);
  } finally {
    await store.close();
  }
});

test("fetchJobs() passes the query and a Mongo-style sort to the store", async () => {
  const { store, finds } = recordingStore();
  try {
    await store.add([newJob("resize", 1), newJob("send email", 2), newJob("resize", 3)]);
    const jobs = await all(fetchJobs(store, { task: "resize" }, { sort: { created: -1 } }));
    assert.deepEqual(jobs.map((job) => (job.data as { n: number }).n), [3, 1]);
    assert.deepEqual(finds[0].sort, { field: "created", direction: -1 });
  } finally {
    await store.close();
  }
});

test("fetchJobs() passes after to every page and pages by offset from it", async () => {
  const { store, finds } = recordingStore();
  try {
    const jobs = await store.add(Array.from({ length: 450 }, (_, n) => newJob("resize", n)));
    const after = { id: jobs[9].id, created: jobs[9].created };
    const sort = { created: 1 } as const;
    const fetched = await all(fetchJobs(store, { task: "resize" }, { after, sort, limit: 300 }));
    assert.deepEqual(
      fetched.map((job) => (job.data as { n: number }).n),
      Array.from({ length: 300 }, (_, n) => n + 10),
    );
    assert.deepEqual(finds.map(({ offset, limit, after }) => [offset, limit, after]), [
      [0, 200, after],
      [200, 100, after],
    ]);
  } finally {
    await store.close();
  }
});

test("fetchJobs() throws TypeError at the call for an after without a string id and a number created", () =>
  withStore((store) => {
    const prefix =
      "Cannot fetch jobs as after must be a job with a string id and a number created: current value is ";
    for (
      const [after, shown] of [
        [null, "null"],
        ["7", '"7"'],
        [{ id: 7, created: 1 }, '{"id":7,"created":1}'],
        [{ id: "7" }, '{"id":"7"}'],
        [{ id: "7", created: NaN }, '{"id":"7","created":null}'],
      ] as const
    ) {
      assert.throws(
        () => fetchJobs(store, {}, { after: after as unknown as Job }),
        { name: "TypeError", message: prefix + shown },
      );
    }
  }));

test("fetchJobs() throws TypeError at the call for a sort that is not one known field and 1/-1", () =>
  withStore((store) => {
    const prefix = "Cannot sort jobs as sort must be one field of id, task, status, created, " +
      "runAt, attempts, priority, started, finished with 1 or -1: current value is ";
    for (
      const [sort, shown] of [
        [{}, "{}"],
        [{ data: 1 }, '{"data":1}'],
        [{ created: 2 }, '{"created":2}'],
        [{ created: "desc" }, '{"created":"desc"}'],
        [{ created: 1, id: 1 }, '{"created":1,"id":1}'],
        [null, "null"],
      ] as const
    ) {
      assert.throws(
        () => fetchJobs(store, {}, { sort: sort as FetchSort }),
        { name: "TypeError", message: prefix + shown },
      );
    }
  }));

test("fetchJobs() throws RangeError at the call for a negative or non-number limit", () =>
  withStore((store) => {
    const prefix = "Cannot fetch jobs as limit must be a number >= 0: current value is ";
    for (
      const [limit, shown] of [[-1, "-1"], ["5", '"5"'], [NaN, "NaN"], [
        -Infinity,
        "-Infinity",
      ]] as const
    ) {
      assert.throws(() => fetchJobs(store, {}, { limit: limit as number }), {
        name: "RangeError",
        message: prefix + shown,
      });
    }
  }));

test("knownTags() merges workers' records with local tasks, local ones winning", () =>
  withStore(async (store) => {
    await store.heartbeat(worker({ "send email": "mail", resize: "images" }), 60_000);
    const tags = await knownTags(store, new Map([["resize", "media"], ["report", "db"]]));
    assert.deepEqual(Object.fromEntries(tags), {
      "send email": "mail",
      resize: "media",
      report: "db",
    });
  }));

test("queueStats() counts by status, task and tag, with tags from local tasks and workers", () =>
  withStore(async (store) => {
    await store.add([
      newJob("resize", 1),
      newJob("resize", 2),
      newJob("send email", 3),
      newJob("mystery", 4),
    ]);
    await complete(store, "resize");
    const [cancelled] = await store.add([newJob("send email", 5)]);
    await store.cancel(cancelled.id, NOW);
    await store.heartbeat(worker({ "send email": "mail" }), 60_000);
    const stats = await queueStats(store, new Map([["resize", "images"]]));
    const counts = (status: Partial<Record<string, number>>) => ({
      queued: 0,
      delayed: 0,
      processing: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      timeout: 0,
      ...status,
    });
    assert.deepEqual(stats, {
      total: 5,
      status: counts({ queued: 3, completed: 1, cancelled: 1 }),
      tasks: {
        resize: { tag: "images", total: 2, status: counts({ queued: 1, completed: 1 }) },
        "send email": { tag: "mail", total: 2, status: counts({ queued: 1, cancelled: 1 }) },
        mystery: { tag: undefined, total: 1, status: counts({ queued: 1 }) },
      },
      tags: {
        images: { total: 2, status: counts({ queued: 1, completed: 1 }) },
        mail: { total: 2, status: counts({ queued: 1, cancelled: 1 }) },
        "?": { total: 1, status: counts({ queued: 1 }) },
      },
    });
  }));

test("queueStats() adds up tasks that share a tag", () =>
  withStore(async (store) => {
    await store.add([newJob("resize", 1), newJob("thumbnail", 2), newJob("thumbnail", 3)]);
    const stats = await queueStats(store, new Map([["resize", "images"], ["thumbnail", "images"]]));
    assert.deepEqual(Object.keys(stats.tags), ["images"]);
    assert.equal(stats.tags.images.total, 3);
    assert.equal(stats.tags.images.status.queued, 3);
  }));

test("cleanJobs() removes completed jobs of every task, with their logs, when given no tags", () =>
  withStore(async (store) => {
    await store.add([newJob("resize", 1), newJob("send email", 2), newJob("resize", 3)]);
    const first = await complete(store, "resize");
    const second = await complete(store, "send email");
    assert.ok((await store.logs(first)).length > 0);
    assert.equal(await cleanJobs(store, undefined, new Map()), 2);
    assert.equal(await store.get(first), undefined);
    assert.equal(await store.get(second), undefined);
    assert.deepEqual(await store.logs(first), []);
    assert.equal(await store.count({}), 1);
  }));

test("cleanJobs() resolves tags from workers' records and local tasks", () =>
  withStore(async (store) => {
    await store.add([newJob("resize", 1), newJob("send email", 2), newJob("report", 3)]);
    await store.heartbeat(worker({ "send email": "mail" }), 60_000);
    const local = new Map([["resize", "images"]]);
    assert.equal(await cleanJobs(store, { tags: "mail", status: "queued" }, local), 1);
    assert.equal(await cleanJobs(store, { tags: ["images"], status: ["queued"] }, local), 1);
    const left = await store.find({}, { offset: 0, limit: 10 });
    assert.deepEqual(left.map((job) => job.task), ["report"]);
  }));

test("cleanJobs() takes a tag or a list of tags as first argument, for completed jobs", () =>
  withStore(async (store) => {
    await store.add([newJob("resize", 1), newJob("send email", 2), newJob("resize", 3)]);
    await complete(store, "resize");
    await complete(store, "send email");
    const local = new Map([["resize", "images"], ["send email", "mail"]]);
    assert.equal(await cleanJobs(store, "images", local), 1);
    assert.equal(await cleanJobs(store, ["mail", "images"], local), 1);
    assert.equal(await store.count({ status: "queued" }), 1);
  }));

test("cleanJobs() removes nothing and resolves 0 for a tag no task has", () =>
  withStore(async (store) => {
    await store.add([newJob("resize", 1)]);
    await complete(store, "resize");
    assert.equal(await cleanJobs(store, "nowhere", new Map([["resize", "images"]])), 0);
    assert.equal(await store.count({}), 1);
  }));

test("cleanJobs() throws TypeError listing the statuses for a bad status", () =>
  withStore(async (store) => {
    const prefix = "Cannot clean jobs as status must be strings of queued, delayed, processing, " +
      "completed, failed, cancelled, timeout: current value is ";
    await assert.rejects(
      cleanJobs(store, { status: "done" as never }, new Map()),
      { name: "TypeError", message: `${prefix}"done"` },
    );
    await assert.rejects(
      cleanJobs(store, { status: ["failed", 3] as never }, new Map()),
      { name: "TypeError", message: `${prefix}["failed",3]` },
    );
  }));

test("cleanJobs() throws TypeError for tags that are not strings", () =>
  withStore(async (store) => {
    await assert.rejects(cleanJobs(store, { tags: [42] as never }, new Map()), {
      name: "TypeError",
      message: "Cannot clean jobs as tags must be strings: current value is [42]",
    });
  }));

test("cleanJobs() with before removes only jobs that finished before it: an age or epoch ms", () =>
  withStore(async (store) => {
    const finishAt = async (now: number) => {
      const [added] = await store.add([newJob("t")]);
      const { jobs: [leased] } = await store.claim({
        groups: [["t"]],
        limit: 1,
        worker: "w",
        leaseMs: 1_000,
        now,
      });
      await store.settle([{
        id: leased.id,
        token: leased.token,
        outcome: "completed",
        now,
        logs: [],
      }]);
      return added.id;
    };
    const DAY = 86_400_000;
    const old = await finishAt(NOW - 10 * DAY);
    const week = await finishAt(NOW - 6 * DAY);
    const fresh = await finishAt(NOW);
    assert.equal(await cleanJobs(store, { before: "7d" }, new Map(), NOW), 1);
    assert.equal(await store.get(old), undefined);
    assert.equal(await cleanJobs(store, { before: NOW - 5 * DAY }, new Map(), NOW), 1);
    assert.equal(await store.get(week), undefined);
    assert.equal(await cleanJobs(store, { before: new Date(NOW) }, new Map(), NOW), 0);
    assert.ok(await store.get(fresh));
    await assert.rejects(
      cleanJobs(store, { before: "later" }, new Map(), NOW),
      { name: "TypeError", message: /^Cannot read clean before as/ },
    );
    await assert.rejects(
      cleanJobs(store, { before: {} as never }, new Map(), NOW),
      new TypeError(
        'Cannot clean jobs as before must be a duration like "7d", epoch ms or a Date: current value is {}',
      ),
    );
  }));

test("cleanJobs() with before refuses a store that cannot remove by finish time", async () => {
  const store = new MemoryStore();
  const old = Object.assign(Object.create(store), { removeJob: undefined, name: "old" });
  await assert.rejects(cleanJobs(old, { before: "1d" }, new Map(), NOW), {
    message: "Cannot clean jobs by age as the old store cannot remove by time",
  });
  await store.close();
});
