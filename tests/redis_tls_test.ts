import assert from "node:assert/strict";
import { after, test } from "node:test";
import { StoreError } from "../src/store.ts";
import { RedisStore } from "../stores/redis.ts";
import { PATIENCE, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer({ tls: true });
const skip = unavailable(
  "the Redis TLS tests",
  typeof server === "string" ? server : undefined,
);
after(() => typeof server === "string" ? undefined : server.dispose());

const T0 = 1_700_000_000_000;
const job = {
  task: "secure",
  data: { n: 1 },
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
};

test(
  "RedisStore speaks TLS to a rediss:// URL, checking the server's certificate",
  { skip },
  async () => {
    if (typeof server === "string") return;
    assert.match(server.url, /^rediss:\/\//);
    const store = new RedisStore({ url: server.url, tls: { ca: server.ca } });
    const untrusting = new RedisStore({ url: server.url });
    try {
      const [added] = await store.add([job]);
      const reader = store.subscribe(new AbortController().signal).getReader();
      await store.publish({ type: "cancel", id: added.id });
      const message = await withTimeout(reader.read(), PATIENCE, "the cancel message");
      assert.deepEqual(message.value, { type: "cancel", id: added.id });
      assert.equal((await store.get(added.id))?.status, "queued");
      await assert.rejects(untrusting.add([job]), StoreError, "an unknown CA is refused");
    } finally {
      await store.close();
      await untrusting.close();
    }
  },
);
