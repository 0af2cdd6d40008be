import { after, test } from "node:test";
import { RedisStore } from "../stores/redis.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { redisServer } from "./_redis_server.ts";

const server = await redisServer();
if (typeof server === "string") console.log(`Skipping the Redis store tests: ${server}`);
else after(() => server.dispose());

let prefixes = 0;
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

testStore(test, {
  name: "redis",
  open: () =>
    new RedisStore({ url: (server as { url: string }).url, prefix: `t${++prefixes}-${run}` }),
  skip: typeof server === "string"
    ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, server]))
    : {},
});
