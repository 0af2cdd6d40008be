import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import type { Job } from "../src/job.ts";
import type { NewJob, Store } from "../src/store.ts";
import { RedisStore } from "../stores/redis.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable("the Redis find tests", typeof server === "string" ? server : undefined);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const T0 = 1_700_000_000_000;
let prefixes = 0;
const freshPrefix = () => `m${++prefixes}-${Date.now().toString(36)}`;

function newJob(task: string, n: number): NewJob {
  return { task, data: { n }, created: T0 + n, priority: 0, log: { time: T0, message: "Created" } };
}

/** Adds `count` jobs of `task` and runs each: failed where `fail` says, else completed. */
async function addAndComplete(
  store: Store,
  task: string,
  count: number,
  fail: (n: number) => boolean,
): Promise<Job[]> {
  const added = await store.add(Array.from({ length: count }, (_, n) => newJob(task, n)));
  const { jobs } = await store.claim({
    groups: [[task]],
    limit: count,
    worker: "w",
    leaseMs: 60_000,
    now: T0 + count,
  });
  await store.settle(jobs.map((job) => ({
    id: job.id,
    token: job.token,
    outcome: fail((job.data as { n: number }).n) ? "failed" as const : "completed" as const,
    now: T0 + count,
    error: { message: "no" },
    logs: [],
  })));
  return added;
}

/** Runs `fn` with a store on a fresh prefix and a plain client for looking inside Redis. */
async function withStore(
  options: { maxFinished?: number },
  fn: (
    store: RedisStore,
    redis: Redis,
    index: (task: string, status: string) => string,
  ) => Promise<void>,
): Promise<void> {
  const prefix = freshPrefix();
  const store = new RedisStore({ url, prefix, ...options });
  const redis = new Redis(url).on("error", () => {});
  try {
    await fn(store, redis, (task, status) => `{kinetik:${prefix}}:index:${task}:${status}`);
  } finally {
    await store.close();
    await redis.quit();
  }
}

/** Commands Redis ran (inside scripts too) while `fn` ran. */
async function commandsDuring(redis: Redis, fn: () => Promise<unknown>): Promise<number> {
  const count = async () => {
    const info = await redis.info("commandstats");
    let total = 0;
    for (const [, name, calls] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
      if (name !== "info") total += Number(calls);
    }
    return total;
  };
  const before = await count();
  await fn();
  return await count() - before;
}

test(
  "RedisStore keeps its index zsets in creation order, in step with remove()",
  { skip },
  async () => {
    await withStore({}, async (store, redis, index) => {
      const jobs = await addAndComplete(store, "resize", 30, (n) => n % 3 === 0);
      const member = (job: Job) => String(job.created).padStart(16, "0") + job.id.padStart(16, "0");
      const failed = jobs.filter((job) => (job.data as { n: number }).n % 3 === 0);
      assert.deepEqual(
        await redis.zrange(index("resize", "failed"), "0", "-1"),
        failed.map(member),
      );
      assert.equal(await redis.zcard(index("resize", "completed")), 20);
      assert.equal(await store.remove({ status: ["completed"] }), 20);
      assert.equal(await redis.exists(index("resize", "completed")), 0);
      const page = await store.find({}, { offset: 0, limit: 100 });
      assert.deepEqual(page.map((job) => (job.data as { n: number }).n), [
        0,
        3,
        6,
        9,
        12,
        15,
        18,
        21,
        24,
        27,
      ]);
    });
  },
);

test("RedisStore drops jobs trimmed by maxFinished from the index zsets", { skip }, async () => {
  await withStore({ maxFinished: 5 }, async (store, redis, index) => {
    await addAndComplete(store, "resize", 12, () => false);
    assert.equal(await redis.zcard(index("resize", "completed")), 5);
    const page = await store.find({ status: "completed" }, { offset: 0, limit: 100 });
    assert.equal(page.length, 5);
    for (const job of page) assert.ok(await store.get(job.id), `job ${job.id} is still stored`);
  });
});

test(
  "RedisStore.find() reads a page of a rare or a common status from the indexes, not every job",
  { skip },
  async () => {
    await withStore({}, async (store, redis) => {
      // 3,000 jobs: 3 failed, the rest completed.
      const jobs = await addAndComplete(store, "resize", 3_000, (n) => n % 1_000 === 500);
      const middle = jobs[1_500];
      const next = (from: number) => Array.from({ length: 20 }, (_, i) => from + i);
      for (
        const [query, want] of [
          [{ status: "failed" }, [2_500]],
          [{ status: "completed" }, next(1_501)],
          [{}, next(1_501)],
        ] as const
      ) {
        let page: Job[] = [];
        const commands = await commandsDuring(redis, async () => {
          page = await store.find(query, { offset: 0, limit: 20, after: middle });
        });
        const label = JSON.stringify(query);
        assert.deepEqual(page.map((job) => (job.data as { n: number }).n), want, label);
        // 20 records and a range per status: no scan of the 3,000 jobs, nor of a status.
        assert.ok(commands < 60, `${label} ran ${commands} commands`);
      }
    });
  },
);
