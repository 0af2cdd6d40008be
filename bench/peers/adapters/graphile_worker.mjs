// graphile-worker with its defaults: jobs deleted once they complete (it keeps no history),
// LISTEN/NOTIFY for new jobs and a 2 s poll, no local queue, no completion batching.
// `job:complete` fires once the result is written back to the database.
import { readFileSync } from "node:fs";

// Named through a variable so `deno check` of the project leaves it to the runtime: it
// resolves from bench/peers/node_modules, outside the project's import map.
const PACKAGE = "graphile-worker";
const graphile = await import(PACKAGE);
const { makeWorkerUtils, run } = graphile.run ? graphile : graphile.default;
// Read from the file: Deno refuses `require("<package>/package.json")` of a package whose
// "exports" do not list it.
const version = (name) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url)))
    .version;

export default async function create({ url, role }) {
  const utils = role === "producer" ? await makeWorkerUtils({ connectionString: url }) : undefined;
  await utils?.migrate();
  let runner;
  return {
    versions: { "graphile-worker": version("graphile-worker"), pg: version("pg") },
    enqueueOne: (data) => utils.addJob("bench", data),
    enqueueBulk: (datas) =>
      utils.addJobs(datas.map((payload) => ({ identifier: "bench", payload }))),
    async startWorker(concurrency, handler, hooks) {
      runner = await run({
        connectionString: url,
        concurrency,
        noHandleSignals: true,
        logger: new graphile.Logger(() => () => {}),
        taskList: { bench: async (payload) => await handler(payload) },
      });
      runner.events.on(
        "job:complete",
        ({ error }) => error ? hooks.onFailed(error) : hooks.onCompleted(),
      );
    },
    async close() {
      await runner?.stop();
      await utils?.release();
    },
  };
}
