// plainjob on bun:sqlite (strict mode, as its README asks), with its defaults: WAL,
// synchronous=1 (NORMAL), completed jobs kept (removed after 7 days), one job at a time per
// worker (it has no concurrency setting), an idle worker polls every 1,000 ms. One deviation:
// a silent logger, since its default (console) prints a debug line per job on stdout, which
// would measure the terminal rather than the queue.
import { createRequire } from "node:module";

// Named through variables so `deno check` of the project leaves them to the runtime: they
// resolve from bench/peers/node_modules, and bun:sqlite exists only under Bun.
const PACKAGE = "plainjob";
const DRIVER = "bun:sqlite";
const { bun, defineQueue, defineWorker } = await import(PACKAGE);
const { Database } = await import(DRIVER);
const require = createRequire(import.meta.url);

const silent = { error() {}, warn() {}, info() {}, debug() {} };

export default function create({ path }) {
  const connection = bun(new Database(path, { strict: true }));
  const queue = defineQueue({ connection, logger: silent });
  let worker;
  return {
    versions: { plainjob: require("plainjob/package.json").version },
    enqueueOne: (data) => queue.add("bench", data),
    enqueueBulk: (datas) => queue.addMany("bench", datas),
    startWorker(concurrency, handler, hooks) {
      if (concurrency !== 1) {
        throw new RangeError(
          `Cannot run plainjob at concurrency ${concurrency} as it runs one job at a time`,
        );
      }
      // onCompleted runs right after markJobAsDone's UPDATE returned (committed).
      worker = defineWorker(
        "bench",
        async (job) => await handler(JSON.parse(job.data)),
        {
          queue,
          logger: silent,
          onCompleted: () => hooks.onCompleted(),
          onFailed: (_job, error) => hooks.onFailed(new Error(error)),
        },
      );
      worker.start().catch(hooks.onFailed);
      return Promise.resolve();
    },
    async close() {
      await worker?.stop();
      queue.close();
    },
  };
}
