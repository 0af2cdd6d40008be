// BullMQ with its defaults: ioredis connection options (BullMQ makes and owns its
// connections), completed jobs kept, its events stream on. No non-default job options.
import { createRequire } from "node:module";

// Named through a variable so `deno check` of the project leaves it to the runtime: it
// resolves from bench/peers/node_modules, outside the project's import map.
const PACKAGE = "bullmq";
const bullmq = await import(PACKAGE);
const { Queue, Worker } = bullmq.Queue ? bullmq : bullmq.default;
const version = (name) => createRequire(import.meta.url)(`${name}/package.json`).version;

export default async function create({ url, queue: name, role }) {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port) };
  const queue = role === "producer" ? new Queue(name, { connection }) : undefined;
  await queue?.waitUntilReady();
  let worker;
  return {
    versions: { bullmq: version("bullmq"), ioredis: version("ioredis") },
    enqueueOne: (data) => queue.add("job", data),
    enqueueBulk: (datas) => queue.addBulk(datas.map((data) => ({ name: "job", data }))),
    async startWorker(concurrency, handler, hooks) {
      worker = new Worker(name, async (job) => await handler(job.data), {
        connection,
        concurrency,
        autorun: false,
      });
      worker.on("completed", () => hooks.onCompleted());
      worker.on("failed", (_job, error) => hooks.onFailed(error));
      await worker.waitUntilReady();
      worker.run().catch(hooks.onFailed);
    },
    async close() {
      await worker?.close();
      await queue?.close();
    },
  };
}
