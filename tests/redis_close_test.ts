/**
 * RedisStore.close() under Deno's op and resource sanitizers, in a file of its own: in a file
 * shared with other tests, their stores' late socket callbacks would be counted here. Bun has
 * no sanitizers, so this file has nothing to run there.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisStore } from "../stores/redis.ts";
import { PATIENCE, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const T0 = 1_700_000_000_000;
const deno = (globalThis as { Deno?: { test: (options: object) => void } }).Deno;

if (!deno) {
  test("RedisStore.close() leaves no timers or connections behind", {
    skip: "Deno's sanitizers check this; Bun has none",
  }, () => {});
} else {
  const server = await redisServer({});
  const skip = unavailable(
    "the Redis close test",
    typeof server === "string" ? server : undefined,
  );
  deno.test({
    name: "RedisStore.close() leaves no timers or connections behind (Deno sanitizers)",
    ignore: skip !== undefined,
    sanitizeOps: true,
    sanitizeResources: true,
    async fn() {
      if (typeof server === "string") return;
      const store = new RedisStore({ url: server.url, prefix: "close" });
      const controller = new AbortController();
      const reader = store.subscribe(controller.signal).getReader();
      await store.add([{
        task: "clean",
        data: { n: 1 },
        created: T0,
        priority: 0,
        log: { time: T0, message: "Created" },
      }]);
      const woken = await withTimeout(reader.read(), PATIENCE, "the wake message");
      assert.deepEqual(woken.value, { type: "wake", task: "clean" });
      const { jobs } = await store.claim({
        groups: [["clean"]],
        limit: 10,
        worker: "w",
        leaseMs: 1_000,
        now: T0,
      });
      await store.renew(jobs, 1_000, T0);
      await store.close();
      assert.equal((await withTimeout(reader.read(), PATIENCE, "the end")).done, true);
    },
  });
  deno.test({
    name: "redis-server for the close test stops",
    ignore: skip !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (typeof server !== "string") await server.dispose();
    },
  });
}
