/**
 * What the Redis store costs Redis, per job, on this machine: 20k adds one at a time, 20k in
 * one bulk add, then 20k jobs drained by claim+settle loops at concurrency 1 and 50, straight
 * on the store and through a real processor (`queue.process`, no-op action), and the same
 * processor over four tags. Per case: jobs/s, Redis commands per job (those run inside Lua
 * included, as in the peer benchmark), script calls per job, the time Redis spent inside the
 * scripts (INFO commandstats `usec`) and redis-server's CPU (user + system, which adds the
 * network I/O) per job, and this process's own CPU (user + system) per job. The machine is shared, so the Redis-side figures are the ones to
 * compare between changes; jobs/s moves with the load. Under load the mean script time
 * counts the moments Redis was descheduled mid-script; the median script call (INFO
 * latencystats, Redis 7) times calls that were not, so `script p50 µs/job` (that median
 * times script calls per job) moves least between runs.
 *
 * `deno run -A bench/redis_store.ts [--jobs 20000] [--url redis://…] [--cases a,b]
 * [--breakdown]` (or `bun bench/…`). `--breakdown` prints each case's commands by time spent.
 * Without `--url` (or `KINETIK_REDIS_URL`) it starts a private redis-server.
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { kinetik, type NewJob, type Settlement } from "../mod.ts";
import { RedisStore } from "../stores/redis.ts";
import { redisServer } from "../tests/_redis_server.ts";

const CASES = [
  "add-single",
  "add-bulk",
  "drain-c1",
  "drain-c50",
  "process-c1",
  "process-c50",
  "process-c50-4tags",
];
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    jobs: { type: "string", default: "20000" },
    url: { type: "string" },
    cases: { type: "string", default: CASES.join(",") },
    breakdown: { type: "boolean", default: false },
  },
});
const JOBS = Number(values.jobs);
const server = values.url ? values.url : await redisServer();
if (typeof server === "string" && !server.startsWith("redis")) throw new Error(server);
const url = typeof server === "string" ? server : server.url;
const admin = new Redis(url);
let prefixes = 0;
const fresh = () => new RedisStore({ url, prefix: `bench-${Date.now()}-${++prefixes}` });
const job = (i: number, task = "bench"): NewJob => ({
  task,
  data: { i, payload: "x".repeat(40) },
  created: Date.now(),
  priority: 0,
  log: { time: Date.now(), message: "Created" },
});

/** Per command name: calls and µs, from INFO commandstats. */
async function commandStats(): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await admin.info("commandstats");
  const stats = new Map<string, { calls: number; usec: number }>();
  for (
    const [, name, calls, usec] of info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)/g)
  ) {
    if (name !== "info" && !name.startsWith("config")) {
      stats.set(name, { calls: Number(calls), usec: Number(usec) });
    }
  }
  return stats;
}

async function cpuSeconds(): Promise<number> {
  const info = await admin.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return field("used_cpu_user") + field("used_cpu_sys");
}

/** How the store calls its scripts: FCALL on Redis 7, EVALSHA (or EVAL) before. */
const SCRIPT_COMMANDS = ["fcall", "fcall_ro", "evalsha", "eval"];

/** The median script call, µs, from INFO latencystats (Redis 7; NaN before). */
async function scriptMedian(): Promise<number> {
  const info = await admin.info("latencystats");
  return Number(/latency_percentiles_usec_(?:fcall|evalsha):p50=([\d.]+)/.exec(info)?.[1]);
}

interface Row {
  case: string;
  jobsPerSec: number;
  cmdsPerJob: number;
  scriptCallsPerJob: number;
  scriptUsPerJob: number;
  scriptP50UsPerJob: number;
  cpuUsPerJob: number;
  clientUsPerJob: number;
  breakdown: string;
}
const rows: Row[] = [];

/** Runs `fn` (which resolves once `JOBS` jobs are done) and files Redis's work on it. */
async function measure(name: string, fn: () => Promise<void>): Promise<void> {
  await admin.config("RESETSTAT");
  const cpu = await cpuSeconds();
  const started = performance.now();
  const client = process.cpuUsage();
  await fn();
  const clientCpu = process.cpuUsage(client);
  const seconds = (performance.now() - started) / 1000;
  const cpuUs = (await cpuSeconds() - cpu) * 1e6;
  const stats = await commandStats();
  const total = (names: string[]) =>
    names.reduce(
      (sum, n) => ({
        calls: sum.calls + (stats.get(n)?.calls ?? 0),
        usec: sum.usec + (stats.get(n)?.usec ?? 0),
      }),
      { calls: 0, usec: 0 },
    );
  const scripts = total(SCRIPT_COMMANDS);
  const median = await scriptMedian();
  const commands = [...stats.values()].reduce((sum, s) => sum + s.calls, 0);
  const perJob = (n: number, digits = 1) => Math.round((n / JOBS) * 10 ** digits) / 10 ** digits;
  rows.push({
    case: name,
    jobsPerSec: Math.round(JOBS / seconds),
    cmdsPerJob: perJob(commands),
    scriptCallsPerJob: perJob(scripts.calls, 3),
    scriptUsPerJob: perJob(scripts.usec),
    scriptP50UsPerJob: perJob(median * scripts.calls),
    cpuUsPerJob: perJob(cpuUs),
    clientUsPerJob: perJob(clientCpu.user + clientCpu.system),
    breakdown: [...stats].filter(([n]) => !SCRIPT_COMMANDS.includes(n))
      .sort((a, b) => b[1].usec - a[1].usec)
      .map(([n, s]) => `${n} ${perJob(s.calls, 2)}×/${perJob(s.usec, 2)}µs`).join(", "),
  });
}

/** Drains JOBS by settling every claimed job and claiming up to `concurrency` in one call. */
async function drain(store: RedisStore, concurrency: number): Promise<void> {
  const request = () => ({
    groups: [["bench"]],
    limit: concurrency,
    worker: "bench",
    leaseMs: 30_000,
    now: Date.now(),
  });
  let { jobs } = await store.claim(request());
  let done = 0;
  while (jobs.length > 0) {
    const settlements: Settlement[] = jobs.map((leased) => ({
      id: leased.id,
      token: leased.token,
      outcome: "completed",
      now: Date.now(),
      logs: [],
    }));
    done += jobs.length;
    jobs = (await store.settle(settlements, request())).claimed.jobs;
  }
  if (done !== JOBS) throw new Error(`drained ${done} jobs, expected ${JOBS}`);
}

/** A real processor draining JOBS from `tags` tasks, each under a tag of its own. */
async function processWithQueue(name: string, concurrency: number, tags = 1): Promise<void> {
  const store = fresh();
  const tasks = Array.from({ length: tags }, (_, t) => `bench${t}`);
  await store.add(Array.from({ length: JOBS }, (_, i) => job(i, tasks[i % tags])));
  const queue = kinetik(store, { interval: "1m", concurrency });
  let done = 0;
  const { promise: finished, resolve } = Promise.withResolvers<void>();
  for (const task of tasks) {
    queue.define(task).tag(`tag-${task}`).action(() => {}).on("complete", () => {
      if (++done === JOBS) resolve();
    });
  }
  await measure(name, async () => {
    queue.process(tasks.map((task) => `tag-${task}`));
    await finished;
  });
  await queue.close();
}

const runs: Record<string, () => Promise<void>> = {
  "add-single": async () => {
    const store = fresh();
    await measure("add-single", async () => {
      for (let i = 0; i < JOBS; i++) await store.add([job(i)]);
    });
    await store.close();
  },
  "add-bulk": async () => {
    const store = fresh();
    await measure("add-bulk", async () => {
      await store.add(Array.from({ length: JOBS }, (_, i) => job(i)));
    });
    await store.close();
  },
  "drain-c1": () => drainCase(1),
  "drain-c50": () => drainCase(50),
  "process-c1": () => processWithQueue("process-c1", 1),
  "process-c50": () => processWithQueue("process-c50", 50),
  "process-c50-4tags": () => processWithQueue("process-c50-4tags", 50, 4),
};

async function drainCase(concurrency: number): Promise<void> {
  const store = fresh();
  await store.add(Array.from({ length: JOBS }, (_, i) => job(i)));
  await measure(`drain-c${concurrency}`, () => drain(store, concurrency));
  await store.close();
}

for (const name of values.cases.split(",")) {
  const run = runs[name];
  if (!run) {
    throw new TypeError(
      `Cannot run the case as it is unknown: current value is ${JSON.stringify(name)}`,
    );
  }
  await admin.flushall();
  await run();
}

const runtime = "Bun" in globalThis
  ? `bun ${process.versions.bun}`
  : `deno ${process.versions.deno}`;
console.log(`\nRedis store, ${JOBS} jobs, ${runtime}, ${url}\n`);
console.log(
  "| case | jobs/s | Redis cmds/job | script calls/job | script µs/job | script p50 µs/job | Redis CPU µs/job | client CPU µs/job |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const row of rows) {
  console.log(
    `| ${row.case} | ${row.jobsPerSec} | ${row.cmdsPerJob} | ${row.scriptCallsPerJob} | ${row.scriptUsPerJob} | ${row.scriptP50UsPerJob} | ${row.cpuUsPerJob} | ${row.clientUsPerJob} |`,
  );
}
if (values.breakdown) {
  console.log("\nInner commands per job (calls × / µs):");
  for (const row of rows) console.log(`- ${row.case}: ${row.breakdown}`);
}
await admin.flushall();
await admin.quit();
if (typeof server !== "string") await server.dispose();
