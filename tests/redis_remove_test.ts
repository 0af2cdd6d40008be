import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import type { NewJob, SettleOutcome } from "../src/store.ts";
import { RedisStore } from "../stores/redis.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable("the Redis remove tests", typeof server === "string" ? server : undefined);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const T0 = 1_700_000_000_000;
const run = Math.random().toString(36).slice(2, 8);
let prefixes = 0;

const newJob = (task: string): NewJob => ({
  task,
  data: null,
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
});

/** Adds `count` jobs of `task` and settles them all with `outcome` at `now`. */
async function finished(
  store: RedisStore,
  task: string,
  count: number,
  now: number,
  outcome: SettleOutcome = "completed",
): Promise<string[]> {
  await store.add(Array.from({ length: count }, () => newJob(task)));
  const { jobs } = await store.claim({
    groups: [[task]],
    limit: count,
    worker: "w",
    leaseMs: 60_000,
    now: now - 1,
  });
  assert.equal(jobs.length, count);
  const error = outcome === "completed" ? undefined : { message: "no" };
  await store.settle(jobs.map((job) => ({ ...job, outcome, now, error, logs: [] })));
  return jobs.map((job) => job.id);
}

async function withStore(fn: (store: RedisStore, redis: Redis) => Promise<void>): Promise<void> {
  const store = new RedisStore({ url, prefix: `rm${++prefixes}-${run}` });
  const redis = new Redis(url).on("error", () => {});
  try {
    await fn(store, redis);
  } finally {
    await store.close();
    await redis.quit();
  }
}

/** The script calls themselves (FCALL on Redis 7, EVALSHA before), the library's load, INFO. */
const NOT_COUNTED = [
  "evalsha",
  "eval",
  "fcall",
  "fcall_ro",
  "function|load",
  "info",
  "config|resetstat",
];

/** Commands Redis ran (those inside scripts too) since `RESETSTAT`. */
async function commands(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  let total = 0;
  for (const [, name, calls] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    if (!NOT_COUNTED.includes(name)) total += Number(calls);
  }
  return total;
}

test(
  "RedisStore.remove() of a sweep reads only the jobs it removes, oldest first",
  { skip },
  async () => {
    await withStore(async (store, redis) => {
      const old = await finished(store, "swept", 1_500, T0 + 1_000);
      const fresh = await finished(store, "swept", 500, T0 + 9_000);
      await redis.config("RESETSTAT");
      const sweep = { status: ["completed" as const], before: T0 + 5_000, limit: 1_000 };
      assert.equal(await store.remove(sweep), 1_000);
      const perJob = (await commands(redis)) / 1_000;
      assert.ok(perJob < 12, `expected a few commands per removed job, got ${perJob}`);
      assert.equal(await store.get(old[999]), undefined);
      assert.ok(await store.get(old[1_000]), "the rest of the backlog waits for the next sweep");

      assert.equal(await store.remove(sweep), 500);
      await redis.config("RESETSTAT");
      assert.equal(await store.remove(sweep), 0);
      assert.ok((await commands(redis)) < 10, "a sweep with nothing expired costs a few commands");
      assert.equal(await store.count({ status: "completed" }), fresh.length);
    });
  },
);

test(
  "RedisStore.remove() narrowed to a task gets past more older jobs of other tasks than one call reads",
  { skip },
  async () => {
    await withStore(async (store) => {
      await finished(store, "other", 2_500, T0 + 1_000);
      const mine = await finished(store, "mine", 10, T0 + 2_000);
      const later = await finished(store, "mine", 5, T0 + 3_000);
      assert.equal(
        await store.remove({ status: ["completed"], tasks: ["mine"], before: T0 + 2_500 }),
        10,
      );
      for (const id of mine) assert.equal(await store.get(id), undefined);
      assert.equal(await store.count({ task: "mine" }), later.length);
      assert.equal(
        await store.remove({ status: ["completed"], tasks: ["mine"], keep: 2 }),
        3,
        "keep counts the task's jobs only",
      );
      assert.deepEqual(
        (await store.find({ task: "mine" }, { offset: 0, limit: 9 })).map((job) => job.id),
        later.slice(3),
      );
      assert.equal(await store.count({ task: "other" }), 2_500, "no other task's job went");
    });
  },
);

test(
  "RedisStore.remove() takes finished jobs of several statuses in finish order, then unfinished by creation",
  { skip },
  async () => {
    await withStore(async (store) => {
      const failed = await finished(store, "mixed", 2, T0 + 2_000, "failed");
      const done = await finished(store, "mixed", 2, T0 + 1_000);
      const [queuedA, queuedB] = await store.add([newJob("mixed"), newJob("mixed")]);
      const statuses = ["completed", "failed", "queued"] as const;
      assert.equal(await store.remove({ status: [...statuses], limit: 3 }), 3);
      const left = await store.find({}, { offset: 0, limit: 9 });
      assert.deepEqual(left.map((job) => job.id), [failed[1], queuedA.id, queuedB.id]);
      assert.equal(await store.remove({ status: [...statuses], keep: 1 }), 2);
      assert.deepEqual(
        (await store.find({}, { offset: 0, limit: 9 })).map((job) => job.id),
        [queuedB.id],
        "the newest by creation is kept",
      );
      assert.ok(done.length === 2);
    });
  },
);

test(
  "RedisStore.remove() with limit takes unfinished jobs of several tasks and statuses oldest created first",
  { skip },
  async () => {
    await withStore(async (store) => {
      // Ids run against creation times here: the order comes from the index zsets' members
      // (creation time, then id), merged across every task and status selected.
      const at = (task: string, created: number, runAt?: number): NewJob => ({
        ...newJob(task),
        created,
        runAt,
      });
      const [newest, oldDelayed, oldest, middle] = await store.add([
        at("a", T0 + 40),
        at("b", T0 + 20, T0 + 1e9),
        at("b", T0 + 10),
        at("a", T0 + 30, T0 + 1e9),
      ]);
      const unfinished = { status: ["queued", "delayed"] as ("queued" | "delayed")[] };
      assert.equal(await store.remove({ ...unfinished, limit: 2 }), 2);
      assert.equal(await store.get(oldest.id), undefined);
      assert.equal(await store.get(oldDelayed.id), undefined);
      assert.deepEqual(
        (await store.find({}, { offset: 0, limit: 9 })).map((job) => job.id),
        [middle.id, newest.id],
      );
      assert.equal(await store.remove({ ...unfinished, keep: 1 }), 1);
      assert.deepEqual((await store.find({}, { offset: 0, limit: 9 })).map((job) => job.id), [
        newest.id,
      ]);
    });
  },
);
