/**
 * `deno task bench:peers --store sqlite`: Kinetik's SQLite store side by side with plainjob
 * (Bun, bun:sqlite), liteque (Node, better-sqlite3) and bunqueue embedded on a SQLite file
 * (Bun). Every case runs in a fresh process (`bench/peers/case.mjs`) on a fresh temp database
 * file; systems alternate within a repetition and their order rotates between repetitions;
 * medians are reported. A counting pass with fewer jobs runs each case under `strace` to count
 * write transactions, WAL pages and syncs per job (`bench/peers/_strace.ts`).
 *
 * Flags: `--reps 3`, `--jobs 20000`, `--latency-jobs 1000`, `--rate 200`,
 * `--systems kinetik,plainjob,liteque,bunqueue`, `--runtimes deno,bun,node` (Kinetik runs on
 * Deno and Bun, each peer on the one runtime it supports), `--cases enqueue-single,…`,
 * `--no-count` (skip the strace pass).
 *
 * Writes the SQLite rows of `bench/results/latest.json` and the SQLite part of
 * `bench/RESULTS.md`.
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import process from "node:process";
import { type Entrant, installPeers, PEERS, runCase } from "./_run_case.ts";
import { countIo, type IoCounts, straceWrapper } from "./_strace.ts";
import {
  SQLITE_SYSTEMS,
  sqliteMedians,
  sqliteRatios,
  type SqliteRun,
  sqliteTable,
} from "./_sqlite_report.ts";
import { saveRows } from "./_results_file.ts";
import { updateResults } from "./_report.ts";

/** The runtimes each system runs on. */
const RUNTIMES: Record<string, string[]> = {
  kinetik: ["deno", "bun"],
  plainjob: ["bun"],
  liteque: ["node"],
  bunqueue: ["bun"],
};

/** Cases a system cannot run, and why (printed with the results). */
export const UNSUPPORTED: Record<string, Record<string, string>> = {
  plainjob: {
    "process-c50": "runs one job at a time (no concurrency setting)",
  },
  liteque: {
    "enqueue-bulk": "has no bulk add (the process cases seed it one add at a time)",
  },
  bunqueue: {
    latency: "embedded mode serves one process: jobs another process adds are not seen",
  },
};

/**
 * How busy the machine is: the load average and, where Linux reports it, the share of the last
 * minute in which some runnable task waited for a CPU (PSI). Every system in one process per
 * case is sensitive to it, so the report says it.
 */
function busy(): string {
  const load = `load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`;
  try {
    const some = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(
      readFileSync("/proc/pressure/cpu", "utf8"),
    );
    return some ? `${load}, CPU pressure ${some[1]}%` : load;
  } catch {
    return load;
  }
}

const CASES = [
  "enqueue-single",
  "enqueue-bulk",
  "process-c1",
  "process-c50",
  "latency",
];

/** Runs the SQLite comparison with the command-line `args`. */
export async function runSqlite(args: string[]): Promise<void> {
  const { values: flags } = parseArgs({
    args,
    options: {
      store: { type: "string", default: "sqlite" },
      reps: { type: "string", default: "3" },
      jobs: { type: "string", default: "20000" },
      "latency-jobs": { type: "string", default: "1000" },
      rate: { type: "string", default: "200" },
      systems: { type: "string", default: SQLITE_SYSTEMS.join(",") },
      runtimes: { type: "string", default: "deno,bun,node" },
      cases: { type: "string", default: CASES.join(",") },
      "no-count": { type: "boolean", default: false },
    },
  });
  const jobs = Number(flags.jobs);
  const latencyJobs = Number(flags["latency-jobs"]);
  const asked = flags.runtimes.split(",");
  const entrants: Entrant[] = flags.systems.split(",").flatMap((system) => {
    if (!RUNTIMES[system]) {
      throw new TypeError(
        `Cannot bench SQLite peers as the system is unknown: current value is ${system}`,
      );
    }
    return RUNTIMES[system].filter((r) => asked.includes(r)).map((runtime) => ({
      system,
      runtime,
    }));
  });
  const cases = flags.cases.split(",");
  const supports = (who: Entrant, name: string) => !UNSUPPORTED[who.system]?.[name];
  if (entrants.some((e) => e.system !== "kinetik")) await installPeers();

  /** One measured case on a fresh database file; `wrap` runs the measured process under strace. */
  async function measure(
    who: Entrant,
    name: string,
    n: number,
    count = false,
  ): Promise<{ run: SqliteRun; io?: IoCounts }> {
    const dir = mkdtempSync(join(tmpdir(), "kinetik-bench-sqlite-"));
    const file = join(dir, `${who.system}.db`);
    const trace = join(dir, "strace.log");
    const wrapper = count ? straceWrapper(trace) : undefined;
    const base = ["--store", "sqlite", "--sqlite", file, "--jobs", String(n)];
    try {
      let result: Record<string, unknown>;
      if (name.startsWith("process-c")) {
        await runCase(who, [...base, "--case", "seed"]);
        const concurrency = name.slice("process-c".length);
        result = await runCase(who, [
          ...base,
          "--case",
          "process",
          "--concurrency",
          concurrency,
        ], {
          wrapper,
        });
      } else if (name === "latency") {
        let worker!: Promise<Record<string, unknown>>;
        await new Promise<void>((ready, fail) => {
          worker = runCase(who, [...base, "--case", "latency-worker"], {
            onReady: ready,
          });
          worker.catch(fail);
        });
        await new Promise((resolve) => setTimeout(resolve, 200)); // Let it settle into idling.
        await runCase(who, [
          ...base,
          "--case",
          "latency-producer",
          "--rate",
          flags.rate,
        ]);
        result = await worker;
      } else {
        result = await runCase(who, [...base, "--case", name], { wrapper });
      }
      const run = {
        ...(result as unknown as SqliteRun),
        case: name,
        clientUsPerJob: ((result.cpuPct as number) / 100) *
          (result.seconds as number) * 1e6 / n,
      };
      return {
        run,
        io: count ? countIo(readFileSync(trace, "utf8"), dir) : undefined,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const busyAtStart = busy();
  const runs: SqliteRun[] = [];
  const io = new Map<string, IoCounts & { jobs: number }>();
  const versions: Record<string, unknown> = {};
  const started = Date.now();
  console.error(
    `SQLite peers: ${
      entrants.map((e) => `${e.system}@${e.runtime}`).join(", ")
    }; ${cases.length} cases × ${flags.reps} reps`,
  );
  for (let rep = 0; rep < Number(flags.reps); rep++) {
    const order = entrants.map((_, i) => entrants[(i + rep) % entrants.length]);
    for (const name of cases) {
      for (const who of order.filter((e) => supports(e, name))) {
        const label = `rep ${rep + 1} ${name} ${who.system}@${who.runtime}`;
        try {
          const { run } = await measure(
            who,
            name,
            name === "latency" ? latencyJobs : jobs,
          );
          runs.push(run);
          versions[`${who.system}@${who.runtime}`] = {
            [who.runtime]: (run as unknown as { runtimeVersion: string }).runtimeVersion,
            ...run.versions,
          };
          console.error(
            `${label}: ${Math.round(run.jobsPerSec)}/s` +
              (run.p99 === undefined
                ? ""
                : ` p50 ${run.p50?.toFixed(2)} p99 ${run.p99.toFixed(2)} ms`) +
              `, ${run.clientUsPerJob.toFixed(0)} µs CPU/job, rss ${run.rssMB.toFixed(0)} MB`,
          );
        } catch (error) {
          console.error(`${label} failed: ${error}`);
        }
      }
    }
  }
  // Writes per job, counted under strace in a pass of its own with fewer jobs, since tracing
  // slows every system call down.
  const hasStrace = !spawnSync("strace", ["-V"]).error;
  if (!flags["no-count"] && !hasStrace) {
    console.error("strace is not on PATH: no write counts");
  }
  if (!flags["no-count"] && hasStrace) {
    const small = Math.min(jobs, 2000);
    for (const who of entrants) {
      for (
        const name of cases.filter((c) => c !== "latency" && supports(who, c))
      ) {
        try {
          const { run, io: counts } = await measure(who, name, small, true);
          io.set(`${who.system}\0${run.runtime}\0${name}`, {
            ...counts!,
            jobs: small,
          });
          console.error(
            `count ${name} ${who.system}@${who.runtime}: ${counts!.commits / small} tx/job, ` +
              `${counts!.walPages / small} WAL pages/job`,
          );
        } catch (error) {
          console.error(
            `count ${name} ${who.system}@${who.runtime} failed: ${error}`,
          );
        }
      }
    }
  }

  const rows = sqliteMedians(runs, io);
  rows.sort((a, b) => CASES.indexOf(a.case) - CASES.indexOf(b.case));
  saveRows(`${PEERS}../results/latest.json`, "sqlite", rows);
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim()}, ${
    Math.round(totalmem() / 2 ** 30)
  } GB RAM, ${process.platform}; temp files in ${tmpdir()}`;
  const skipped = entrants.flatMap((who) =>
    cases.filter((c) => !supports(who, c)).map((c) =>
      `${who.system} skips ${c}: ${UNSUPPORTED[who.system][c]}.`
    )
  );
  const peers = SQLITE_SYSTEMS.filter((s) =>
    s !== "kinetik" && entrants.some((e) => e.system === s)
  );
  const text = [
    `Run ${new Date().toISOString()} (${((Date.now() - started) / 60_000).toFixed(1)} min): \`${
      ["deno task bench:peers", ...args].join(" ")
    }\`, median of ${flags.reps} runs, ${
      jobs.toLocaleString("en")
    } jobs per throughput case, latency ${
      latencyJobs.toLocaleString("en")
    } jobs at ${flags.rate}/s.`,
    "",
    `Machine: ${machine}. Other work on it: ${busyAtStart} at the start, ${busy()} at the end.`,
    "",
    sqliteTable(rows),
    "",
    ...(skipped.length ? [skipped.join(" "), ""] : []),
    "Kinetik against each peer (throughput ratio, or p99 latency; peak RSS):",
    "",
    sqliteRatios(rows, peers),
    "",
    `Versions: ${JSON.stringify(versions)}`,
  ].join("\n");
  updateResults(`${PEERS}../RESULTS.md`, text, "peers-sqlite");
  console.log(`\n${text}\n`);
}
