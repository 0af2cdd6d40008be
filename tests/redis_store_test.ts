import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import { StoreError } from "../src/store.ts";
import type { ClaimRequest, NewJob } from "../src/store.ts";
import { RedisStore, type RedisStoreOptions } from "../stores/redis.ts";
import { VERSION } from "../stores/redis/_version.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { waitFor, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer({ durable: true });
const skip = unavailable(
  "the Redis store tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

let prefixes = 0;
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const freshPrefix = () => `t${++prefixes}-${run}`;

/** The options of each store the suite opened, so a peer opens on the same prefix. */
const optionsOf = new WeakMap<object, RedisStoreOptions>();
function openFresh(extra: Partial<RedisStoreOptions> = {}): RedisStore {
  const options = { url, prefix: freshPrefix(), ...extra };
  const store = new RedisStore(options);
  optionsOf.set(store, options);
  return store;
}
const openPeer = (store: object) => new RedisStore(optionsOf.get(store)!);

testStore(test, {
  name: "redis",
  open: () => openFresh(),
  openPeer,
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {},
});
// Again with a retention limit, so every verb also runs the finished-job bookkeeping.
testStore(test, {
  name: "redis (maxFinished)",
  open: () => openFresh({ maxFinished: 1_000 }),
  openPeer,
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {},
});

const T0 = 1_700_000_000_000;
const newJob = (task: string, data: unknown = { n: 1 }): NewJob => ({
  task,
  data,
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
});
const request = (task: string, limit = 10): ClaimRequest => ({
  groups: [[task]],
  limit,
  worker: "w",
  leaseMs: 1_000,
  now: T0,
});

/** Runs `fn` with a store on a fresh prefix and a plain client for looking inside Redis. */
async function withStore(
  fn: (store: RedisStore, redis: Redis, prefix: string) => Promise<void>,
): Promise<void> {
  const prefix = freshPrefix();
  const store = new RedisStore({ url, prefix });
  const redis = new Redis(url).on("error", () => {});
  try {
    await fn(store, redis, prefix);
  } finally {
    await store.close();
    await redis.quit();
  }
}

/** Redis's count of EVALSHA/EVAL calls and of all commands (those inside scripts too). */
/** How a script is called: FCALL on Redis 7, EVALSHA (or EVAL) before. */
const SCRIPT_COMMANDS = new Set(["evalsha", "eval", "fcall", "fcall_ro"]);

async function commandCounts(redis: Redis): Promise<{ scripts: number; commands: number }> {
  const info = await redis.info("commandstats");
  let scripts = 0;
  let commands = 0;
  for (const [, name, calls] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    if (SCRIPT_COMMANDS.has(name)) scripts += Number(calls);
    else if (name !== "info" && name !== "config|resetstat") commands += Number(calls);
  }
  return { scripts, commands };
}

test("RedisStore's script version is the package version", { skip }, () => {
  const deno = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8"));
  assert.equal(VERSION, deno.version);
});

test("RedisStore() throws a TypeError for a malformed URL, database or prefix", () => {
  assert.throws(
    () => new RedisStore({ url: "http://localhost:6379" }),
    new TypeError(
      "Cannot open the Redis store as the URL must start with redis:// or rediss://: current value is http://localhost:6379",
    ),
  );
  assert.throws(() => new RedisStore({ url: "redis://localhost/x" }), /database must be/);
  assert.throws(
    () => new RedisStore({ url: "redis://localhost", prefix: "a{b}" }),
    new TypeError(
      'Cannot open the Redis store as the prefix must be a non-empty string without { or }: current value is "a{b}"',
    ),
  );
});

test("RedisStore keeps every key of a queue under its one hash tag", { skip }, async () => {
  await withStore(async (store, redis, prefix) => {
    const [a] = await store.add([newJob("tagged"), { ...newJob("tagged"), runAt: T0 + 5 }]);
    const { jobs: [leased] } = await store.claim(request("tagged", 1));
    await store.settle([{ ...leased, outcome: "completed", now: T0, logs: [] }]);
    await store.heartbeat({ id: "w", tags: [], tasks: [], started: T0, seen: T0 }, 1_000);
    await store.add([{ ...newJob("tagged"), key: "k" }]);
    await store.pause({ tags: ["t"], tasks: ["x"] });
    await store.claim({ ...request("tagged"), limits: { tagged: { rate: { max: 5, per: 10 } } } });
    const spec = { id: "s", task: "tagged", every: 1_000, tz: "UTC", data: null, priority: 0 };
    await store.schedule({ ...spec, missed: "latest", next: T0, spec: "every 1s" });
    assert.equal(leased.id, a.id);
    const keys = await redis.keys(`*${prefix}*`);
    assert.ok(keys.length >= 14, `expected the store's keys, got ${keys}`);
    for (const key of keys) assert.ok(key.startsWith(`{kinetik:${prefix}}:`), key);
  });
});

test(
  "RedisStore.settle() settles a batch and claims the next in one script call",
  { skip },
  async () => {
    await withStore(async (store, redis) => {
      await store.add(Array.from({ length: 20 }, () => newJob("batch")));
      const { jobs } = await store.claim(request("batch", 10));
      await redis.config("RESETSTAT");
      const settlements = jobs.map((job) => ({
        id: job.id,
        token: job.token,
        outcome: "completed" as const,
        now: T0 + 1,
        logs: [{ time: T0 + 1, message: "done" }],
      }));
      const result = await store.settle(settlements, request("batch", 10));
      assert.equal((await commandCounts(redis)).scripts, 1);
      assert.equal(result.jobs.filter((job) => job?.status === "completed").length, 10);
      assert.equal(result.claimed.jobs.length, 10);
      assert.deepEqual(await store.logs(jobs[0].id), [
        { time: T0, message: "Created" },
        { time: T0 + 1, message: "done" },
      ]);
    });
  },
);

test(
  "RedisStore.claim() without pauses or limits costs two commands per job and a few per call",
  { skip },
  async () => {
    await withStore(async (store, redis) => {
      await store.add(Array.from({ length: 20 }, () => newJob("lean")));
      await redis.config("RESETSTAT");
      const { jobs } = await store.claim(request("lean", 20));
      assert.equal(jobs.length, 20);
      // Per job HGETALL and HSET; per call the paused set, the delayed check, ZPOPMIN, the
      // lease and index writes and the listener count.
      const { commands } = await commandCounts(redis);
      assert.ok(commands <= 2 * 20 + 8, `expected about 48 commands, got ${commands}`);
    });
  },
);

test(
  "RedisStore.add() of many jobs costs one key and about one command per job",
  { skip },
  async () => {
    await withStore(async (store, redis, prefix) => {
      await redis.config("RESETSTAT");
      const jobs = await store.add(Array.from({ length: 100 }, () => newJob("bulk")));
      const { scripts, commands } = await commandCounts(redis);
      assert.equal(scripts, 1);
      assert.ok(commands <= 110, `expected about 100 commands inside the script, got ${commands}`);
      const logKeys = await redis.keys(`{kinetik:${prefix}}:logs:*`);
      assert.deepEqual(logKeys, [], "the created line lives in the record");
      assert.deepEqual(await store.logs(jobs[99].id), [{ time: T0, message: "Created" }]);
    });
  },
);

test(
  "RedisStore.logs() reads a record whose created line is the list's first entry",
  { skip },
  async () => {
    await withStore(async (store, redis, prefix) => {
      const [job] = await store.add([newJob("older")]);
      const base = `{kinetik:${prefix}}:`;
      await redis.hdel(`${base}job:${job.id}`, "log");
      await redis.rpush(`${base}logs:${job.id}`, JSON.stringify({ time: 1, message: "Made" }));
      await store.appendLogs(job.id, [{ time: 2, message: "later" }]);
      assert.deepEqual(await store.logs(job.id), [
        { time: 1, message: "Made" },
        { time: 2, message: "later" },
      ]);
    });
  },
);

test(
  "RedisStore runs its scripts again after SCRIPT FLUSH (EVAL on NOSCRIPT)",
  { skip },
  async () => {
    await withStore(async (store, redis) => {
      await store.add([newJob("flushed")]);
      await redis.script("FLUSH");
      const [job] = await store.add([newJob("flushed")]);
      assert.equal(await store.count({ task: "flushed" }), 2);
      assert.equal((await store.get(job.id))?.status, "queued");
    });
  },
);

test("RedisStore reads user, password and database number from the URL", { skip }, async () => {
  const admin = new Redis(url);
  const prefix = freshPrefix();
  await admin.acl("SETUSER", "kinetik-test", "on", ">s3cret:@", "~*", "&*", "+@all");
  const authed = new URL(url);
  authed.username = "kinetik-test";
  authed.password = encodeURIComponent("s3cret:@");
  authed.pathname = "/3";
  const store = new RedisStore({ url: authed.href, prefix });
  const wrong = new RedisStore({ url: url.replace("//", "//kinetik-test:nope@"), prefix });
  try {
    const [job] = await store.add([newJob("auth")]);
    await admin.select(3);
    assert.equal(await admin.exists(`{kinetik:${prefix}}:job:${job.id}`), 1);
    await assert.rejects(wrong.add([newJob("auth")]), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /^redis: authentication failed to add jobs: .*"WRONGPASS /);
      return true;
    });
  } finally {
    await store.close();
    await wrong.close();
    await admin.quit();
  }
});

test("RedisStore uses a client passed in and leaves it open on close()", { skip }, async () => {
  const client = new Redis(url);
  const store = new RedisStore({ client, prefix: freshPrefix() });
  const [job] = await store.add([newJob("own")]);
  await store.close();
  assert.equal(await client.hget(`${store.base}job:${job.id}`, "status"), "queued");
  await client.quit();
});

test(
  "RedisStore rejects with a StoreError, not a hang, when Redis is unreachable",
  { skip },
  async () => {
    const probe = new Redis(url);
    const port = Number(new URL(url).port) + 1;
    await probe.quit();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}` });
    const rejected = assert.rejects(store.add([newJob("nowhere")]), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.match(error.message, /^redis: Cannot add jobs as Redis failed/);
      return true;
    });
    await withTimeout(rejected, 5_000, "add() to reject, not hang");
    await store.close();
  },
);

test("RedisStore recovers when Redis restarts", {
  skip: skip ?? (typeof server !== "string" && !server.ownsServer && "needs its own redis-server"),
}, async () => {
  if (typeof server === "string") return;
  await withStore(async (store) => {
    const [job] = await store.add([newJob("restart")]);
    await server.stop();
    await assert.rejects(store.get(job.id), StoreError);
    await server.start();
    let found;
    await waitFor(
      async () => (found = await store.get(job.id).catch(() => undefined)) !== undefined,
      5_000,
      "the store to reconnect",
    );
    assert.equal(found!.status, "queued", "the appendonly file kept the job");
  });
});

test(
  "RedisStore.requeue() puts a failed job back to the queue with a log line",
  { skip },
  async () => {
    await withStore(async (store) => {
      const [job] = await store.add([{ ...newJob("again"), key: "k1" }]);
      const { jobs: [leased] } = await store.claim(request("again", 1));
      const failed = { message: "boom" };
      await store.settle([{ ...leased, outcome: "failed", now: T0 + 1, error: failed, logs: [] }]);
      assert.equal(await store.requeue(job.id, T0 + 2).then((j) => j?.status), "queued");
      const again = await store.get(job.id);
      assert.equal(again?.error, undefined);
      assert.equal(again?.finished, undefined);
      assert.equal(again?.attempts, 1);
      assert.equal((await store.add([{ ...newJob("again"), key: "k1" }]))[0].id, job.id);
      assert.deepEqual((await store.logs(job.id)).at(-1), {
        time: T0 + 2,
        message: "Requeued by hand",
      });
      assert.equal(await store.requeue(job.id, T0 + 3), undefined, "a queued job is not requeued");
      const { jobs: [rerun] } = await store.claim(request("again", 1));
      assert.equal(rerun.id, job.id);
    });
  },
);

test(
  "RedisStore({ maxFinished }) keeps only the newest completed jobs, with their logs",
  { skip },
  async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url, prefix, maxFinished: 2 });
    try {
      const added = await store.add(Array.from({ length: 5 }, () => newJob("kept")));
      const { jobs } = await store.claim(request("kept", 4));
      for (const [i, job] of jobs.entries()) {
        const outcome = i === 1 ? "failed" as const : "completed" as const;
        await store.settle([{ ...job, outcome, now: T0 + i, logs: [] }]);
      }
      // As retention's { completed: { count: 2 } }: other statuses are the queue's retention's.
      assert.deepEqual(await store.stats(), { kept: { queued: 1, completed: 2, failed: 1 } });
      const completed = () => store.find({ status: "completed" }, { offset: 0, limit: 9 });
      assert.deepEqual((await completed()).map((j) => j.id), [jobs[2].id, jobs[3].id]);
      assert.deepEqual(await store.logs(jobs[0].id), []);
      assert.equal((await store.cancel(added[4].id, T0 + 9))?.status, "cancelled");
      assert.equal((await completed()).length, 2, "a cancel does not count");
      const [last] = await store.add([newJob("kept")]);
      const { jobs: [leased] } = await store.claim(request("kept", 1));
      assert.equal(leased.id, last.id);
      await store.settle([{ ...leased, outcome: "completed", now: T0 + 10, logs: [] }]);
      assert.deepEqual((await completed()).map((j) => j.id), [jobs[3].id, last.id]);
      assert.equal(await store.get(jobs[2].id), undefined, "the oldest made room");
    } finally {
      await store.close();
    }
    assert.throws(() => new RedisStore({ url, maxFinished: -1 }), RangeError);
  },
);

test("RedisStore reads prefix and maxFinished from the URL's query", { skip }, () => {
  const store = new RedisStore({ url: `${url}/0?prefix=from-url&maxFinished=10` });
  assert.equal(store.base, "{kinetik:from-url}:");
  assert.throws(() => new RedisStore({ url: `${url}?maxFinished=lots` }), /current value is lots/);
  return store.close();
});
