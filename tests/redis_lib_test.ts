// The shared Lua of stores/redis/_scripts/lib.ts, through the scripts that lean on it hardest:
// a claim and a settle of 10,000 jobs in one call defer about 10,000 members per key, which
// flushLater() must write in slices (Lua's unpack() stops near 8,000 values).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import type { ClaimRequest, NewJob } from "../src/store.ts";
import { RedisStore } from "../stores/redis.ts";
import { LIB } from "../stores/redis/_scripts/lib.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable("the Redis script tests", typeof server === "string" ? server : undefined);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const T0 = 1_700_000_000_000;
const MANY = 10_000;
const newJob = (n: number): NewJob => ({
  task: "bulk",
  data: { n },
  created: T0 + n,
  priority: 0,
  log: { time: T0 + n, message: "Created" },
});
const request = (limit: number): ClaimRequest => ({
  groups: [["bulk"]],
  limit,
  worker: "w",
  leaseMs: 60_000,
  now: T0 + MANY,
});

test(
  "flushLater() writes a claim and a settle of 10,000 jobs in one call each, in slices",
  { skip, timeout: 60_000 },
  async () => {
    const prefix = `lib-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const store = new RedisStore({ url, prefix, maxFinished: MANY });
    const redis = new Redis(url).on("error", () => {});
    const base = `{kinetik:${prefix}}:`;
    try {
      await store.add(Array.from({ length: MANY }, (_, n) => newJob(n)));
      const { jobs } = await store.claim(request(MANY));
      assert.equal(jobs.length, MANY);
      assert.equal(await redis.zcard(`${base}index:bulk:processing`), MANY);
      assert.equal(await redis.zcard(`${base}index:bulk:queued`), 0);
      assert.equal(await redis.zcard(`${base}leases`), MANY);
      // Index members are creation time then id, so the zset reads in creation order.
      const [first] = await redis.zrange(`${base}index:bulk:processing`, "0", "0");
      assert.equal(first, String(T0).padStart(16, "0") + jobs[0].id.padStart(16, "0"));

      const result = await store.settle(
        jobs.map((job) => ({
          id: job.id,
          token: job.token,
          outcome: "completed" as const,
          now: T0 + MANY + 1,
          logs: [],
        })),
      );
      assert.equal(result.jobs.filter((job) => job?.status === "completed").length, MANY);
      assert.equal(await redis.zcard(`${base}index:bulk:processing`), 0);
      assert.equal(await redis.zcard(`${base}index:bulk:completed`), MANY);
      assert.equal(await redis.zcard(`${base}finished:completed`), MANY);
      assert.equal(await redis.zcard(`${base}leases`), 0);
      assert.equal(await store.count({ status: "completed" }), MANY);
    } finally {
      await store.close();
      await redis.quit();
    }
  },
);

test(
  "readyMember() pads the caller's digits as string.format does, and formats other numbers",
  { skip },
  async () => {
    const redis = new Redis(url).on("error", () => {});
    try {
      const script = `${LIB}\nlocal out = {}\n` +
        `for n = 1, #ARGV, 2 do out[#out + 1] = readyMember(ARGV[n], ARGV[n + 1]) end\n` +
        `out[#out + 1] = finishedMember('42')\nreturn out`;
      const pairs = [["1700000000000", "7"], ["0", "1"], ["1700000000000.9", "12"], ["-5", "3"]];
      const members = await redis.eval(script, 1, "{kinetik:lib}:", ...pairs.flat());
      assert.deepEqual(members, [
        "00017000000000000000000000000007",
        "00000000000000000000000000000001",
        "00017000000000000000000000000012",
        "-000000000000005" + "0000000000000003",
        "0000000000000042",
      ]);
    } finally {
      await redis.quit();
    }
  },
);
