// liteque on better-sqlite3 (Node only), with the settings of its README's example, as it has
// no defaults for them: migrations run, WAL with synchronous=NORMAL (its buildDBClient
// default), numRetries 2, keepFailedJobs false, pollIntervalMs 1000, timeoutSecs 60. It deletes
// a job once it completed (it keeps no completed jobs) and has no bulk enqueue. Its Runner calls
// onComplete before it writes the outcome, so completion is signalled after finalize() instead.
// better-sqlite3 is pinned to 10.1.0: the claim of liteque 0.8.0 as published passes an async
// function to a transaction, which better-sqlite3 11 and later refuse ("Transaction function
// cannot return a promise"); 13 also needs a newer Node than this machine's 20.
import { createRequire } from "node:module";

// Named through a variable so `deno check` of the project leaves it to the runtime: it resolves
// from bench/peers/node_modules.
const PACKAGE = "liteque";
const { buildDBClient, Runner, SqliteQueue } = await import(PACKAGE);
const require = createRequire(import.meta.url);
const version = (name) => require(`${name}/package.json`).version;

export default function create({ path, queue: name }) {
  const db = buildDBClient(path, { runMigrations: true });
  let onFinalized = () => {};
  class Queue extends SqliteQueue {
    async finalize(...args) {
      await super.finalize(...args);
      onFinalized(args[2]);
    }
  }
  const queue = new Queue(name, db, {
    defaultJobArgs: { numRetries: 2 },
    keepFailedJobs: false,
  });
  let runner;
  return {
    versions: {
      liteque: version("liteque"),
      "better-sqlite3": version("better-sqlite3"),
    },
    enqueueOne: (data) => queue.enqueue(data),
    // Only to seed the process cases: liteque has no bulk add, so enqueue-bulk is not run.
    async enqueueBulk(datas) {
      for (const data of datas) await queue.enqueue(data);
    },
    startWorker(concurrency, handler, hooks) {
      onFinalized = (status) =>
        status === "completed" ? hooks.onCompleted() : hooks.onFailed(new Error(status));
      runner = new Runner(queue, {
        run: async (job) => await handler(job.data),
      }, {
        concurrency,
        pollIntervalMs: 1000,
        timeoutSecs: 60,
      });
      runner.run().catch(hooks.onFailed);
      return Promise.resolve();
    },
    close() {
      runner?.stop();
      db.session.client.close(); // drizzle 0.33 keeps the better-sqlite3 handle there.
      return Promise.resolve();
    },
  };
}
