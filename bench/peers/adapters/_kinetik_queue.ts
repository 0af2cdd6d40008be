// What every Kinetik adapter hands the case runner, whatever the store under the queue: the
// same task, the same handler wiring, the same close. Each adapter opens its store and
// connects first, so that the clock starts on a ready queue, as the peers' set-up does.
import type { Queue } from "../../../mod.ts";

export interface Hooks {
  onCompleted(): void;
  onFailed(error: unknown): void;
}

/** The adapter over a connected `queue`; `versions` go into the results. */
export function kinetikAdapter(queue: Queue, versions: Record<string, string>) {
  return {
    versions,
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
