import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Cluster } from "ioredis";
import { RedisStore } from "../stores/redis.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { redisCluster } from "./_redis_cluster.ts";
import { NOT_YET } from "./_helpers.ts";

const cluster = await redisCluster();
const skip = typeof cluster === "string" ? cluster : undefined;
if (skip) console.log(`Skipping the Redis Cluster tests: ${skip}`);
const client = typeof cluster === "string" ? undefined : new Cluster(cluster.nodes);
client?.on("error", () => {});
after(async () => {
  if (typeof cluster === "string") return;
  await client!.quit();
  await cluster.dispose();
});

let prefixes = 0;
const run = Math.random().toString(36).slice(2, 8);

// Every verb runs against a three-node cluster: a key outside the queue's hash tag would
// fail with CROSSSLOT or "non local key" errors.
testStore(test, {
  name: "redis cluster",
  open: () => new RedisStore({ client: client!, prefix: `c${++prefixes}-${run}` }),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : NOT_YET,
});

test(
  "RedisStore keeps a queue in one cluster slot, and queues spread over slots",
  { skip },
  async () => {
    const slots = await Promise.all(
      ["a", "b", "c", "d"].map(async (prefix) => {
        const store = new RedisStore({ client: client!, prefix: `${prefix}-${run}` });
        const [job] = await store.add([{
          task: "t",
          data: null,
          created: 1,
          priority: 0,
          log: { time: 1, message: "Created" },
        }]);
        await store.close();
        const keys = [
          `${store.base}job:${job.id}`,
          `${store.base}logs:${job.id}`,
          `${store.base}id`,
        ];
        const keySlots = await Promise.all(keys.map((key) => client!.cluster("KEYSLOT", key)));
        assert.equal(new Set(keySlots).size, 1, `one slot for ${keys}`);
        return keySlots[0];
      }),
    );
    assert.ok(new Set(slots).size > 1, `queues land on different slots: ${slots}`);
  },
);
