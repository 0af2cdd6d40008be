/**
 * `deno task bench:peers`: Kinetik's Redis store side by side with BullMQ and bee-queue, on
 * one private `redis-server` this script starts and stops. Every case runs in a fresh
 * process (`bench/peers/case.mjs`), the database emptied before each; systems alternate
 * within a repetition and their order rotates between repetitions; medians are reported.
 * The peers are installed into `bench/peers/node_modules` (npm) on the first run.
 *
 * Flags: `--reps 3`, `--jobs 20000`, `--latency-jobs 1000`, `--rate 200`,
 * `--systems kinetik,bullmq,bee-queue` (also `kinetik-node-redis`: the store on node-redis
 * instead of its own client; `kinetik-no-metrics`: the store with metrics off), `--runtimes deno,bun` (add `node` for the peers),
 * `--cases enqueue-single,enqueue-bulk,process-c1,process-c50,latency`, `--no-count` (skip
 * the MONITOR pass that counts the commands clients send per job). `--store postgres` runs
 * the PostgreSQL comparison instead (Kinetik, pg-boss, graphile-worker; see
 * `bench/peers/postgres.ts`), with the same flags and `--peer-runtimes` (the peers'
 * runtimes, default those of `--runtimes`).
 *
 * Writes `bench/results/latest.json` and the generated part of `bench/RESULTS.md`.
 * `--store sqlite` runs the SQLite comparison instead (`bench/peers/sqlite.ts`).
 * @module
 */

import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import process from "node:process";
import { BenchRedis } from "./peers/_redis.ts";
import { medians, ratios, type Run, table, updateResults } from "./peers/_report.ts";
import { saveRows } from "./peers/_results_file.ts";
import { type Entrant, installPeers, runCase as runCaseProcess } from "./peers/_run_case.ts";
import { runSqlite } from "./peers/sqlite.ts";

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    reps: { type: "string", default: "3" },
    jobs: { type: "string", default: "20000" },
    "latency-jobs": { type: "string", default: "1000" },
    rate: { type: "string", default: "200" },
    store: { type: "string", default: "redis" },
    "peer-runtimes": { type: "string" },
    systems: { type: "string" },
    runtimes: { type: "string", default: "deno,bun" },
    cases: {
      type: "string",
      default: "enqueue-single,enqueue-bulk,process-c1,process-c50,latency",
    },
    "no-count": { type: "boolean", default: false },
  },
});
if (flags.store === "sqlite") {
  await runSqlite(process.argv.slice(2));
  process.exit(0);
}
if (flags.store === "postgres") {
  const { runPostgres } = await import("./peers/postgres.ts");
  await runPostgres(
    {
      ...flags,
      systems: flags.systems ?? "kinetik,pg-boss,graphile-worker",
      "peer-runtimes": flags["peer-runtimes"] ?? flags.runtimes,
    },
    process.argv.slice(2),
  );
  process.exit(0);
}
const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SYSTEMS = flags.systems ?? "kinetik,bullmq,bee-queue";
const JOBS = Number(flags.jobs);
const LATENCY_JOBS = Number(flags["latency-jobs"]);
// Kinetik runs on Deno and Bun only; the peers on whichever runtimes were asked for.
const isKinetik = (system: string) => system.startsWith("kinetik");
const entrants: Entrant[] = flags.runtimes.split(",").flatMap((runtime) =>
  SYSTEMS.split(",").filter((system) => !isKinetik(system) || runtime !== "node")
    .map((system) => ({ system, runtime }))
);

/** Runs one case process against the benchmark's Redis (see `peers/_run_case.ts`). */
function runCase(
  who: Entrant,
  url: string,
  args: string[],
  onReady?: () => void,
): Promise<Record<string, unknown>> {
  return runCaseProcess(who, ["--redis", url, ...args], { onReady });
}

/** One measured case: seeds what it needs, runs it, and attributes Redis's work to it. */
async function measure(
  redis: BenchRedis,
  who: Entrant,
  name: string,
  jobs = JOBS,
  around = <T>(fn: () => Promise<T>) => fn(),
): Promise<Run> {
  await redis.flush();
  const n = name === "latency" ? LATENCY_JOBS : jobs;
  const base = ["--jobs", String(n)];
  let result: Record<string, unknown>;
  let before;
  if (name.startsWith("process-c")) {
    await runCase(who, redis.url, ["--case", "seed", ...base]);
    before = await redis.counters();
    result = await around(() =>
      runCase(who, redis.url, [
        "--case",
        "process",
        "--concurrency",
        name.slice("process-c".length),
        ...base,
      ])
    );
  } else if (name === "latency") {
    before = await redis.counters();
    let worker!: Promise<Record<string, unknown>>;
    await new Promise<void>((ready, fail) => {
      worker = runCase(who, redis.url, ["--case", "latency-worker", ...base], ready);
      worker.catch(fail);
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // Let it settle into idling.
    await runCase(who, redis.url, ["--case", "latency-producer", "--rate", flags.rate, ...base]);
    result = await worker;
  } else {
    before = await redis.counters();
    result = await around(() => runCase(who, redis.url, ["--case", name, ...base]));
  }
  const after = await redis.counters();
  return {
    ...(result as unknown as Run),
    case: name,
    redisCpuPct: ((after.cpu - before.cpu) / (result.seconds as number)) * 100,
    cmdsPerJob: (after.commands - before.commands) / n,
    clientUsPerJob: ((result.cpuPct as number) / 100) * (result.seconds as number) * 1e6 / n,
    redisUsPerJob: (after.cpu - before.cpu) * 1e6 / n,
  };
}

if (entrants.some((e) => !isKinetik(e.system))) await installPeers();

const cases = flags.cases.split(",");
const redis = await BenchRedis.start();
const runs: Run[] = [];
const sent = new Map<string, number>();
const started = Date.now();
const versions: Record<string, unknown> = {};
try {
  console.error(
    `redis ${redis.version} at ${redis.url}; ${entrants.length} entrants × ${cases.length} cases × ${flags.reps} reps`,
  );
  for (let rep = 0; rep < Number(flags.reps); rep++) {
    const order = entrants.map((_, i) => entrants[(i + rep) % entrants.length]);
    for (const name of cases) {
      for (const who of order) {
        try {
          const run = await measure(redis, who, name);
          runs.push(run);
          versions[`${who.system}@${who.runtime}`] = {
            [who.runtime]: (run as unknown as { runtimeVersion: string }).runtimeVersion,
            ...run.versions,
          };
          console.error(
            `rep ${rep + 1} ${name} ${who.system}@${who.runtime}: ${Math.round(run.jobsPerSec)}/s` +
              (run.p99 === undefined
                ? ""
                : ` p50 ${run.p50?.toFixed(2)} p99 ${run.p99.toFixed(2)} ms`) +
              `, ${run.cmdsPerJob.toFixed(1)} cmds/job, rss ${run.rssMB.toFixed(0)} MB`,
          );
        } catch (error) {
          console.error(`rep ${rep + 1} ${name} ${who.system}@${who.runtime} failed: ${error}`);
        }
      }
    }
  }
  // Commands clients send per job (round trips when unpipelined), counted with MONITOR in a
  // pass of its own with fewer jobs, since MONITOR slows Redis down.
  if (!flags["no-count"]) {
    const small = Math.min(JOBS, 2000);
    for (const who of entrants) {
      for (const name of cases.filter((c) => c !== "latency")) {
        let count = 0;
        const run = await measure(redis, who, name, small, async (fn) => {
          let result!: Awaited<ReturnType<typeof fn>>;
          count = await redis.countSent(async () => result = await fn());
          return result;
        });
        sent.set(`${who.system}\0${run.runtime}\0${name}`, count / small);
      }
    }
  }
} finally {
  await redis.stop();
}

const rows = medians(runs, sent);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
saveRows(path("./results/latest.json"), "redis", rows);
const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim()}, ${
  Math.round(totalmem() / 2 ** 30)
} GB RAM, ${process.platform}; redis-server ${redis.version} (private, no persistence)`;
const text = [
  `Run ${new Date().toISOString()} (${minutes} min): \`${
    ["deno task bench:peers", ...Deno.args].join(" ")
  }\`, median of ${flags.reps} runs, ${
    JOBS.toLocaleString("en")
  } jobs per throughput case, latency ${
    LATENCY_JOBS.toLocaleString("en")
  } jobs at ${flags.rate}/s.`,
  "",
  `Machine: ${machine}.`,
  "",
  table(rows),
  "",
  "Kinetik against each peer on the same runtime (throughput ratio; latency p99 and peak RSS):",
  "",
  ratios(rows),
  "",
  `Versions: ${JSON.stringify(versions)}`,
].join("\n");
updateResults(path("./RESULTS.md"), text);
console.log(`\n${text}\n`);
