// One benchmark case in one fresh process, under Node, Bun or Deno alike (node:* built-ins
// only). `deno task bench:peers` (bench/peers.ts) spawns it; it prints one JSON line:
// `{"ready":true}` first for a latency worker, then the result.
//
//   <runtime> bench/peers/case.mjs --system kinetik|kinetik-node-redis|kinetik-no-metrics|bullmq|bee-queue --redis URL
//     (or --system kinetik-postgres|pg-boss|graphile-worker --url postgres://…)
//     (or --store sqlite --system kinetik|plainjob|liteque|bunqueue --sqlite FILE)
//     --case enqueue-single|enqueue-bulk|seed|process|latency-worker|latency-producer
//     [--jobs 20000] [--concurrency 1] [--rate 200]
import process from "node:process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const ADAPTERS = {
  kinetik: "./adapters/kinetik.ts",
  "kinetik-postgres": "./adapters/kinetik_postgres.ts",
  "pg-boss": "./adapters/pg_boss.mjs",
  "graphile-worker": "./adapters/graphile_worker.mjs",
  "kinetik-node-redis": "./adapters/kinetik_node_redis.ts",
  "kinetik-no-metrics": "./adapters/kinetik_no_metrics.ts",
  bullmq: "./adapters/bullmq.mjs",
  "bee-queue": "./adapters/bee_queue.mjs",
};
// `--store sqlite`: the SQLite peers, each on the file `--sqlite` names.
const SQLITE_ADAPTERS = {
  kinetik: "./adapters/sqlite/kinetik.ts",
  plainjob: "./adapters/sqlite/plainjob.mjs",
  liteque: "./adapters/sqlite/liteque.mjs",
  bunqueue: "./adapters/sqlite/bunqueue.mjs",
};

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].slice(2)] = process.argv[i + 1];
}
const jobs = Number(args.jobs ?? 20000);
const concurrency = Number(args.concurrency ?? 1);
const rate = Number(args.rate ?? 200);

/** Wall-clock ms with sub-ms precision, comparable between processes on one host. */
const wallMs = () => performance.timeOrigin + performance.now();
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");

function runtime() {
  if (globalThis.Deno) return ["deno", globalThis.Deno.version.deno];
  if (globalThis.Bun) return ["bun", globalThis.Bun.version];
  return ["node", process.versions.node];
}

/** Peak resident set of this process (VmHWM), MB. */
function peakRssMB() {
  const match = /VmHWM:\s+(\d+) kB/.exec(
    readFileSync("/proc/self/status", "utf8"),
  );
  return match ? Number(match[1]) / 1024 : null;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

/** About 80 bytes of JSON, a typical "send an email" payload. */
const payload = (i) => ({
  i,
  to: `user${i}@example.com`,
  template: "welcome",
  locale: "en",
});

/** Runs `fn` and returns its wall seconds and this process's CPU share (100 = one core). */
async function timed(fn) {
  const cpu = cpuMs();
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  return { seconds, cpuPct: (cpuMs() - cpu) / 10 / seconds };
}

async function main() {
  setTimeout(() => {
    process.stderr.write(`case ${args.system}/${args.case} timed out\n`);
    process.exit(2);
  }, 240_000).unref?.();
  const adapters = args.store === "sqlite" ? SQLITE_ADAPTERS : ADAPTERS;
  const create = (await import(adapters[args.system])).default;
  const role = args.case === "process" || args.case === "latency-worker" ? "worker" : "producer";
  const adapter = await create({
    url: args.url ?? args.redis,
    path: args.sqlite,
    queue: "bench",
    role,
  });
  const [name, version] = runtime();
  const row = {
    system: args.system,
    runtime: name,
    runtimeVersion: version,
    case: args.case,
    jobs,
  };

  if (args.case === "enqueue-single") {
    Object.assign(
      row,
      await timed(async () => {
        for (let i = 0; i < jobs; i++) await adapter.enqueueOne(payload(i));
      }),
    );
  } else if (args.case === "enqueue-bulk" || args.case === "seed") {
    const datas = Array.from({ length: jobs }, (_, i) => payload(i));
    Object.assign(row, await timed(() => adapter.enqueueBulk(datas)));
  } else if (args.case === "process") {
    // The clock starts once the worker consumes (connection set-up excluded) and stops at
    // the last completion the queue reports as recorded in Redis.
    let handled = 0;
    let clock;
    const done = new Promise((resolve, reject) => {
      let completed = 0;
      adapter.startWorker(concurrency, () => {
        handled++;
      }, {
        onCompleted: () => ++completed === jobs && resolve(),
        onFailed: (error) => reject(error),
      }).then(() => {
        clock = { start: performance.now(), cpu: cpuMs() };
      }, reject);
    });
    await done;
    const seconds = (performance.now() - clock.start) / 1000;
    Object.assign(row, {
      seconds,
      cpuPct: (cpuMs() - clock.cpu) / 10 / seconds,
      handled,
    });
  } else if (args.case === "latency-worker") {
    const latencies = [];
    let clock;
    const done = new Promise((resolve, reject) => {
      let completed = 0;
      adapter.startWorker(concurrency, (data) => {
        latencies.push(wallMs() - data.created);
        clock ??= { start: performance.now(), cpu: cpuMs() };
      }, {
        onCompleted: () => ++completed === jobs && resolve(),
        onFailed: (error) => reject(error),
      }).then(() => print({ ready: true }), reject);
    });
    await done;
    const seconds = (performance.now() - clock.start) / 1000;
    latencies.sort((a, b) => a - b);
    Object.assign(row, {
      seconds,
      cpuPct: (cpuMs() - clock.cpu) / 10 / seconds,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    });
  } else if (args.case === "latency-producer") {
    // Open loop: job i is due at start + i / rate, whatever the previous adds took.
    const start = performance.now();
    for (let i = 0; i < jobs; i++) {
      const due = start + (i * 1000) / rate - performance.now();
      if (due > 0) await sleep(due);
      await adapter.enqueueOne({ ...payload(i), created: wallMs() });
    }
    row.seconds = (performance.now() - start) / 1000;
  } else {
    throw new Error(`unknown case ${args.case}`);
  }
  row.jobsPerSec = jobs / row.seconds;
  row.rssMB = peakRssMB();
  row.versions = adapter.versions;
  print(row);
  await Promise.race([adapter.close(), sleep(3000)]);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(
    `case ${args.system}/${args.case} failed: ${error?.stack ?? error}\n`,
  );
  process.exit(1);
});
