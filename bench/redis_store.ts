/**
 * Raw throughput of the Redis store on this machine, the cases of the peer benchmark
 * (`shared/bench`): 20k adds one at a time, 20k in one bulk add, then 20k jobs drained by
 * claim+settle loops at concurrency 1 and 50, straight on the store and through a real
 * processor (`queue.process`, no-op action). Also counts Redis commands per job (those run
 * inside Lua included, as in the peer benchmark).
 *
 * `deno run -A bench/redis_store.ts [--jobs 20000] [--url redis://…]` (or `bun bench/…`).
 * Without `--url` (or `KINETIK_REDIS_URL`) it starts a private redis-server.
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { kinetik, type NewJob, type Settlement } from "../mod.ts";
import { RedisStore } from "../stores/redis.ts";
import { redisServer } from "../tests/_redis_server.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { jobs: { type: "string", default: "20000" }, url: { type: "string" } },
});
const JOBS = Number(values.jobs);
const server = values.url ? values.url : await redisServer();
if (typeof server === "string" && !server.startsWith("redis")) throw new Error(server);
const url = typeof server === "string" ? server : server.url;
const admin = new Redis(url);
let prefixes = 0;
const fresh = () => new RedisStore({ url, prefix: `bench-${Date.now()}-${++prefixes}` });
const job = (i: number): NewJob => ({
  task: "bench",
  data: { i, payload: "x".repeat(40) },
  created: Date.now(),
  priority: 0,
  log: { time: Date.now(), message: "Created" },
});

async function commands(): Promise<number> {
  const info = await admin.info("commandstats");
  let total = 0;
  for (const [, name, calls] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    if (name !== "info") total += Number(calls);
  }
  return total;
}

interface Row {
  case: string;
  jobsPerSec: number;
  cmdsPerJob: number;
  scriptCallsPerJob: number;
}
const rows: Row[] = [];

async function measure(name: string, fn: () => Promise<number>): Promise<void> {
  await admin.config("RESETSTAT");
  const started = performance.now();
  const calls = await fn();
  const seconds = (performance.now() - started) / 1000;
  const info = await admin.info("commandstats");
  const scripts = [...info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)]
    .reduce((sum, [, , n]) => sum + Number(n), 0);
  rows.push({
    case: name,
    jobsPerSec: Math.round(JOBS / seconds),
    cmdsPerJob: Math.round(((await commands()) - 1) / JOBS * 10) / 10,
    scriptCallsPerJob: Math.round(scripts / JOBS * 1000) / 1000 || calls / JOBS,
  });
}

/** Drains JOBS by settling every claimed job and claiming up to `concurrency` in one call. */
async function drain(store: RedisStore, concurrency: number): Promise<number> {
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
  return 0;
}

async function processWithQueue(concurrency: number): Promise<void> {
  const store = fresh();
  await store.add(Array.from({ length: JOBS }, (_, i) => job(i)));
  const queue = kinetik(store, { interval: "1m", concurrency });
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    queue.define("bench").action(() => {
      if (++done === JOBS) resolve();
    });
  });
  await measure(`queue.process c${concurrency}`, async () => {
    queue.process("default");
    await finished;
    while ((await store.count({ status: "completed" })) < JOBS) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return 0;
  });
  await queue.close();
}

for (
  const [name, run] of [
    ["add one at a time", async (store: RedisStore) => {
      for (let i = 0; i < JOBS; i++) await store.add([job(i)]);
      return 0;
    }],
    ["add bulk", async (store: RedisStore) => {
      await store.add(Array.from({ length: JOBS }, (_, i) => job(i)));
      return 0;
    }],
  ] as const
) {
  const store = fresh();
  await measure(name, () => run(store));
  await store.close();
}
for (const concurrency of [1, 50]) {
  const store = fresh();
  await store.add(Array.from({ length: JOBS }, (_, i) => job(i)));
  await measure(`claim+settle c${concurrency}`, () => drain(store, concurrency));
  await store.close();
}
await processWithQueue(1);
await processWithQueue(50);

const runtime = "Bun" in globalThis
  ? `bun ${process.versions.bun}`
  : `deno ${process.versions.deno}`;
console.log(`\nRedis store, ${JOBS} jobs, ${runtime}, ${url}\n`);
console.log("| case | jobs/s | Redis cmds/job | script calls/job |");
console.log("|---|---:|---:|---:|");
for (const row of rows) {
  console.log(`| ${row.case} | ${row.jobsPerSec} | ${row.cmdsPerJob} | ${row.scriptCallsPerJob} |`);
}
await admin.flushdb();
await admin.quit();
if (typeof server !== "string") await server.dispose();
