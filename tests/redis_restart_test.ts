import assert from "node:assert/strict";
import { after, test } from "node:test";
import { kinetik, StoreError } from "../mod.ts";
import { RedisStore } from "../stores/redis.ts";
import { deferred, waitFor, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer({ durable: true });
const missing = unavailable(
  "the Redis restart test",
  typeof server === "string" ? server : undefined,
);
const skip = missing ??
  (typeof server !== "string" && !server.ownsServer
    ? "KINETIK_REDIS_URL is set: this test needs a redis-server of its own to restart"
    : undefined);
after(() => typeof server === "string" ? undefined : server.dispose());

test(
  "Redis: processors report an outage as errors, reconnect and finish every job",
  { skip, timeout: 20_000 },
  async () => {
    if (typeof server === "string") return;
    const prefix = `restart-${Math.random().toString(36).slice(2, 8)}`;
    const producer = kinetik(new RedisStore({ url: server.url, prefix }));
    const worker = kinetik(new RedisStore({ url: server.url, prefix }), {
      interval: 200,
      concurrency: 4,
      // A claim whose reply the outage swallowed leaves its jobs leased to nobody: they
      // are recovered once this lease runs out (at-least-once delivery).
      lease: "1s",
    });
    const errors: unknown[] = [];
    worker.on("error", (error) => errors.push(error));
    producer.on("error", () => {});
    let runs = 0;
    // Runs past the 50th hold until Redis is back, so the outage hits jobs mid-run.
    const fifty = deferred();
    const outageOver = deferred();
    worker.define("work").action(async () => {
      if (++runs === 50) fifty.resolve();
      if (runs > 50) await outageOver.promise;
    });
    try {
      await producer.createMany(
        Array.from({ length: 400 }, (_, i) => ({ task: "work", data: { i } })),
      );
      worker.process("default");
      await withTimeout(fifty.promise, 5_000, "50 runs");
      await server.stop();
      await waitFor(() => errors.length > 0, 5_000, "an error during the outage");
      const runsDuringOutage = runs;
      await server.start();
      outageOver.resolve();
      await waitFor(
        async () => (await producer.count({ status: "completed" }).catch(() => 0)) === 400,
        15_000,
        "every job completed",
      );
      assert.ok(errors.every((error) => error instanceof StoreError), String(errors[0]));
      assert.match((errors[0] as Error).message, /^redis: /);
      assert.deepEqual(await producer.store.stats(), { work: { completed: 400 } });
      assert.ok(runsDuringOutage < 400, `the outage hit mid-run: ${runsDuringOutage} runs`);
      assert.ok(runs >= 400, `every job ran: ${runs}`);
    } finally {
      await worker.close();
      await producer.close();
    }
  },
);
