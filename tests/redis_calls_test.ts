// How the Redis store calls its scripts (stores/redis/_calls.ts), against a private
// redis-server: as functions of one library on Redis 7, with EVALSHA as the way back.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import type { ClaimRequest, NewJob } from "../src/store.ts";
import { RedisStore } from "../stores/redis.ts";
import { redisFunctions } from "../stores/redis/_calls.ts";
import { LIBRARY } from "../stores/redis/_scripts.ts";
import { functionLibrary } from "../stores/redis/_library.ts";
import { RedisScript } from "../stores/redis/_script.ts";
import { waitFor } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const missing = unavailable(
  "the Redis function tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const admin = missing ? undefined : new Redis(url).on("error", () => {});
const version = admin ? /redis_version:(\d+)/.exec(await admin.info("server"))?.[1] : undefined;
const skip = missing ??
  (Number(version) < 7 ? `Redis ${version} has no FUNCTION command` : undefined);
const skipRestart = skip ??
  (typeof server !== "string" && !server.ownsServer
    ? "KINETIK_REDIS_URL is set: this test needs a redis-server of its own to restart"
    : undefined);
after(async () => {
  await admin?.quit();
  if (typeof server !== "string") await server.dispose();
});

const T0 = 1_700_000_000_000;
const newJob = (n: number): NewJob => ({
  task: "fn",
  data: { n },
  created: T0 + n,
  priority: 0,
  log: { time: T0 + n, message: "Created" },
});
const request = (limit: number): ClaimRequest => ({
  groups: [["fn"]],
  limit,
  worker: "w",
  leaseMs: 60_000,
  now: T0 + 1000,
});
let prefixes = 0;
const freshPrefix = () => `calls-${++prefixes}-${Math.random().toString(36).slice(2, 6)}`;

/** Redis's calls of each script command since the last `RESETSTAT`. */
async function scriptCommands(): Promise<Record<string, number>> {
  const info = await admin!.info("commandstats");
  const counts: Record<string, number> = { fcall: 0, evalsha: 0, eval: 0, "function|load": 0 };
  for (const [, name, calls] of info.matchAll(/cmdstat_([a-z|_]+):calls=(\d+)/g)) {
    if (name in counts) counts[name] = Number(calls);
  }
  return counts;
}

/** The names of the libraries loaded on the server. */
async function libraries(): Promise<string[]> {
  const list = await admin!.call("FUNCTION", "LIST") as unknown[][];
  return list.map((library) => String(library[library.indexOf("library_name") + 1]));
}

/** Adds `count` jobs, claims them all and settles them, returning how many completed. */
async function roundTrip(store: RedisStore, count: number): Promise<number> {
  await store.add(Array.from({ length: count }, (_, n) => newJob(n)));
  const { jobs } = await store.claim(request(count));
  const settled = await store.settle(
    jobs.map((job) => ({
      id: job.id,
      token: job.token,
      outcome: "completed",
      now: T0 + 2000,
      logs: [],
    })),
    request(1),
  );
  return settled.jobs.filter((job) => job?.status === "completed").length;
}

test(
  "RedisStore calls its scripts as functions of one library on Redis 7",
  { skip },
  async () => {
    await admin!.call("FUNCTION", "FLUSH");
    await admin!.config("RESETSTAT");
    const store = new RedisStore({ url, prefix: freshPrefix() });
    try {
      assert.equal(await roundTrip(store, 5), 5);
      assert.deepEqual(await libraries(), [LIBRARY.name]);
      const counts = await scriptCommands();
      assert.equal(counts["function|load"], 1);
      assert.equal(counts.evalsha + counts.eval, 0);
      // The first call found no library and ran again after the load: three calls, four FCALLs.
      assert.equal(counts.fcall, 4);
    } finally {
      await store.close();
    }
  },
);

test(
  "RedisStore loads its library beside another version's and leaves that one alone",
  { skip },
  async () => {
    const other = functionLibrary([new RedisScript("add", "return 'other version'")]);
    await admin!.call("FUNCTION", "FLUSH");
    await admin!.call("FUNCTION", "LOAD", other.source);
    const store = new RedisStore({ url, prefix: freshPrefix() });
    try {
      assert.equal(await roundTrip(store, 2), 2);
      assert.deepEqual((await libraries()).sort(), [LIBRARY.name, other.name].sort());
      const otherAdd = other.functions.values().next().value!;
      assert.equal(await admin!.call("FCALL", otherAdd, 0), "other version");
    } finally {
      await store.close();
    }
  },
);

test(
  "RedisStore keeps no state of one prefix's call in the next, on another prefix",
  { skip },
  async () => {
    const [a, b] = [freshPrefix(), freshPrefix()];
    const stores = [new RedisStore({ url, prefix: a }), new RedisStore({ url, prefix: b })];
    try {
      await stores[0].add([newJob(1)]);
      await stores[1].add([newJob(2), newJob(3)]);
      assert.equal(await admin!.zcard(`{kinetik:${a}}:index:fn:queued`), 1);
      assert.equal(await admin!.zcard(`{kinetik:${b}}:index:fn:queued`), 2);
      assert.equal((await stores[0].claim(request(10))).jobs.length, 1);
      assert.equal((await stores[1].claim(request(10))).jobs.length, 2);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  },
);

test(
  "RedisStore runs its scripts with EVALSHA when functions are turned off",
  { skip: missing },
  async () => {
    redisFunctions.enabled = false;
    const store = new RedisStore({ url, prefix: freshPrefix() });
    redisFunctions.enabled = true;
    try {
      await admin!.config("RESETSTAT");
      assert.equal(await roundTrip(store, 5), 5);
      const counts = await scriptCommands();
      assert.equal(counts.fcall + counts["function|load"], 0);
      assert.ok(counts.evalsha >= 3, `expected EVALSHA calls, got ${JSON.stringify(counts)}`);
    } finally {
      await store.close();
    }
  },
);

for (const [denied, rules] of [["FUNCTION", "-function"], ["FCALL", "-fcall -function"]]) {
  test(
    `RedisStore falls back to EVALSHA with no error when an ACL denies ${denied}`,
    { skip },
    async () => {
      const user = `no-${denied.toLowerCase()}`;
      await admin!.call(
        "ACL",
        "SETUSER",
        user,
        "reset",
        "on",
        ">pw",
        "~*",
        "&*",
        "+@all",
        ...rules.split(" "),
      );
      await admin!.call("FUNCTION", "FLUSH");
      const store = new RedisStore({
        url: url.replace("//", `//${user}:pw@`),
        prefix: freshPrefix(),
      });
      try {
        assert.equal(await roundTrip(store, 5), 5);
        assert.deepEqual(await libraries(), []);
      } finally {
        await store.close();
        await admin!.call("ACL", "DELUSER", user);
      }
    },
  );
}

test(
  "RedisStore loads its library again after a FUNCTION FLUSH and loses no job",
  { skip },
  async () => {
    const store = new RedisStore({ url, prefix: freshPrefix() });
    try {
      await store.add(Array.from({ length: 40 }, (_, n) => newJob(n)));
      const { jobs } = await store.claim(request(10));
      await admin!.call("FUNCTION", "FLUSH");
      await admin!.config("RESETSTAT");
      // Calls in flight together all find the library gone and wait for one load.
      const [settled, added] = await Promise.all([
        store.settle(
          jobs.map((job) => ({
            id: job.id,
            token: job.token,
            outcome: "completed",
            now: T0,
            logs: [],
          })),
          request(30),
        ),
        ...Array.from({ length: 10 }, (_, n) => store.add([newJob(100 + n)])),
      ]);
      assert.equal(settled.jobs.filter((job) => job?.status === "completed").length, 10);
      assert.equal(settled.claimed.jobs.length, 30);
      assert.equal(added.length, 1);
      assert.deepEqual(await libraries(), [LIBRARY.name]);
      const counts = await scriptCommands();
      assert.ok(counts["function|load"] >= 1 && counts["function|load"] <= 11);
      const { fn } = await store.stats();
      assert.deepEqual([fn.queued, fn.processing, fn.completed], [10, 30, 10]);
    } finally {
      await store.close();
    }
  },
);

test(
  "RedisStore loads its library again when Redis restarts without persistence",
  { skip: skipRestart },
  async () => {
    if (typeof server === "string") return;
    const store = new RedisStore({ url, prefix: freshPrefix() });
    try {
      assert.equal(await roundTrip(store, 3), 3);
      await server.stop();
      await server.start();
      assert.deepEqual(await libraries(), []);
      await waitFor(
        () => store.stats().then(() => true, () => false),
        5_000,
        "the store to reconnect",
      );
      assert.equal(await roundTrip(store, 3), 3);
      assert.deepEqual(await libraries(), [LIBRARY.name]);
    } finally {
      await store.close();
    }
  },
);
