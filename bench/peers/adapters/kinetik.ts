// Kinetik on its Redis store, with its defaults: completed jobs kept, job events published
// to other processes, a lease per job. `complete` fires after the settle script committed.
import { kinetik } from "../../../mod.ts";
import { RedisStore } from "../../../stores/redis.ts";
import deno from "../../../deno.json" with { type: "json" };
import { kinetikAdapter } from "./_kinetik_queue.ts";
import { withoutMetrics } from "../../_metrics_switch.ts";

export default async function create(
  { url, queue: prefix, metrics = true }: { url: string; queue: string; metrics?: boolean },
) {
  const store = new RedisStore({ url, prefix });
  const queue = kinetik(metrics ? store : withoutMetrics(store), { interval: "10s" });
  await queue.count(); // Connected before the clock starts, as the peers' ready().
  return kinetikAdapter(queue, { kinetik: deno.version });
}
