// bee-queue with its defaults, except what its README recommends for a producer-only queue
// (isWorker, getEvents and storeJobs off) and getEvents off on the worker, which listens to
// its own `succeeded` events only. Completed jobs are kept (removeOnSuccess false, default).
import { createRequire } from "node:module";

// Named through a variable so `deno check` of the project leaves it to the runtime: it
// resolves from bench/peers/node_modules, outside the project's import map.
const PACKAGE = "bee-queue";
const BeeQueue = (await import(PACKAGE)).default;
const require = createRequire(import.meta.url);

export default async function create({ url, queue: name, role }) {
  const { hostname, port } = new URL(url);
  const redis = { host: hostname, port: Number(port) };
  const queue = role === "producer"
    ? new BeeQueue(name, {
      redis,
      isWorker: false,
      getEvents: false,
      storeJobs: false,
    })
    : new BeeQueue(name, { redis, getEvents: false });
  await queue.ready();
  return {
    versions: { "bee-queue": require("bee-queue/package.json").version },
    enqueueOne: (data) => queue.createJob(data).save(),
    async enqueueBulk(datas) {
      const errors = await queue.saveAll(
        datas.map((data) => queue.createJob(data)),
      );
      if (errors.size > 0) throw [...errors.values()][0];
    },
    startWorker(concurrency, handler, hooks) {
      queue.on("succeeded", () => hooks.onCompleted());
      queue.on("failed", (_job, error) => hooks.onFailed(error));
      queue.process(concurrency, async (job) => await handler(job.data));
      return Promise.resolve();
    },
    close: () => queue.close(),
  };
}
