// Kinetik on its Redis store, with its defaults: completed jobs kept, job events published
// to other processes, a lease per job. `complete` fires after the settle script committed.
import { kinetik } from "../../../mod.ts";
import { RedisStore } from "../../../stores/redis.ts";
import deno from "../../../deno.json" with { type: "json" };
import { withoutMetrics } from "../../_metrics_switch.ts";

interface Hooks {
  onCompleted(): void;
  onFailed(error: unknown): void;
}

export default async function create(
  { url, queue: prefix, metrics = true }: { url: string; queue: string; metrics?: boolean },
) {
  const store = new RedisStore({ url, prefix });
  const queue = kinetik(metrics ? store : withoutMetrics(store), { interval: "10s" });
  await queue.count(); // Connected before the clock starts, as the peers' ready().
  return {
    versions: { kinetik: deno.version },
    enqueueOne: (data: unknown) => queue.create("bench", data),
    enqueueBulk: (datas: unknown[]) =>
      queue.createMany(datas.map((data) => ({ task: "bench", data }))),
    startWorker(
      concurrency: number,
      handler: (data: unknown) => unknown,
      hooks: Hooks,
    ) {
      queue.define("bench").action((job) => handler(job.data))
        .on("complete", () => hooks.onCompleted())
        .on("fail", (error) => hooks.onFailed(error));
      queue.process("default", { concurrency });
      return Promise.resolve();
    },
    close: () => queue.close(),
  };
}
