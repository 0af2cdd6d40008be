// pg-boss configured as its documentation advises for throughput and latency, since with
// every default a worker waits its 2 s polling interval after each fetch (26 jobs/s at
// concurrency 50 here, and a latency run of 1,000 jobs would take over half an hour):
// LISTEN/NOTIFY on (`useListenNotify`, queue `notify`), and burst fetching, so a worker
// fetches again at once while fetches come back full. Concurrency 1 is one job per fetch;
// concurrency n fetches batches of n (`batchSize`), run at once, and completes each batch in
// one statement. Completed jobs are kept (its default).
//
// pg-boss reports no per-job completion, so while a worker runs the adapter reads the count
// of completed jobs every 20 ms on a connection of its own (about 50 small queries a second,
// counted in the statements per job) and reports completions as the database shows them.
import { readFileSync } from "node:fs";
import process from "node:process";

// Named through variables so `deno check` of the project leaves them to the runtime: they
// resolve from bench/peers/node_modules, outside the project's import map.
const PACKAGE = "pg-boss";
const PG = "pg";
const imported = await import(PACKAGE);
const PgBoss = imported.PgBoss ?? imported.default?.PgBoss ?? imported.default;
const pg = await import(PG);
const Pool = pg.Pool ?? pg.default.Pool;
// Read from the file: Deno refuses `require("<package>/package.json")` of a package whose
// "exports" do not list it.
const version = (name) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url)))
    .version;
const QUEUE = "bench";

export default async function create({ url }) {
  const boss = new PgBoss({
    connectionString: url,
    useListenNotify: true,
    queueCacheIntervalSeconds: 1,
  });
  boss.on("error", (error) => process.stderr.write(`pg-boss error: ${error}\n`));
  await boss.start();
  await boss.createQueue(QUEUE, { notify: true });
  let counter;
  let timer;
  return {
    versions: { "pg-boss": version("pg-boss"), pg: version("pg") },
    enqueueOne: (data) => boss.send(QUEUE, data),
    enqueueBulk: (datas) => boss.insert(QUEUE, datas.map((data) => ({ data }))),
    async startWorker(concurrency, handler, hooks) {
      counter = new Pool({ connectionString: url, max: 1 });
      let reported = 0;
      let reading = false;
      timer = setInterval(async () => {
        if (reading) return;
        reading = true;
        try {
          const { rows } = await counter.query(
            "SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'",
            [QUEUE],
          );
          for (; reported < rows[0].n; reported++) hooks.onCompleted();
        } catch (error) {
          hooks.onFailed(error);
        } finally {
          reading = false;
        }
      }, 20);
      const options = concurrency === 1
        ? { batchSize: 1, burstWhenReadyExceeds: 1 }
        : { batchSize: concurrency, burstWhenBatchFull: true, burstWhenReadyExceeds: 1 };
      await boss.work(QUEUE, options, async (jobs) => {
        await Promise.all(jobs.map((job) => handler(job.data)));
      });
    },
    async close() {
      clearInterval(timer);
      await boss.stop({ graceful: false, wait: false }).catch(() => {});
      await counter?.end();
    },
  };
}
