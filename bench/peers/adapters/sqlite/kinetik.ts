// Kinetik on its SQLite store, with its defaults: WAL, synchronous=NORMAL, completed jobs kept,
// job events written to the events table for other processes, a lease per job. `complete`
// fires after the settle transaction committed.
import { kinetik } from "../../../../mod.ts";
import { SqliteStore } from "../../../../stores/sqlite.ts";
import deno from "../../../../deno.json" with { type: "json" };

interface Hooks {
  onCompleted(): void;
  onFailed(error: unknown): void;
}

export default async function create({ path }: { path: string }) {
  const queue = kinetik(new SqliteStore({ path }), { interval: "10s" });
  await queue.count(); // The file opened before the clock starts, as the peers' set-up.
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
