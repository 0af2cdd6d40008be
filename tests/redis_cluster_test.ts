import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Cluster } from "ioredis";
import { RedisStore } from "../stores/redis.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { redisCluster } from "./_redis_cluster.ts";
import { unavailable } from "./_unavailable.ts";

const cluster = await redisCluster();
const skip = unavailable(
  "the Redis Cluster tests",
  typeof cluster === "string" ? cluster : undefined,
);
const client = typeof cluster === "string" ? undefined : new Cluster(cluster.nodes);

client?.on("error", () => {});
// The second store of the two-store cases connects on its own, as another process would.
const peerClient = typeof cluster === "string" ? undefined : new Cluster(cluster.nodes);
peerClient?.on("error", () => {});
after(async () => {
  if (typeof cluster === "string") return;
  await client!.quit();
  await peerClient!.quit();
  await cluster.dispose();
});

let prefixes = 0;
const prefixOf = new WeakMap<object, string>();
const run = Math.random().toString(36).slice(2, 8);

// Every verb runs against a three-node cluster: a key outside the queue's hash tag would
// fail with CROSSSLOT or "non local key" errors.
testStore(test, {
  name: "redis cluster",
  open: () => {
    const prefix = `c${++prefixes}-${run}`;
    const store = new RedisStore({ client: client!, prefix });
    prefixOf.set(store, prefix);
    return store;
  },
  openPeer: (store) => new RedisStore({ client: peerClient!, prefix: prefixOf.get(store)! }),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {},
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
