// Kinetik on its Redis store as `kinetik.ts` runs it, with one change: the store's
// connections are node-redis clients (`_node_redis_connection.ts`) instead of its own RESP
// client, so the two clients can be compared on the same store, cases and runtime.
import { urlConnections } from "../../../stores/redis/_options.ts";
import { NODE_REDIS_VERSION, NodeRedisConnection } from "./_node_redis_connection.ts";
import create from "./kinetik.ts";

urlConnections.open = (settings) => new NodeRedisConnection(settings);

export default async function createWithNodeRedis(options: { url: string; queue: string }) {
  const adapter = await create(options);
  return { ...adapter, versions: { ...adapter.versions, redis: NODE_REDIS_VERSION } };
}
