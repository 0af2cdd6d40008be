// Kinetik on its PostgreSQL store, with its defaults: completed jobs kept (with their logs and
// results), job events published to other processes, a lease per job, every add committed
// durably before it resolves. `complete` fires after the settle committed.
import { kinetik } from "../../../mod.ts";
import { PostgresStore } from "../../../stores/postgres.ts";
import deno from "../../../deno.json" with { type: "json" };

interface Hooks {
  onCompleted(): void;
  onFailed(error: unknown): void;
}

export default async function create({ url }: { url: string }) {
  const queue = kinetik(new PostgresStore({ url }), { interval: "10s" });
  await queue.count(); // Connected and the schema made before the clock starts.
  return {
    versions: { kinetik: deno.version, postgres: deno.imports.postgres.replace("npm:", "") },
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
