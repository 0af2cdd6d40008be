import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import { RedisStore } from "../stores/redis.ts";
import { METRICS_TTL_SECONDS } from "../stores/redis/_metrics.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable(
  "the Redis metrics tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const MINUTE = 60_000;
const M0 = 1_700_000_040_000;
const DAY = 24 * 60 * MINUTE;
let prefixes = 0;

async function withStore(fn: (store: RedisStore, redis: Redis, base: string) => Promise<void>) {
  const store = new RedisStore({ url, prefix: `m${++prefixes}-${Date.now().toString(36)}` });
  const redis = new Redis(url).on("error", () => {});
  try {
    await fn(store, redis, store.base);
  } finally {
    await store.close();
    await redis.quit();
  }
}

test(
  "RedisStore.recordMetrics() keeps a hash per minute under the queue's hash tag, expiring in 25 h",
  { skip },
  async () => {
    await withStore(async (store, redis, base) => {
      await store.recordMetrics([
        { task: "send email", minute: M0, completed: 3, failed: 1, runtimes: { "12": 4 } },
        { task: "resize", minute: M0 + MINUTE, completed: 1, failed: 0, runtimes: { "0": 1 } },
      ], M0 + MINUTE);
      assert.deepEqual((await redis.keys(`${base}*`)).sort(), [
        `${base}metrics`,
        `${base}metrics:${M0}`,
        `${base}metrics:${M0 + MINUTE}`,
      ]);
      assert.deepEqual(await redis.hgetall(`${base}metrics:${M0}`), {
        "send email:c": "3",
        "send email:f": "1",
        "send email:12": "4",
      });
      for (const key of [`${base}metrics`, `${base}metrics:${M0}`]) {
        const ttl = await redis.ttl(key);
        assert.ok(
          ttl > METRICS_TTL_SECONDS - 60 && ttl <= METRICS_TTL_SECONDS,
          `${key} ttl ${ttl}`,
        );
      }
    });
  },
);

test(
  "RedisStore.recordMetrics() deletes the hashes of the minutes it drops",
  { skip },
  async () => {
    await withStore(async (store, redis, base) => {
      await store.recordMetrics(
        [{ task: "t", minute: M0, completed: 1, failed: 0, runtimes: {} }],
        M0,
      );
      const now = M0 + DAY + MINUTE;
      await store.recordMetrics(
        [{ task: "t", minute: now, completed: 1, failed: 0, runtimes: {} }],
        now,
      );
      assert.equal(await redis.exists(`${base}metrics:${M0}`), 0);
      assert.deepEqual(await redis.zrange(`${base}metrics`, "0", "-1"), [String(now)]);
      assert.deepEqual((await store.metrics(0)).map((s) => s.minute), [now]);
    });
  },
);
