/**
 * `deno task bench:peers --store postgres`: Kinetik's PostgreSQL store beside pg-boss and
 * graphile-worker on one private PostgreSQL server this run starts and stops (durable
 * settings; see `_postgres.ts`), the same cases as the Redis run. Every case runs in a fresh
 * process (`case.mjs`) on a fresh database; systems alternate within a repetition and their
 * order rotates between repetitions; medians are reported. Kinetik runs on Deno and Bun; the
 * peers on the runtimes asked for (they need Node 22, so Deno and Bun here).
 *
 * Per case it reads, besides throughput and latency: the server's CPU (every PostgreSQL
 * process, exited backends included), the statements clients ran per job (pg_stat_statements,
 * top level: a round trip each for clients that do not pipeline) and the transactions per job
 * (pg_stat_database). Writes the `postgres` section of `bench/results/latest.json` and the
 * PostgreSQL part of `bench/RESULTS.md`. @module
 */

import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { BenchPostgres } from "./_postgres.ts";
import { updateResults } from "./_report.ts";
import { saveRows } from "./_results_file.ts";
import { type Entrant, installPeers, runCase as runCaseProcess } from "./_run_case.ts";

/** The flags of `bench/peers.ts` this run reads. */
export interface PostgresRunFlags {
  reps: string;
  jobs: string;
  "latency-jobs": string;
  rate: string;
  systems: string;
  runtimes: string;
  /** The runtimes of the peers (Kinetik runs on `runtimes`). */
  "peer-runtimes": string;
  cases: string;
}

/** One measured case run. */
interface PgRun {
  system: string;
  runtime: string;
  case: string;
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  p50?: number;
  p95?: number;
  p99?: number;
  rssMB: number;
  cpuPct: number;
  serverCpuPct: number;
  clientUsPerJob: number;
  serverUsPerJob: number;
  statementsPerJob: number;
  transactionsPerJob: number;
  versions: Record<string, string>;
  runtimeVersion: string;
}

const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** The adapter of Kinetik's PostgreSQL store; reported as `kinetik`. */
const KINETIK = "kinetik-postgres";
/**
 * The cases where each job waits for a commit of its own (an fsync on this server: about
 * 130–400 jobs/s for every system) run this many jobs at most, so a run takes minutes.
 */
const COMMIT_BOUND = new Set(["enqueue-single", "process-c1"]);
const COMMIT_BOUND_JOBS = 2_000;

/** The number of jobs of case `name`. */
function jobsOf(name: string, flags: PostgresRunFlags): number {
  if (name === "latency") return Number(flags["latency-jobs"]);
  const jobs = Number(flags.jobs);
  return COMMIT_BOUND.has(name) ? Math.min(jobs, COMMIT_BOUND_JOBS) : jobs;
}

/** Runs one case process against the benchmark's server (see `_run_case.ts`). */
function runCase(
  who: Entrant,
  url: string,
  args: string[],
  onReady?: () => void,
): Promise<Record<string, unknown>> {
  return runCaseProcess(who, ["--url", url, ...args], { onReady });
}

/** One measured case on a fresh database: seeds what it needs, runs it, reads the server. */
async function measure(
  pg: BenchPostgres,
  who: Entrant,
  name: string,
  flags: PostgresRunFlags,
): Promise<PgRun> {
  const db = await pg.freshDatabase();
  try {
    const n = jobsOf(name, flags);
    const base = ["--jobs", String(n)];
    let result: Record<string, unknown>;
    if (name.startsWith("process-c")) {
      await runCase(who, db.url, ["--case", "seed", ...base]);
    } else {
      // Each system makes its schema on first use: done here, outside the measured process.
      await runCase(who, db.url, ["--case", "enqueue-bulk", "--jobs", "1"]);
    }
    const before = await pg.counters(db.name);
    if (name.startsWith("process-c")) {
      const concurrency = name.slice("process-c".length);
      result = await runCase(who, db.url, [
        "--case",
        "process",
        "--concurrency",
        concurrency,
        ...base,
      ]);
    } else if (name === "latency") {
      let worker!: Promise<Record<string, unknown>>;
      await new Promise<void>((ready, fail) => {
        worker = runCase(
          who,
          db.url,
          ["--case", "latency-worker", ...base],
          ready,
        );
        worker.catch(fail);
      });
      await new Promise((resolve) => setTimeout(resolve, 200)); // Let it settle into idling.
      await runCase(who, db.url, [
        "--case",
        "latency-producer",
        "--rate",
        flags.rate,
        ...base,
      ]);
      result = await worker;
    } else {
      result = await runCase(who, db.url, ["--case", name, ...base]);
    }
    const after = await pg.counters(db.name);
    const seconds = result.seconds as number;
    const serverSeconds = after.cpu - before.cpu;
    return {
      ...(result as unknown as PgRun),
      system: who.system === KINETIK ? "kinetik" : who.system,
      case: name,
      serverCpuPct: serverSeconds / seconds * 100,
      serverUsPerJob: serverSeconds * 1e6 / n,
      clientUsPerJob: ((result.cpuPct as number) / 100) * seconds * 1e6 / n,
      statementsPerJob: (after.statements - before.statements) / n,
      transactionsPerJob: (after.transactions - before.transactions) / n,
    };
  } finally {
    await pg.drop(db.name);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A row of the `postgres` section: the medians of one system, runtime and case. */
export type PgRow = Record<string, unknown> & {
  system: string;
  runtime: string;
  case: string;
  jobsPerSec: number;
  p99: number | null;
  rssMB: number;
};

const FIELDS: [keyof PgRun, number][] = [
  ["seconds", 3],
  ["jobsPerSec", 0],
  ["p50", 2],
  ["p95", 2],
  ["p99", 2],
  ["rssMB", 1],
  ["cpuPct", 0],
  ["serverCpuPct", 0],
  ["clientUsPerJob", 0],
  ["serverUsPerJob", 0],
  ["statementsPerJob", 2],
  ["transactionsPerJob", 2],
];

function medians(runs: PgRun[]): PgRow[] {
  const groups = new Map<string, PgRun[]>();
  for (const run of runs) {
    const key = `${run.system}\0${run.runtime}\0${run.case}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const row: PgRow = {
      system: group[0].system,
      runtime: group[0].runtime,
      case: group[0].case,
      jobs: group[0].jobs,
      jobsPerSec: 0,
      p99: null,
      rssMB: 0,
    };
    for (const [field, digits] of FIELDS) {
      const values = group.map((run) => run[field]).filter((v): v is number =>
        typeof v === "number"
      );
      (row as Record<string, unknown>)[field] = values.length
        ? round(median(values), digits)
        : null;
    }
    row.runs = group.map((run) =>
      run.case === "latency" ? round(run.p99!, 2) : round(run.jobsPerSec)
    );
    return row;
  });
}

const ORDER = ["kinetik", "graphile-worker", "pg-boss"];

function table(rows: PgRow[]): string {
  const sorted = [...rows].sort((a, b) =>
    a.case.localeCompare(b.case) || a.runtime.localeCompare(b.runtime) ||
    ORDER.indexOf(a.system) - ORDER.indexOf(b.system)
  );
  const cell = (value: unknown) => typeof value === "number" ? value.toLocaleString("en") : "";
  const lines = [
    "| case | runtime | system | jobs/s | p50 ms | p95 ms | p99 ms | peak RSS MB | client CPU % | server CPU % | client µs/job | server µs/job | statements/job | transactions/job | runs (jobs/s or p99) |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of sorted) {
    const cells = [
      "jobsPerSec",
      "p50",
      "p95",
      "p99",
      "rssMB",
      "cpuPct",
      "serverCpuPct",
      "clientUsPerJob",
      "serverUsPerJob",
      "statementsPerJob",
      "transactionsPerJob",
    ].map((field) => cell(r[field]));
    lines.push(
      `| ${r.case} | ${r.runtime} | ${r.system} | ${cells.join(" | ")} | ${
        (r.runs as number[]).join(", ")
      } |`,
    );
  }
  return lines.join("\n");
}

/**
 * Kinetik's ratio to each peer, per case and runtime (latency: p99, lower wins), against the
 * peer on the same runtime, else on the runtime it ran on (named).
 */
export function ratios(rows: PgRow[]): string {
  const lines = [
    "| case | runtime | vs graphile-worker | vs pg-boss |",
    "|---|---|---:|---:|",
  ];
  for (const k of rows.filter((r) => r.system === "kinetik")) {
    const ratio = (peer: string) => {
      const peers = rows.filter((r) => r.system === peer && r.case === k.case);
      const p = peers.find((r) => r.runtime === k.runtime) ?? peers[0];
      if (!p) return "";
      const on = p.runtime === k.runtime ? "" : ` (on ${p.runtime})`;
      if (k.case === "latency") return `p99 ${k.p99} vs ${p.p99} ms${on}`;
      return `${(k.jobsPerSec / p.jobsPerSec).toFixed(2)}×${on}`;
    };
    lines.push(
      `| ${k.case} | ${k.runtime} | ${ratio("graphile-worker")} | ${ratio("pg-boss")} |`,
    );
  }
  return lines.join("\n");
}

/** Runs the PostgreSQL comparison; `args` is the command line, for the report. */
export async function runPostgres(
  flags: PostgresRunFlags,
  args: readonly string[],
): Promise<void> {
  const systems = flags.systems.split(",").map((system) => system === "kinetik" ? KINETIK : system);
  const runtimes = [
    ...new Set([...flags.runtimes.split(","), ...flags["peer-runtimes"].split(",")]),
  ];
  const entrants: Entrant[] = runtimes.flatMap((runtime) =>
    systems.filter((system) =>
      system === KINETIK
        ? runtime !== "node" && flags.runtimes.split(",").includes(runtime)
        : flags["peer-runtimes"].split(",").includes(runtime)
    ).map((system) => ({ system, runtime }))
  );
  if (entrants.some((e) => e.system !== KINETIK)) await installPeers();
  const cases = flags.cases.split(",");
  const pg = await BenchPostgres.start();
  const runs: PgRun[] = [];
  const versions: Record<string, unknown> = {};
  const loads: number[] = [];
  const started = Date.now();
  try {
    console.error(
      `PostgreSQL ${pg.version}; ${entrants.length} entrants × ${cases.length} cases × ${flags.reps} reps`,
    );
    for (let rep = 0; rep < Number(flags.reps); rep++) {
      const order = entrants.map((_, i) => entrants[(i + rep) % entrants.length]);
      for (const name of cases) {
        for (const who of order) {
          try {
            loads.push(loadavg()[0]);
            const run = await measure(pg, who, name, flags);
            runs.push(run);
            versions[`${run.system}@${who.runtime}`] = {
              [who.runtime]: run.runtimeVersion,
              ...run.versions,
            };
            console.error(
              `rep ${rep + 1} ${name} ${run.system}@${who.runtime}: ${
                Math.round(run.jobsPerSec)
              }/s` +
                (run.p99 === undefined
                  ? ""
                  : ` p50 ${run.p50?.toFixed(2)} p99 ${run.p99.toFixed(2)} ms`) +
                `, ${run.statementsPerJob.toFixed(2)} stmts/job, client ${
                  Math.round(run.clientUsPerJob)
                } µs/job, server ${Math.round(run.serverUsPerJob)} µs/job, load ${
                  loadavg()[0].toFixed(1)
                }`,
            );
          } catch (error) {
            console.error(
              `rep ${rep + 1} ${name} ${who.system}@${who.runtime} failed: ${error}`,
            );
          }
        }
      }
    }
  } finally {
    await pg.stop();
  }

  const rows = medians(runs);
  saveRows(path("../results/latest.json"), "postgres", rows);
  const cpu = cpus();
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const machine = `${cpu.length} × ${cpu[0]?.model.trim()}, ${
    Math.round(totalmem() / 2 ** 30)
  } GB RAM, ${process.platform}; PostgreSQL ${pg.version} (private; fsync, synchronous_commit and full_page_writes on, other settings default)`;
  const text = [
    `Run ${new Date().toISOString()} (${minutes} min): \`${
      ["deno task bench:peers", ...args].join(" ")
    }\`, median of ${flags.reps} runs, ${
      Number(flags.jobs).toLocaleString("en")
    } jobs per throughput case (${COMMIT_BOUND_JOBS.toLocaleString("en")} for ${
      [...COMMIT_BOUND].join(" and ")
    }, where every job waits for its own commit), latency ${
      Number(flags["latency-jobs"]).toLocaleString("en")
    } jobs at ${flags.rate}/s. Load average (1 min) at the start of each case: median ${
      median(loads).toFixed(1)
    }, ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`,
    "",
    `Machine: ${machine}.`,
    "",
    table(rows),
    "",
    "Kinetik against each peer on the same runtime (throughput ratio; latency p99):",
    "",
    ratios(rows),
    "",
    `Versions: ${JSON.stringify(versions)}`,
  ].join("\n");
  updateResults(path("../RESULTS.md"), text, "peers:postgres");
  console.log(`\n${text}\n`);
}
