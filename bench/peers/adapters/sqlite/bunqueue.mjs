// bunqueue embedded (Bun only) on a SQLite file (`dataPath`), with its defaults: WAL,
// synchronous=NORMAL, completed jobs kept, concurrency as asked. Its durability differs from the
// others': an add resolves once the job is in a memory buffer that reaches the file every 10 ms
// or 100 jobs (`durable: true` per job writes at once; not set, as it is not the default), so a
// kill -9 can lose acknowledged adds. Claims and completions are written as they happen.
import { createRequire } from "node:module";

// Named through a variable so `deno check` of the project leaves it to the runtime: it resolves
// from bench/peers/node_modules, and only under Bun.
const PACKAGE = "bunqueue/client";
const { Queue, Worker, shutdownManager } = await import(PACKAGE);
const require = createRequire(import.meta.url);

export default function create({ path, queue: name }) {
  const queue = new Queue(name, { embedded: true, dataPath: path });
  let worker;
  return {
    versions: { bunqueue: require("bunqueue/package.json").version },
    enqueueOne: (data) => queue.add("job", data),
    enqueueBulk: (datas) => queue.addBulk(datas.map((data) => ({ name: "job", data }))),
    startWorker(concurrency, handler, hooks) {
      worker = new Worker(name, async (job) => await handler(job.data), {
        embedded: true,
        concurrency,
      });
      worker.on("completed", () => hooks.onCompleted());
      worker.on("failed", (_job, error) => hooks.onFailed(error));
      return Promise.resolve();
    },
    async close() {
      await worker?.close();
      await queue.close();
      shutdownManager(); // Writes what the buffer still holds and closes the file.
    },
  };
}
